"""Paying for a booking over GraphQL, and the ``Payment`` a booking shows its guest, its host and administrators.

A declined card is an error with ``extensions.code`` ``PAYMENT_DECLINED`` and, in ``extensions.reason``,
``card_declined`` or ``authentication_required``; the booking stays PENDING for another try.
"""

from __future__ import annotations

import graphene

from adapters.graphql.context import context_of, parse_id, require_user
from airbnb_core.domain.payments import Payment as DomainPayment
from airbnb_core.domain.payments import PaymentStatus as DomainPaymentStatus

PaymentStatus = graphene.Enum.from_enum(
    DomainPaymentStatus,
    description="PROCESSING while an attempt's outcome is unknown; FAILED after a decline; AUTHORIZED holds the "
    "card until the host answers a request to book.",
)


class Payment(graphene.ObjectType):
    """A booking's payment. Money is an integer amount in the minor unit (cents) of `currency`."""

    id = graphene.ID(required=True)
    booking_id = graphene.ID(required=True)
    amount = graphene.Int(required=True)
    currency = graphene.String(required=True, description="ISO 4217 code.")
    provider = graphene.String(required=True)
    provider_payment_id = graphene.String(description="Null until the provider has answered.")
    payment_method = graphene.String(required=True, description="The provider's payment method id.")
    payment_status = graphene.Field(PaymentStatus, required=True)
    failure_code = graphene.String(description="Why the last attempt was declined.")
    refunded_amount = graphene.Int(required=True)
    created_at = graphene.DateTime(required=True)
    updated_at = graphene.DateTime(required=True)


class PayBooking(graphene.Mutation):
    """Pay a PENDING booking's total as its guest: instant book captures and confirms; request to book
    authorizes the card and asks the host (REQUESTED). A decline answers PAYMENT_DECLINED (`extensions.reason`
    `card_declined` or `authentication_required`) and leaves the booking pending. Requires authentication."""

    class Arguments:
        booking_id = graphene.ID(required=True)
        payment_method = graphene.String(
            required=True,
            description="The provider's payment method id (`pm_` and letters, digits or underscores, as "
            "`pm_card_visa` on the sandbox); never card details.",
        )

    Output = Payment

    @staticmethod
    def mutate(root: None, info: graphene.ResolveInfo, booking_id: str, payment_method: str) -> DomainPayment:
        guest, paid_booking = require_user(info), parse_id(booking_id, "booking_id")
        return context_of(info).services.payments.pay(guest, paid_booking, payment_method)


class PaymentMutations(graphene.ObjectType):
    pay_booking = PayBooking.Field()
