"""What every resolver of one request shares: the use cases, who is calling, and the batch loaders."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import cast

from graphql import GraphQLResolveInfo

from adapters.graphql.loaders import Loaders
from airbnb_core.domain.errors import InvalidInput, RateLimited, Unauthenticated
from airbnb_core.domain.users import User
from airbnb_core.services import Services


@dataclass(slots=True)
class GraphQLContext:
    services: Services
    access_token: str | None
    client: str  # the caller's address: the core limits sign-in attempts per client
    loaders: Loaders = field(init=False)
    _identity: User | Unauthenticated | None = field(default=None, init=False)
    _password_checked: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.services, self.current_user)

    def viewer(self) -> User | None:
        """The caller if a token was sent, else ``None``.

        A token that does not authenticate fails rather than being ignored: answering anonymously
        would hide a lapsed session behind "not found" for the caller's own inactive listings.
        """
        return self.current_user() if self.access_token else None

    def current_user(self) -> User:
        """The caller, authenticated on first use; later fields of the same request reuse the answer."""
        if self._identity is None:
            self._identity = self._authenticate()
        if isinstance(self._identity, Unauthenticated):
            raise self._identity
        return self._identity

    def spend_password_check(self) -> None:
        """Allow one password hash per request.

        Hashing is slow on purpose; aliases could otherwise pack hundreds of logins or password
        changes into one request: a CPU sink and, for password changes, a guessing batch that no
        sign-in limit sees.
        """
        if self._password_checked:
            raise RateLimited(
                "only one login, registration or password change is allowed per request",
                retry_after_seconds=0,
            )
        self._password_checked = True

    def _authenticate(self) -> User | Unauthenticated:
        if not self.access_token:
            return Unauthenticated("authentication required: send Authorization: Bearer <access token>")
        try:
            return self.services.accounts.authenticate(self.access_token)
        except Unauthenticated as error:
            return error


def context_of(info: GraphQLResolveInfo) -> GraphQLContext:
    return cast(GraphQLContext, info.context)


def require_user(info: GraphQLResolveInfo) -> User:
    """The authenticated caller; raises ``Unauthenticated`` without a valid access token."""
    return context_of(info).current_user()


def parse_id(value: str, field_name: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInput.field(field_name, "must be a UUID") from None
