"""Bearer-token authentication as a Litestar dependency."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import NamedDependency
from litestar.openapi.spec import SecurityRequirement

from adapters.web import bearer_token
from airbnb_core.domain.errors import Unauthenticated
from airbnb_core.domain.users import User
from airbnb_core.services.accounts import Accounts

BEARER_SECURITY: list[SecurityRequirement] = [{"BearerToken": []}]


async def provide_current_user(request: Request[Any, Any, Any], accounts: NamedDependency[Accounts]) -> User:
    """The caller, who must present a valid access token of an active account."""
    token = bearer_token(request.headers.get("authorization"))
    if token is None:
        raise Unauthenticated("this action needs a bearer access token")
    return await accounts.authenticate_async(token)


def client_address(request: Request[Any, Any, Any]) -> str:
    """The client's address: the peer, or what a trusted proxy says it forwarded for (adapters/http/proxies.py)."""
    return request.client.host if request.client else "unknown"
