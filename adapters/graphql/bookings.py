"""Bookings over GraphQL: quote a stay, book it, see it (or a page of one's own) with what one may do to it,
preview and cancel; the host's answer to a request to book; the guest's review of the stay.

Booking fields resolve from the core's ``BookingView``: its ``status`` is the status at the moment
the view was taken (a hold that ran out reads ``EXPIRED`` before any sweep stores it), and its
``actions`` are what the caller may do then. ``property``, ``guest``, ``payment`` and ``review`` go
through the request's batch loaders.

The refund a cancellation would give is a root query, ``cancellationPreview(id)``, not a field of
``Booking``: it is one use-case call per booking, wanted on the cancel screen, not in lists.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import graphene

from adapters.graphql.accounts import User
from adapters.graphql.context import context_of, parse_id, require_user
from adapters.graphql.listings import CancellationPolicy, Property, Review
from adapters.graphql.payments import Payment
from airbnb_core.domain.bookings import Action as DomainAction
from airbnb_core.domain.bookings import BookingRole as DomainBookingRole
from airbnb_core.domain.bookings import BookingStatus as DomainBookingStatus
from airbnb_core.domain.bookings import CancelledBy as DomainCancelledBy
from airbnb_core.domain.bookings import RefundPreview
from airbnb_core.domain.errors import InvalidInput
from airbnb_core.domain.pagination import LIMIT_DEFAULT, Page
from airbnb_core.domain.payments import Payment as DomainPayment
from airbnb_core.domain.properties import Property as DomainProperty
from airbnb_core.domain.reviews import COMMENT_MAX
from airbnb_core.domain.reviews import Review as DomainReview
from airbnb_core.domain.stay import Stay
from airbnb_core.domain.users import User as DomainUser
from airbnb_core.services.access import BookingView
from airbnb_core.services.bookings import RequestBooking, StayQuote

BookingStatus = graphene.Enum.from_enum(
    DomainBookingStatus,
    description="PENDING holds the dates unpaid; REQUESTED waits for the host; a hold or request whose time "
    "ran out is EXPIRED.",
)
BookingAction = graphene.Enum.from_enum(
    DomainAction, name="BookingAction", description="What the caller may do to a booking now."
)
CancelledBy = graphene.Enum.from_enum(DomainCancelledBy, description="Which side cancelled a booking.")
BookingRole = graphene.Enum.from_enum(
    DomainBookingRole, description="GUEST: the bookings the caller made; HOST: the bookings on the caller's properties."
)


def _from_booking(attname: str, default_value: Any, root: BookingView, info: graphene.ResolveInfo, **_: Any) -> Any:
    return getattr(root.booking, attname, default_value)


class Booking(graphene.ObjectType):
    """A stay a guest holds. Money is an integer amount in the minor unit (cents) of `currency`."""

    class Meta:
        default_resolver = _from_booking

    id = graphene.ID(required=True)
    property_id = graphene.ID(required=True)
    user_id = graphene.ID(required=True, description="The guest's id.")
    check_in = graphene.Date(required=True)
    check_out = graphene.Date(required=True, description="The first day after the stay.")
    guests = graphene.Int(required=True)
    status = graphene.Field(BookingStatus, required=True, description="The status at the moment of this request.")
    nightly_subtotal = graphene.Int(required=True, description="After the weekly discount.")
    cleaning_fee = graphene.Int(required=True)
    service_fee = graphene.Int(required=True)
    total_price = graphene.Int(required=True)
    currency = graphene.String(required=True, description="ISO 4217 code.")
    hold_expires_at = graphene.DateTime(description="When an unpaid hold or an unanswered request runs out.")
    created_at = graphene.DateTime(required=True)
    updated_at = graphene.DateTime(required=True)
    cancelled_by = graphene.Field(CancelledBy)
    cancelled_at = graphene.DateTime()
    refund_amount = graphene.Int(description="Refunded on cancellation; null unless cancelled.")
    actions = graphene.List(
        graphene.NonNull(BookingAction), required=True, description="What the caller may do to it now."
    )
    property = graphene.Field(Property)
    guest = graphene.Field(User, description="Null once the guest's account is gone.")
    payment = graphene.Field(Payment, description="Null until the guest first tries to pay.")
    review = graphene.Field(Review, description="The guest's review of the stay; null until written.")

    @staticmethod
    def resolve_check_in(root: BookingView, info: graphene.ResolveInfo) -> date:
        return root.booking.check_in_date

    @staticmethod
    def resolve_check_out(root: BookingView, info: graphene.ResolveInfo) -> date:
        return root.booking.check_out_date

    @staticmethod
    def resolve_status(root: BookingView, info: graphene.ResolveInfo) -> DomainBookingStatus:
        return root.status

    @staticmethod
    def resolve_actions(root: BookingView, info: graphene.ResolveInfo) -> tuple[DomainAction, ...]:
        return root.actions

    @staticmethod
    def resolve_property(root: BookingView, info: graphene.ResolveInfo) -> DomainProperty | None:
        return context_of(info).loaders.properties.load(root.booking.property_id)

    @staticmethod
    def resolve_guest(root: BookingView, info: graphene.ResolveInfo) -> DomainUser | None:
        return context_of(info).loaders.users.load(root.booking.user_id)

    @staticmethod
    def resolve_payment(root: BookingView, info: graphene.ResolveInfo) -> DomainPayment | None:
        return context_of(info).loaders.payments.load(root.booking.id)

    @staticmethod
    def resolve_review(root: BookingView, info: graphene.ResolveInfo) -> DomainReview | None:
        return context_of(info).loaders.booking_reviews.load(root.booking.id)


class Quote(graphene.ObjectType):
    """The price a booking of these dates would get now, in minor units of `currency`; nothing is held."""

    nights = graphene.Int(required=True)
    nightly_subtotal = graphene.Int(required=True, description="Nights × nightly price, less `weeklyDiscount`.")
    weekly_discount = graphene.Int(required=True, description="Taken off nights × nightly price, from 7 nights.")
    cleaning_fee = graphene.Int(required=True)
    service_fee = graphene.Int(required=True)
    total_price = graphene.Int(required=True)
    currency = graphene.String(required=True)
    available = graphene.Boolean(required=True, description="No other booking holds any night of the stay.")

    @staticmethod
    def resolve_nights(root: StayQuote, info: graphene.ResolveInfo) -> int:
        return root.quote.nights

    @staticmethod
    def resolve_nightly_subtotal(root: StayQuote, info: graphene.ResolveInfo) -> int:
        return root.quote.nightly_subtotal.amount

    @staticmethod
    def resolve_weekly_discount(root: StayQuote, info: graphene.ResolveInfo) -> int:
        return root.quote.weekly_discount.amount

    @staticmethod
    def resolve_cleaning_fee(root: StayQuote, info: graphene.ResolveInfo) -> int:
        return root.quote.cleaning_fee.amount

    @staticmethod
    def resolve_service_fee(root: StayQuote, info: graphene.ResolveInfo) -> int:
        return root.quote.service_fee.amount

    @staticmethod
    def resolve_total_price(root: StayQuote, info: graphene.ResolveInfo) -> int:
        return root.quote.total.amount

    @staticmethod
    def resolve_currency(root: StayQuote, info: graphene.ResolveInfo) -> str:
        return root.quote.total.currency


class CancellationPreview(graphene.ObjectType):
    """What cancelling now, by the caller, would refund."""

    refund_amount = graphene.Int(required=True, description="Minor units of `currency`.")
    currency = graphene.String(required=True)
    refund_percent = graphene.Int(required=True)
    policy = graphene.Field(CancellationPolicy, required=True)
    days_before_check_in = graphene.Int(required=True, description="Counted in the property's time zone.")
    voids_authorization = graphene.Boolean(
        required=True, description="The card was only authorized: the authorization is voided, nothing refunded."
    )

    @staticmethod
    def resolve_refund_amount(root: RefundPreview, info: graphene.ResolveInfo) -> int:
        return root.refund.amount

    @staticmethod
    def resolve_currency(root: RefundPreview, info: graphene.ResolveInfo) -> str:
        return root.refund.currency


class BookingPage(graphene.ObjectType):
    items = graphene.List(graphene.NonNull(Booking), required=True)
    next_cursor = graphene.String(description="Pass as `cursor` for the next page; null on the last page.")


def _returned(info: graphene.ResolveInfo, view: BookingView) -> BookingView:
    context_of(info).loaders.refreshed(view.booking)
    return view


class BookingQueries(graphene.ObjectType):
    booking = graphene.Field(
        Booking,
        id=graphene.ID(required=True),
        description="A booking, for its guest, its property's host and administrators. Requires authentication.",
    )
    quote = graphene.Field(
        Quote,
        property_id=graphene.ID(required=True),
        check_in=graphene.Date(required=True),
        check_out=graphene.Date(required=True),
        guests=graphene.Int(required=True),
        description="Price a stay by the rules a booking of it must meet.",
    )
    my_bookings = graphene.Field(
        BookingPage,
        required=True,
        role=BookingRole(required=True, default_value=DomainBookingRole.GUEST),
        status=BookingStatus(description="Only bookings with this status now: a hold that ran out is EXPIRED."),
        limit=graphene.Int(required=True, default_value=LIMIT_DEFAULT, description="1 to 100."),
        cursor=graphene.String(),
        description="The caller's bookings, newest first: the ones they made (GUEST) or those on their "
        "properties (HOST). Requires authentication.",
    )
    cancellation_preview = graphene.Field(
        CancellationPreview,
        id=graphene.ID(required=True),
        description="What cancelling the booking now would refund. Only its guest or host may ask.",
    )

    @staticmethod
    def resolve_booking(root: None, info: graphene.ResolveInfo, id: str) -> BookingView:
        view = context_of(info).services.bookings.view(require_user(info), parse_id(id, "id"))
        return _returned(info, view)

    @staticmethod
    def resolve_my_bookings(
        root: None,
        info: graphene.ResolveInfo,
        role: DomainBookingRole,
        limit: int,
        status: DomainBookingStatus | None = None,
        cursor: str | None = None,
    ) -> Page[BookingView]:
        bookings, viewer = context_of(info).services.bookings, require_user(info)
        page = bookings.list(viewer, role=role, status=status, limit=limit, cursor=cursor)
        context_of(info).loaders.booked(view.booking for view in page.items)
        return page

    @staticmethod
    def resolve_quote(
        root: None, info: graphene.ResolveInfo, property_id: str, check_in: date, check_out: date, guests: int
    ) -> StayQuote:
        place_id = parse_id(property_id, "property_id")
        return context_of(info).services.bookings.quote(place_id, Stay(check_in, check_out), guests)

    @staticmethod
    def resolve_cancellation_preview(root: None, info: graphene.ResolveInfo, id: str) -> RefundPreview:
        return context_of(info).services.bookings.cancellation_preview(require_user(info), parse_id(id, "id"))


class CreateBooking(graphene.Mutation):
    """Hold a stay for the caller as a PENDING booking, priced by the server; pay before `holdExpiresAt`.
    Dates another booking holds answer CONFLICT (`booking_conflict`). Requires authentication."""

    class Arguments:
        property_id = graphene.ID(required=True)
        check_in = graphene.Date(required=True)
        check_out = graphene.Date(required=True)
        guests = graphene.Int(required=True)

    Output = Booking

    @staticmethod
    def mutate(
        root: None, info: graphene.ResolveInfo, property_id: str, check_in: date, check_out: date, guests: int
    ) -> BookingView:
        bookings, guest = context_of(info).services.bookings, require_user(info)
        command = RequestBooking(parse_id(property_id, "property_id"), Stay(check_in, check_out), guests)
        return _returned(info, bookings.request(guest, command))


class CancelBooking(graphene.Mutation):
    """Cancel as the guest (refund per the property's policy) or the host (everything back).
    A booking that is no longer active answers CONFLICT (`invalid_transition`). Requires authentication."""

    class Arguments:
        id = graphene.ID(required=True)

    Output = Booking

    @staticmethod
    def mutate(root: None, info: graphene.ResolveInfo, id: str) -> BookingView:
        view = context_of(info).services.bookings.cancel(require_user(info), parse_id(id, "id"))
        return _returned(info, view)


class ApproveBooking(graphene.Mutation):
    """Accept a REQUESTED booking as its property's host: the card is captured and the booking CONFIRMED.
    A booking no longer waiting for an answer answers CONFLICT. Requires authentication."""

    class Arguments:
        id = graphene.ID(required=True)

    Output = Booking

    @staticmethod
    def mutate(root: None, info: graphene.ResolveInfo, id: str) -> BookingView:
        view = context_of(info).services.payments.approve(require_user(info), parse_id(id, "id"))
        return _returned(info, view)


class DeclineBooking(graphene.Mutation):
    """Turn down a REQUESTED booking as its property's host: the card's authorization is released and the
    booking DECLINED. A booking no longer waiting for an answer answers CONFLICT. Requires authentication."""

    class Arguments:
        id = graphene.ID(required=True)

    Output = Booking

    @staticmethod
    def mutate(root: None, info: graphene.ResolveInfo, id: str) -> BookingView:
        view = context_of(info).services.payments.decline(require_user(info), parse_id(id, "id"))
        return _returned(info, view)


class CreateReview(graphene.Mutation):
    """Review a CONFIRMED stay as its guest once its check-out has passed; once per booking (CONFLICT
    `already_reviewed`). Requires authentication."""

    class Arguments:
        booking_id = graphene.ID(required=True)
        rating = graphene.Int(required=True, description="1 to 5.")
        comment = graphene.String(required=True, default_value="", description=f"At most {COMMENT_MAX} characters.")

    Output = Review

    @staticmethod
    def mutate(root: None, info: graphene.ResolveInfo, booking_id: str, rating: int, comment: str) -> DomainReview:
        author, reviewed = require_user(info), parse_id(booking_id, "booking_id")
        # Refused before the core reads the booking, as REST refuses it while decoding; the core checks it too.
        if len(comment) > COMMENT_MAX:
            raise InvalidInput.field("comment", f"must be at most {COMMENT_MAX} characters")
        return context_of(info).services.reviews.write(author, reviewed, rating=rating, comment=comment)


class BookingMutations(graphene.ObjectType):
    create_booking = CreateBooking.Field()
    cancel_booking = CancelBooking.Field()
    approve_booking = ApproveBooking.Field()
    decline_booking = DeclineBooking.Field()
    create_review = CreateReview.Field()
