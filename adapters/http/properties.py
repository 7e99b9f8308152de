"""``/api/v1/properties``: listing management, search, calendars and reviews."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

import anyio.to_thread
from litestar import Controller, Request, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, Parameter
from litestar.status_codes import HTTP_204_NO_CONTENT

from adapters.http.auth import BEARER_SECURITY
from adapters.http.caching import (
    CLOCK_DEPENDENT_TTL_SECONDS,
    CachedReads,
    EncodedJson,
    cached_json,
    encoded_json,
    in_thread,
)
from adapters.http.inputs import Country, text_parameter
from adapters.http.openapi import problems
from adapters.http.schemas import (
    Availability,
    Property,
    PropertyCreate,
    PropertyPage,
    PropertyUpdate,
    ReviewPage,
    to_availability,
    to_changes,
    to_draft,
    to_property,
    to_review_page,
)
from adapters.web import bearer_token
from airbnb_core.domain.pagination import CURSOR_MAX_LENGTH, LIMIT_DEFAULT, LIMIT_MAX
from airbnb_core.domain.properties import AMENITIES, CITY_MAX, GUESTS_MAX, PRICE_MAX
from airbnb_core.domain.search import QUERY_MAX, SearchCriteria, SearchSort
from airbnb_core.domain.users import User
from airbnb_core.ports.cache import PROFILES_SCOPE, property_scope
from airbnb_core.services.listings import Listings, PropertyDetails

Limit = Annotated[int, Parameter(ge=1, le=LIMIT_MAX, description="Page size (1–100)")]
Cursor = Annotated[
    str | None, Parameter(max_length=CURSOR_MAX_LENGTH, description="`next_cursor` of the previous page")
]


def search_criteria(
    city: str | None,
    country: str | None,
    q: str | None,
    check_in: date | None,
    check_out: date | None,
    guests: int | None,
    min_price: int | None,
    max_price: int | None,
    amenities: list[str] | None,
    instant_book: bool | None,
    lat: float | None,
    lng: float | None,
    radius_km: float | None,
    sort: SearchSort,
) -> SearchCriteria:
    """Turn query parameters into criteria; amenities may be repeated or comma-separated."""
    return SearchCriteria.from_parameters(
        city=city,
        country=country,
        q=q or None,
        check_in=check_in,
        check_out=check_out,
        guests=guests,
        min_price=min_price,
        max_price=max_price,
        amenities=(a.strip() for item in amenities or [] for a in item.split(",") if a.strip()),
        instant_book=instant_book,
        lat=lat,
        lng=lng,
        radius_km=radius_km,
        sort=sort,
    )


class PropertyController(Controller):
    path = "/properties"
    tags = ["properties"]

    @get("/", operation_id="searchProperties", responses=problems())
    async def search(
        self,
        reads: NamedDependency[CachedReads],
        city: Annotated[str | None, text_parameter(CITY_MAX)] = None,
        country: Annotated[Country | None, Parameter(description="ISO 3166-1 alpha-2, upper case")] = None,
        q: Annotated[
            str | None, text_parameter(QUERY_MAX, description="Words from title, description or location")
        ] = None,
        check_in: Annotated[date | None, Parameter(description="First night of the stay; with check_out")] = None,
        check_out: Annotated[
            date | None, Parameter(description="Day of departure (the stay is [check_in, check_out)); with check_in")
        ] = None,
        guests: Annotated[int | None, Parameter(ge=1, le=GUESTS_MAX)] = None,
        min_price: Annotated[int | None, Parameter(ge=0, le=PRICE_MAX, description="Minor units per night")] = None,
        max_price: Annotated[
            int | None, Parameter(ge=0, le=PRICE_MAX, description="Minor units per night, at least min_price")
        ] = None,
        amenities: Annotated[
            list[str] | None,
            Parameter(max_items=len(AMENITIES), description="All of these; repeat or comma-separate"),
        ] = None,
        instant_book: Annotated[
            bool | None, Parameter(description="Only listings bookable without host approval")
        ] = None,
        lat: Annotated[float | None, Parameter(ge=-90, le=90, description="With lng and radius_km")] = None,
        lng: Annotated[float | None, Parameter(ge=-180, le=180, description="With lat and radius_km")] = None,
        radius_km: Annotated[float | None, Parameter(gt=0, le=500, description="With lat and lng")] = None,
        sort: Annotated[SearchSort, Parameter(description="Result order")] = SearchSort.NEWEST,
        limit: Limit = LIMIT_DEFAULT,
        cursor: Cursor = None,
    ) -> EncodedJson[PropertyPage]:
        """Find active listings. With check_in and check_out, only stays that are free on those dates."""
        criteria = search_criteria(
            city, country, q, check_in, check_out, guests, min_price, max_price, amenities, instant_book, lat, lng,
            radius_km, sort,
        )  # fmt: skip
        # Not cached: on realistic traffic (random cities and dates) a cache's lookup and store on every miss
        # cost more than its few hits save (measured in bench/README.md, "The read path").
        return encoded_json(await reads.services.listing_reads.search(criteria, limit=limit, cursor=cursor))

    @post(
        "/",
        operation_id="createProperty",
        security=BEARER_SECURITY,
        sync_to_thread=True,
        responses=problems(401, 403, body=True),
    )
    def create(
        self, data: JSONBody[PropertyCreate], listings: NamedDependency[Listings], current_user: NamedDependency[User]
    ) -> Property:
        """List a new property (hosts only)."""
        # The caller is the new listing's host: nothing to read back.
        return to_property(PropertyDetails(listings.create(current_user, to_draft(data)), current_user))

    @get("/{property_id:uuid}", operation_id="getProperty", responses=problems(401, 404))
    async def details(
        self,
        property_id: FromPath[uuid.UUID],
        request: Request[Any, Any, Any],
        reads: NamedDependency[CachedReads],
    ) -> EncodedJson[Property]:
        """A listing with its host's public profile, rating and review count."""
        services = reads.services
        token = bearer_token(request.headers.get("authorization"))
        if token is not None:
            # Hosts and admins may see inactive listings, and a host reads back a change just made: a signed-in
            # answer is personal and goes through the domain model, on the primary.
            def personal() -> Property:
                return to_property(services.listings.details(property_id, viewer=services.accounts.authenticate(token)))

            return encoded_json(await anyio.to_thread.run_sync(personal))
        # Not cached, like the search: one primary-key read costs less than a cache's lookup and store.
        return encoded_json(await services.listing_reads.details(property_id))

    @patch(
        "/{property_id:uuid}",
        operation_id="updateProperty",
        security=BEARER_SECURITY,
        sync_to_thread=True,
        responses=problems(401, 403, 404, 409, body=True),
    )
    def update(
        self,
        property_id: FromPath[uuid.UUID],
        data: JSONBody[PropertyUpdate],
        listings: NamedDependency[Listings],
        current_user: NamedDependency[User],
    ) -> Property:
        """Change a listing (its host or an administrator). `is_active: true` puts a listing back up."""
        listings.update(current_user, property_id, to_changes(data))
        return to_property(listings.details(property_id, viewer=current_user))

    @delete(
        "/{property_id:uuid}",
        operation_id="deleteProperty",
        security=BEARER_SECURITY,
        status_code=HTTP_204_NO_CONTENT,
        sync_to_thread=True,
        responses=problems(401, 403, 404, 409),
    )
    def deactivate(
        self, property_id: FromPath[uuid.UUID], listings: NamedDependency[Listings], current_user: NamedDependency[User]
    ) -> None:
        """Take a listing down (it is deactivated, not erased). 409 while it has current or upcoming bookings."""
        listings.deactivate(current_user, property_id)

    @get("/{property_id:uuid}/availability", operation_id="getAvailability", responses=problems(404))
    async def availability(
        self,
        property_id: FromPath[uuid.UUID],
        reads: NamedDependency[CachedReads],
        start: Annotated[date | None, Parameter(description="First day of the window; default today")] = None,
        end: Annotated[date | None, Parameter(description="Day after the window (at most 366 days)")] = None,
    ) -> EncodedJson[Availability]:
        """The date ranges already taken within the window, as half-open ``[start, end)`` ranges."""
        return await cached_json(
            reads.cache,
            "availability",
            f"{property_id}|{start}|{end}",
            [property_scope(property_id)],
            in_thread(lambda: to_availability(reads.services.listings.availability(property_id, start, end))),
            CLOCK_DEPENDENT_TTL_SECONDS,
        )

    @get("/{property_id:uuid}/reviews", operation_id="getPropertyReviews", responses=problems(404))
    async def reviews(
        self,
        property_id: FromPath[uuid.UUID],
        reads: NamedDependency[CachedReads],
        limit: Limit = LIMIT_DEFAULT,
        cursor: Cursor = None,
    ) -> EncodedJson[ReviewPage]:
        """Reviews of a listing, newest first."""
        return await cached_json(
            reads.cache,
            "reviews",
            f"{property_id}|{limit}|{cursor}",
            [property_scope(property_id), PROFILES_SCOPE],
            in_thread(lambda: to_review_page(reads.services.listings.reviews(property_id, limit=limit, cursor=cursor))),
        )
