"""The REST API's request and response bodies, and the conversions to and from the core."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, TypeVar

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from airbnb_core.domain.pagination import Page
from airbnb_core.domain.users import TokenPair, User

T = TypeVar("T")

# Generous outer bounds so nothing huge reaches the core; the core applies the exact rules.
ShortText = Annotated[str, Meta(max_length=1000)]
Password = Annotated[str, Meta(max_length=1000)]


class Request(Struct, forbid_unknown_fields=True, kw_only=True):
    """Request bodies refuse unknown fields, so a misspelt or forbidden field (``is_admin``) is an error."""


class UserCreate(Request):
    name: ShortText
    email: ShortText
    password: Password
    is_host: bool = False


class LoginRequest(Request):
    email: ShortText
    password: Password


class RefreshRequest(Request):
    refresh_token: ShortText


class UserUpdate(Request):
    name: ShortText | UnsetType = UNSET
    password: Password | UnsetType = UNSET
    current_password: Password | UnsetType = UNSET
    is_host: bool | UnsetType = UNSET


class TokenPairResponse(Struct, kw_only=True):
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: Annotated[int, Meta(description="Seconds until the access token expires")]


class UserPublic(Struct, kw_only=True):
    """What anyone may see of a user: never the email."""

    id: uuid.UUID
    name: str
    is_host: bool
    created_at: datetime


class Account(UserPublic, kw_only=True):
    """A user as they, or an administrator, see the account."""

    email: str
    is_admin: bool
    is_active: bool


class AccountPage(Struct, kw_only=True):
    items: list[Account]
    next_cursor: str | None


class FieldProblem(Struct):
    field: str
    message: str


class Problem(Struct, kw_only=True, omit_defaults=True):
    """An RFC 9457 problem document."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[FieldProblem] = msgspec.field(default_factory=list)


def to_account(user: User) -> Account:
    return Account(
        id=user.id,
        name=user.name,
        email=user.email,
        is_host=user.is_host,
        is_admin=user.is_admin,
        is_active=user.is_active,
        created_at=user.created_at,
    )


def to_public(user: User) -> UserPublic:
    return UserPublic(id=user.id, name=user.name, is_host=user.is_host, created_at=user.created_at)


def to_token_pair(pair: TokenPair) -> TokenPairResponse:
    return TokenPairResponse(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        token_type=pair.token_type,
        expires_in=pair.expires_in,
    )


def to_account_page(page: Page[User]) -> AccountPage:
    return AccountPage(items=[to_account(u) for u in page.items], next_cursor=page.next_cursor)


def unset_to_none(value: T | UnsetType) -> T | None:
    return None if isinstance(value, UnsetType) else value
