"""``/api/v1/payments/webhooks/{provider}``: the payment provider tells us what happened to a payment."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, post
from litestar.di import NamedDependency
from litestar.params import FromPath, RawBody
from litestar.status_codes import HTTP_200_OK
from msgspec import Meta, Struct

from adapters.http.openapi import problems
from airbnb_core.services.payments import Payments


class WebhookReceipt(Struct, kw_only=True):
    received: bool = True
    applied: Annotated[
        bool, Meta(description="Whether the event changed anything; false when it was already applied or is moot")
    ]


# No bearer token: the provider's signature over the raw body is what authenticates the call. The handler
# takes no ``data`` parameter, so the strict JSON decoding (adapters/http/bodies.py) leaves the body alone
# and the bytes signed are the bytes verified.
@post(
    "/payments/webhooks/{provider:str}",
    operation_id="receivePaymentWebhook",
    status_code=HTTP_200_OK,
    sync_to_thread=True,
    tags=["payments"],
    responses=problems(400, 404),
)
def receive_payment_webhook(
    provider: FromPath[str], body: RawBody, request: Request[Any, Any, Any], payments: NamedDependency[Payments]
) -> WebhookReceipt:
    """An event of the configured payment provider, signed in its own way (`Stripe-Signature` for the sandbox and
    Stripe). 400 `bad_signature` when the signature is missing, wrong or stale, 404 for another provider's name.
    Each event is applied once; an event that changes nothing (already applied, an unknown payment, out of order)
    is acknowledged all the same, so that the provider stops sending it."""
    return WebhookReceipt(applied=payments.receive_webhook(provider, body, request.headers))
