"""Listings over GraphQL: search, a property with its host, reviews and calendar, and hosts' changes.

Nested fields of a property go through the request's batch loaders (see ``loaders``), so a page
of properties costs the same few use-case calls whatever its size.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import graphene

from adapters.graphql.accounts import User
from adapters.graphql.context import context_of, parse_id, require_user
from airbnb_core.domain.pagination import LIMIT_DEFAULT, Page
from airbnb_core.domain.properties import CancellationPolicy as DomainCancellationPolicy
from airbnb_core.domain.properties import Property as DomainProperty
from airbnb_core.domain.reviews import Review as DomainReview
from airbnb_core.domain.search import SearchCriteria, SearchSort
from airbnb_core.domain.stay import Stay
from airbnb_core.domain.users import User as DomainUser
from airbnb_core.services.listings import PropertyChanges, PropertyDraft

REVIEWS_ON_PROPERTY_DEFAULT = 10

CancellationPolicy = graphene.Enum.from_enum(
    DomainCancellationPolicy,
    description="How much of the total a guest gets back when cancelling, by days before check-in.",
)
PropertySort = graphene.Enum.from_enum(
    SearchSort,
    name="PropertySort",
    description="Search order; ties are broken by id, so pages never repeat or skip a property.",
)


class DateRange(graphene.ObjectType):
    """A half-open range of days: `end` is the first day after it."""

    start = graphene.Date(required=True)
    end = graphene.Date(required=True)

    @staticmethod
    def resolve_start(root: Stay, info: graphene.ResolveInfo) -> date:
        return root.check_in

    @staticmethod
    def resolve_end(root: Stay, info: graphene.ResolveInfo) -> date:
        return root.check_out


class Review(graphene.ObjectType):
    id = graphene.ID(required=True)
    rating = graphene.Int(required=True, description="1 to 5.")
    comment = graphene.String(required=True)
    created_at = graphene.DateTime(required=True)
    author = graphene.Field(User, description="Null once the author's account is gone.")

    @staticmethod
    def resolve_author(root: DomainReview, info: graphene.ResolveInfo) -> DomainUser | None:
        return context_of(info).loaders.users.load(root.user_id)


class Property(graphene.ObjectType):
    """A listing. Money is an integer amount in the minor unit (cents) of `currency`."""

    id = graphene.ID(required=True)
    title = graphene.String(required=True)
    description = graphene.String(required=True)
    location = graphene.String(required=True, description="The street address, as the host wrote it.")
    city = graphene.String(required=True)
    country = graphene.String(required=True, description="ISO 3166-1 alpha-2 code.")
    latitude = graphene.Float(required=True)
    longitude = graphene.Float(required=True)
    timezone = graphene.String(required=True, description="IANA time zone; stay dates are days in it.")
    price_per_night = graphene.Int(required=True)
    currency = graphene.String(required=True, description="ISO 4217 code.")
    cleaning_fee = graphene.Int(required=True)
    weekly_discount_percent = graphene.Int(required=True, description="Off the nightly subtotal from 7 nights.")
    max_guests = graphene.Int(required=True)
    min_nights = graphene.Int(required=True)
    max_nights = graphene.Int(required=True)
    instant_book = graphene.Boolean(required=True, description="Paid bookings confirm without the host's approval.")
    cancellation_policy = graphene.Field(CancellationPolicy, required=True)
    amenities = graphene.List(graphene.NonNull(graphene.String), required=True)
    is_active = graphene.Boolean(required=True)
    rating_avg = graphene.Float(description="The mean rating, to two decimals; null before the first review.")
    review_count = graphene.Int(required=True)
    created_at = graphene.DateTime(required=True)
    updated_at = graphene.DateTime(required=True)
    host = graphene.Field(User, required=True)
    reviews = graphene.List(
        graphene.NonNull(Review),
        required=True,
        limit=graphene.Int(required=True, default_value=REVIEWS_ON_PROPERTY_DEFAULT, description="1 to 100."),
        description="The newest reviews, newest first; `propertyReviews` pages through all of them.",
    )
    availability = graphene.List(
        graphene.NonNull(DateRange),
        required=True,
        start=graphene.Date(required=True),
        end=graphene.Date(required=True, description="Exclusive; at most 366 days after `start`."),
        description="The booked or held ranges within [start, end), clipped to it; every other night is free.",
    )

    @staticmethod
    def resolve_host(root: DomainProperty, info: graphene.ResolveInfo) -> DomainUser | None:
        return context_of(info).loaders.users.load(root.host_id)

    @staticmethod
    def resolve_reviews(root: DomainProperty, info: graphene.ResolveInfo, limit: int) -> list[DomainReview]:
        return context_of(info).loaders.recent_reviews(limit).load(root.id) or []

    @staticmethod
    def resolve_availability(root: DomainProperty, info: graphene.ResolveInfo, start: date, end: date) -> list[Stay]:
        return context_of(info).loaders.availability(start, end).load(root.id) or []


class PropertyPage(graphene.ObjectType):
    items = graphene.List(graphene.NonNull(Property), required=True)
    next_cursor = graphene.String(description="Pass as `cursor` for the next page; null on the last page.")


class ReviewPage(graphene.ObjectType):
    items = graphene.List(graphene.NonNull(Review), required=True)
    next_cursor = graphene.String(description="Pass as `cursor` for the next page; null on the last page.")


class ListingQueries(graphene.ObjectType):
    property = graphene.Field(
        Property,
        id=graphene.ID(required=True),
        description="A listing. Inactive listings are visible only to their host and administrators.",
    )
    properties = graphene.Field(
        PropertyPage,
        required=True,
        city=graphene.String(),
        country=graphene.String(),
        q=graphene.String(description="Words that must all appear in the title, description or address."),
        check_in=graphene.Date(description="With `checkOut`: only properties free for the whole stay."),
        check_out=graphene.Date(),
        guests=graphene.Int(),
        min_price=graphene.Int(description="Nightly price, in minor units."),
        max_price=graphene.Int(description="Nightly price, in minor units."),
        amenities=graphene.List(graphene.NonNull(graphene.String), description="Properties having all of them."),
        instant_book=graphene.Boolean(),
        lat=graphene.Float(description="With `lng` and `radiusKm`: only properties within the circle."),
        lng=graphene.Float(),
        radius_km=graphene.Float(description="Above 0, at most 500."),
        sort=PropertySort(required=True, default_value=SearchSort.NEWEST),
        limit=graphene.Int(required=True, default_value=LIMIT_DEFAULT, description="1 to 100."),
        cursor=graphene.String(),
        description="Search active listings.",
    )
    property_reviews = graphene.Field(
        ReviewPage,
        required=True,
        property_id=graphene.ID(required=True),
        limit=graphene.Int(required=True, default_value=LIMIT_DEFAULT, description="1 to 100."),
        cursor=graphene.String(),
        description="A listing's reviews, newest first.",
    )

    @staticmethod
    def resolve_property(root: None, info: graphene.ResolveInfo, id: str) -> DomainProperty:
        context = context_of(info)
        details = context.services.listings.details(parse_id(id, "id"), viewer=context.viewer())
        context.loaders.users.prime(details.host.id, details.host)
        return _returned(info, details.place)

    @staticmethod
    def resolve_properties(
        root: None, info: graphene.ResolveInfo, sort: SearchSort, limit: int, cursor: str | None = None, **filters: Any
    ) -> Page[DomainProperty]:
        context = context_of(info)
        criteria = SearchCriteria.from_parameters(sort=sort, **filters)
        page = context.services.listings.search(criteria, limit=limit, cursor=cursor)
        context.loaders.returned(page.items)
        return page

    @staticmethod
    def resolve_property_reviews(
        root: None, info: graphene.ResolveInfo, property_id: str, limit: int, cursor: str | None = None
    ) -> Page[DomainReview]:
        context = context_of(info)
        page = context.services.listings.reviews(parse_id(property_id, "property_id"), limit=limit, cursor=cursor)
        for entry in page.items:
            if entry.author is not None:
                context.loaders.users.prime(entry.author.id, entry.author)
        return Page([entry.review for entry in page.items], page.next_cursor)


def _returned(info: graphene.ResolveInfo, place: DomainProperty) -> DomainProperty:
    context_of(info).loaders.returned([place])
    return place


class PropertyInput(graphene.InputObjectType):
    """A new listing. Omitted optional fields take the defaults shown in their descriptions."""

    title = graphene.String(required=True)
    description = graphene.String(description='Default "".')
    location = graphene.String(required=True)
    city = graphene.String(required=True)
    country = graphene.String(required=True, description="ISO 3166-1 alpha-2 code.")
    latitude = graphene.Float(required=True)
    longitude = graphene.Float(required=True)
    timezone = graphene.String(description='IANA time zone. Default "UTC".')
    price_per_night = graphene.Int(required=True, description="Minor units of `currency`.")
    currency = graphene.String(required=True, description="ISO 4217 code.")
    cleaning_fee = graphene.Int(description="Minor units of `currency`. Default 0.")
    weekly_discount_percent = graphene.Int(description="0 to 100. Default 0.")
    max_guests = graphene.Int(required=True)
    min_nights = graphene.Int(description="Default 1.")
    max_nights = graphene.Int(description="Default 365.")
    instant_book = graphene.Boolean(description="Default false.")
    cancellation_policy = graphene.Field(CancellationPolicy, description="Default FLEXIBLE.")
    amenities = graphene.List(graphene.NonNull(graphene.String), description="Default none.")


class PropertyUpdateInput(graphene.InputObjectType):
    """Changes to a listing; omitted or null fields stay as they are."""

    title = graphene.String()
    description = graphene.String()
    location = graphene.String()
    city = graphene.String()
    country = graphene.String()
    latitude = graphene.Float()
    longitude = graphene.Float()
    timezone = graphene.String()
    price_per_night = graphene.Int()
    currency = graphene.String()
    cleaning_fee = graphene.Int()
    weekly_discount_percent = graphene.Int()
    max_guests = graphene.Int()
    min_nights = graphene.Int()
    max_nights = graphene.Int()
    instant_book = graphene.Boolean()
    cancellation_policy = graphene.Field(CancellationPolicy)
    amenities = graphene.List(graphene.NonNull(graphene.String))
    is_active = graphene.Boolean(description="false takes the listing down (refused while bookings are upcoming)")


def _core_fields(values: dict[str, Any]) -> dict[str, Any]:
    """Input fields as the core takes them: explicit nulls dropped, enums as their values, lists as tuples."""
    fields: dict[str, Any] = {}
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, DomainCancellationPolicy):
            value = value.value
        elif isinstance(value, list):
            value = tuple(value)
        fields[name] = value
    return fields


class CreateProperty(graphene.Mutation):
    """List a new property. Requires a host (or administrator) account."""

    class Arguments:
        input = PropertyInput(required=True)

    Output = Property

    @staticmethod
    def mutate(root: None, info: graphene.ResolveInfo, input: dict[str, Any]) -> DomainProperty:
        draft = PropertyDraft(**_core_fields(input))
        return _returned(info, context_of(info).services.listings.create(require_user(info), draft))


class UpdateProperty(graphene.Mutation):
    """Change a listing. Only its host and administrators may."""

    class Arguments:
        id = graphene.ID(required=True)
        input = PropertyUpdateInput(required=True)

    Output = Property

    @staticmethod
    def mutate(root: None, info: graphene.ResolveInfo, id: str, input: dict[str, Any]) -> DomainProperty:
        changes = PropertyChanges(**_core_fields(input))
        place = context_of(info).services.listings.update(require_user(info), parse_id(id, "id"), changes)
        return _returned(info, place)


class DeleteProperty(graphene.Mutation):
    """Take a listing down (it is deactivated, not erased). Refused while it has current or upcoming bookings."""

    class Arguments:
        id = graphene.ID(required=True)

    Output = graphene.Boolean

    @staticmethod
    def mutate(root: None, info: graphene.ResolveInfo, id: str) -> bool:
        context_of(info).services.listings.deactivate(require_user(info), parse_id(id, "id"))
        return True


class ListingMutations(graphene.ObjectType):
    create_property = CreateProperty.Field()
    update_property = UpdateProperty.Field()
    delete_property = DeleteProperty.Field()
