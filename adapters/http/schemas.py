"""The REST API's request and response bodies, and the conversions to and from the core."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from adapters.http.inputs import (
    Amenities,
    Country,
    Currency,
    Email,
    Guests,
    Latitude,
    Longitude,
    MinorUnits,
    NewEmail,
    NewPassword,
    Nights,
    Password,
    Percent,
    TimeZone,
    multiline_text,
    text,
)
from airbnb_core.domain import properties as domain
from airbnb_core.domain.pagination import Page
from airbnb_core.domain.properties import CITY_MAX, DESCRIPTION_MAX, LOCATION_MAX, TITLE_MAX, CancellationPolicy
from airbnb_core.domain.stay import Stay
from airbnb_core.domain.users import NAME_MAX, TokenPair, User
from airbnb_core.services.listings import PropertyChanges, PropertyDetails, PropertyDraft, ReviewWithAuthor

T = TypeVar("T")

Name = Annotated[str, text(NAME_MAX)]
Token = Annotated[str, Meta(max_length=500)]


class Request(Struct, forbid_unknown_fields=True, kw_only=True):
    """Request bodies refuse unknown fields, so a misspelt or forbidden field (``is_admin``) is an error."""


class UserCreate(Request):
    name: Name
    email: NewEmail
    password: NewPassword
    is_host: bool = False


class LoginRequest(Request):
    email: Email
    password: Password


class RefreshRequest(Request):
    refresh_token: Token


class UserUpdate(Request):
    name: Name | UnsetType = UNSET
    password: NewPassword | UnsetType = UNSET
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


# --- listings -------------------------------------------------------------------------------------

Title = Annotated[str, text(TITLE_MAX)]
Description = Annotated[str, multiline_text(DESCRIPTION_MAX)]
Location = Annotated[str, text(LOCATION_MAX, description="The street address")]
City = Annotated[str, text(CITY_MAX)]
Policy = Annotated[CancellationPolicy, Meta(description="How much a cancelling guest gets back")]


class PropertyCreate(Request, kw_only=True):
    title: Title
    description: Description = ""
    location: Location
    city: City
    country: Country
    latitude: Latitude
    longitude: Longitude
    timezone: TimeZone = "UTC"
    price_per_night: MinorUnits
    currency: Currency
    cleaning_fee: MinorUnits = 0
    weekly_discount_percent: Annotated[Percent, Meta(description="Off the nightly subtotal from 7 nights")] = 0
    max_guests: Guests
    min_nights: Nights = 1
    max_nights: Annotated[Nights, Meta(description="At least min_nights")] = 365
    instant_book: bool = False
    cancellation_policy: Policy = CancellationPolicy.FLEXIBLE
    amenities: Amenities = msgspec.field(default_factory=list)


class PropertyUpdate(Request):
    title: Title | UnsetType = UNSET
    description: Description | UnsetType = UNSET
    location: Location | UnsetType = UNSET
    city: City | UnsetType = UNSET
    country: Country | UnsetType = UNSET
    latitude: Latitude | UnsetType = UNSET
    longitude: Longitude | UnsetType = UNSET
    timezone: TimeZone | UnsetType = UNSET
    price_per_night: MinorUnits | UnsetType = UNSET
    currency: Currency | UnsetType = UNSET
    cleaning_fee: MinorUnits | UnsetType = UNSET
    weekly_discount_percent: Percent | UnsetType = UNSET
    max_guests: Guests | UnsetType = UNSET
    min_nights: Nights | UnsetType = UNSET
    max_nights: Nights | UnsetType = UNSET
    instant_book: bool | UnsetType = UNSET
    cancellation_policy: Policy | UnsetType = UNSET
    amenities: Amenities | UnsetType = UNSET
    is_active: bool | UnsetType = UNSET


class PropertySummary(Struct, kw_only=True):
    """A search result."""

    id: uuid.UUID
    host_id: uuid.UUID
    title: str
    city: str
    country: str
    latitude: float
    longitude: float
    timezone: str
    price_per_night: int
    currency: str
    cleaning_fee: int
    weekly_discount_percent: int
    max_guests: int
    min_nights: int
    max_nights: int
    instant_book: bool
    cancellation_policy: str
    amenities: list[str]
    rating_avg: float | None
    review_count: int
    created_at: datetime


class Property(PropertySummary, kw_only=True):
    description: str
    location: str
    is_active: bool
    updated_at: datetime
    host: UserPublic


class PropertyPage(Struct, kw_only=True):
    items: list[PropertySummary]
    next_cursor: str | None


class DateRange(Struct):
    start: date
    end: date


class Availability(Struct):
    unavailable: list[DateRange]


class ReviewAuthor(Struct):
    id: uuid.UUID
    name: str


class PropertyReview(Struct, kw_only=True):
    id: uuid.UUID
    rating: int
    comment: str
    created_at: datetime
    author: ReviewAuthor | None


class ReviewPage(Struct, kw_only=True):
    items: list[PropertyReview]
    next_cursor: str | None


_SUMMARY_FIELDS = tuple(f for f in PropertySummary.__struct_fields__ if f not in ("amenities", "rating_avg"))


def _summary_fields(place: domain.Property) -> dict[str, Any]:
    fields = {name: getattr(place, name) for name in _SUMMARY_FIELDS}
    fields["amenities"] = list(place.amenities)
    fields["rating_avg"] = float(place.rating_avg) if place.rating_avg is not None else None
    return fields


def to_property_summary(place: domain.Property) -> PropertySummary:
    return PropertySummary(**_summary_fields(place))


def to_property(details: PropertyDetails) -> Property:
    place = details.place
    return Property(
        **_summary_fields(place),
        description=place.description,
        location=place.location,
        is_active=place.is_active,
        updated_at=place.updated_at,
        host=to_public(details.host),
    )


def to_property_page(page: Page[domain.Property]) -> PropertyPage:
    return PropertyPage(items=[to_property_summary(p) for p in page.items], next_cursor=page.next_cursor)


def to_availability(stays: list[Stay]) -> Availability:
    return Availability([DateRange(s.check_in, s.check_out) for s in stays])


def to_review_page(page: Page[ReviewWithAuthor]) -> ReviewPage:
    return ReviewPage(
        items=[
            PropertyReview(
                id=r.review.id,
                rating=r.review.rating,
                comment=r.review.comment,
                created_at=r.review.created_at,
                author=ReviewAuthor(r.author.id, r.author.name) if r.author else None,
            )
            for r in page.items
        ],
        next_cursor=page.next_cursor,
    )


def to_draft(data: PropertyCreate) -> PropertyDraft:
    fields = msgspec.structs.asdict(data)
    fields["amenities"] = tuple(data.amenities)
    return PropertyDraft(**fields)


def to_changes(data: PropertyUpdate) -> PropertyChanges:
    fields = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not UNSET}
    if "amenities" in fields:
        fields["amenities"] = tuple(fields["amenities"])
    return PropertyChanges(**fields)
