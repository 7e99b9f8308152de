"""``/api/v1/bookings`` and ``/api/v1/properties/{id}/quote``: price a stay, hold it, see it, cancel it."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from msgspec import Meta, Struct

from adapters.http.auth import BEARER_SECURITY
from adapters.http.idempotency import IdempotentRequest
from adapters.http.inputs import Guests
from adapters.http.openapi import problems
from adapters.http.properties import Cursor, Limit
from adapters.http.schemas import Request
from airbnb_core.domain.bookings import Action, BookingRole, BookingStatus, CancelledBy, RefundPreview
from airbnb_core.domain.pagination import LIMIT_DEFAULT, Page
from airbnb_core.domain.properties import GUESTS_MAX, CancellationPolicy
from airbnb_core.domain.stay import Stay
from airbnb_core.domain.users import User
from airbnb_core.services.access import BookingView
from airbnb_core.services.bookings import Bookings, RequestBooking, StayQuote


class BookingCreate(Request):
    """What a guest asks for; the server prices it. Prices or a status sent along are refused as unknown fields."""

    property_id: uuid.UUID
    check_in: Annotated[date, Meta(description="First night")]
    check_out: Annotated[date, Meta(description="Day of departure, after check_in: the stay is [check_in, check_out)")]
    guests: Guests


class Booking(Struct, kw_only=True):
    id: uuid.UUID
    property_id: uuid.UUID
    user_id: uuid.UUID
    check_in: date
    check_out: date
    guests: int
    status: Annotated[BookingStatus, Meta(description="At this moment: a hold whose time passed reads expired")]
    nightly_subtotal: int
    cleaning_fee: int
    service_fee: int
    total_price: int
    currency: str
    hold_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime
    cancelled_by: CancelledBy | None
    cancelled_at: datetime | None
    refund_amount: int | None
    actions: Annotated[list[Action], Meta(description="What the caller may do to this booking now")]


class Quote(Struct, kw_only=True):
    nights: int
    nightly_subtotal: int
    weekly_discount: Annotated[int, Meta(description="Minor units taken off the nightly subtotal from 7 nights")]
    cleaning_fee: int
    service_fee: int
    total_price: int
    currency: str
    available: Annotated[bool, Meta(description="False while other bookings hold any of these nights")]


class CancellationPreview(Struct, kw_only=True):
    refund_amount: int
    currency: str
    refund_percent: int
    policy: CancellationPolicy
    days_before_check_in: int
    voids_authorization: Annotated[bool, Meta(description="A card only authorized is released, not refunded")]


class BookingPage(Struct, kw_only=True):
    items: list[Booking]
    next_cursor: Annotated[str | None, Meta(description="Pass as `cursor` for the next page; null on the last page")]


def to_booking(view: BookingView) -> Booking:
    b = view.booking
    return Booking(
        id=b.id, property_id=b.property_id, user_id=b.user_id, check_in=b.check_in_date, check_out=b.check_out_date,
        guests=b.guests, status=view.status, nightly_subtotal=b.nightly_subtotal, cleaning_fee=b.cleaning_fee,
        service_fee=b.service_fee, total_price=b.total_price, currency=b.currency, hold_expires_at=b.hold_expires_at,
        created_at=b.created_at, updated_at=b.updated_at, cancelled_by=b.cancelled_by, cancelled_at=b.cancelled_at,
        refund_amount=b.refund_amount, actions=list(view.actions),
    )  # fmt: skip


def to_booking_page(page: Page[BookingView]) -> BookingPage:
    return BookingPage(items=[to_booking(view) for view in page.items], next_cursor=page.next_cursor)


def to_quote(found: StayQuote) -> Quote:
    quote = found.quote
    return Quote(
        nights=quote.nights,
        nightly_subtotal=quote.nightly_subtotal.amount,
        weekly_discount=quote.weekly_discount.amount,
        cleaning_fee=quote.cleaning_fee.amount,
        service_fee=quote.service_fee.amount,
        total_price=quote.total.amount,
        currency=quote.total.currency,
        available=found.available,
    )


def to_preview(preview: RefundPreview) -> CancellationPreview:
    return CancellationPreview(
        refund_amount=preview.refund.amount,
        currency=preview.refund.currency,
        refund_percent=preview.refund_percent,
        policy=preview.policy,
        days_before_check_in=preview.days_before_check_in,
        voids_authorization=preview.voids_authorization,
    )


@get(
    "/properties/{property_id:uuid}/quote",
    operation_id="getQuote",
    tags=["bookings"],
    sync_to_thread=True,
    responses=problems(404, 409),
)
def quote(
    property_id: FromPath[uuid.UUID],
    bookings: NamedDependency[Bookings],
    check_in: Annotated[date, Parameter(description="First night; not before today where the listing is")],
    check_out: Annotated[date, Parameter(description="After check_in")],
    guests: Annotated[int, Parameter(ge=1, le=GUESTS_MAX)],
) -> Quote:
    """The price a booking of these nights would get, and whether they are free; refused by the booking rules."""
    return to_quote(bookings.quote(property_id, Stay(check_in, check_out), guests))


ROLE_DESCRIPTION = "`guest`: the bookings the caller made; `host`: the bookings on the caller's properties"
STATUS_DESCRIPTION = "Only bookings with this status now: a hold whose time passed is `expired`, stored so or not"


class BookingController(Controller):
    path = "/bookings"
    tags = ["bookings"]
    security = BEARER_SECURITY

    @post(
        "/",
        operation_id="createBooking",
        status_code=HTTP_201_CREATED,
        sync_to_thread=True,
        responses=problems(401, 403, 404, 409, body=True),
    )
    def create(
        self,
        data: JSONBody[BookingCreate],
        bookings: NamedDependency[Bookings],
        current_user: NamedDependency[User],
        idempotent: NamedDependency[IdempotentRequest],
    ) -> Response[Booking]:
        """Hold nights for the caller as a pending booking, priced by the server; pay before `hold_expires_at`.
        409 `booking_conflict` when another booking holds any of them."""
        cmd = RequestBooking(data.property_id, Stay(data.check_in, data.check_out), data.guests)
        return idempotent.respond(lambda: to_booking(bookings.request(current_user, cmd)))

    @get("/", operation_id="listBookings", sync_to_thread=True, responses=problems(401))
    def list_mine(
        self,
        bookings: NamedDependency[Bookings],
        current_user: NamedDependency[User],
        role: Annotated[
            BookingRole,
            Parameter(description="`guest`: the bookings the caller made; `host`: those on their properties"),
        ] = BookingRole.GUEST,
        status: Annotated[
            BookingStatus | None,
            Parameter(description="Only bookings with this status now; a lapsed hold is `expired`"),
        ] = None,
        limit: Limit = LIMIT_DEFAULT,
        cursor: Cursor = None,
    ) -> BookingPage:
        """The caller's bookings, newest first: as guest, or with `role=host` the bookings on the caller's
        properties. Each carries its status at this moment and what the caller may do to it."""
        page = bookings.list(current_user, role=role, status=status, limit=limit, cursor=cursor)
        return to_booking_page(page)

    @get("/{booking_id:uuid}", operation_id="getBooking", sync_to_thread=True, responses=problems(401, 404))
    def details(
        self, booking_id: FromPath[uuid.UUID], bookings: NamedDependency[Bookings], current_user: NamedDependency[User]
    ) -> Booking:
        """A booking, for its guest, its property's host or an administrator; 404 for anyone else."""
        return to_booking(bookings.view(current_user, booking_id))

    @get(
        "/{booking_id:uuid}/cancellation",
        operation_id="previewCancellation",
        sync_to_thread=True,
        responses=problems(401, 403, 404),
    )
    def cancellation(
        self, booking_id: FromPath[uuid.UUID], bookings: NamedDependency[Bookings], current_user: NamedDependency[User]
    ) -> CancellationPreview:
        """What cancelling now, by the caller, would refund."""
        return to_preview(bookings.cancellation_preview(current_user, booking_id))

    @post(
        "/{booking_id:uuid}/cancel",
        operation_id="cancelBooking",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        responses=problems(401, 403, 404, 409),
    )
    def cancel(
        self, booking_id: FromPath[uuid.UUID], bookings: NamedDependency[Bookings], current_user: NamedDependency[User]
    ) -> Booking:
        """Cancel as the guest (refund per the listing's policy) or the host (everything back); 409 once it
        is no longer active."""
        return to_booking(bookings.cancel(current_user, booking_id))
