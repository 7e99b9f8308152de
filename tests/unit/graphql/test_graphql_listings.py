from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from airbnb_core.domain.reviews import Review
from airbnb_core.domain.stay import Stay
from airbnb_core.inmemory import FixedClock, InMemoryStore
from airbnb_core.services import Listings
from tests.builders import a_booking
from tests.unit.graphql.support import LISTING, GraphQLClient, only_error

PROPERTY_FIELDS = """
  id title description location city country latitude longitude timezone pricePerNight currency cleaningFee
  weeklyDiscountPercent maxGuests minNights maxNights instantBook cancellationPolicy amenities isActive ratingAvg
  reviewCount createdAt updatedAt
"""
CREATE = "mutation($input: PropertyInput!) { createProperty(input: $input) { %s } }"
UPDATE = "mutation($id: ID!, $input: PropertyUpdateInput!) { updateProperty(id: $id, input: $input) { %s } }"
DELETE = "mutation($id: ID!) { deleteProperty(id: $id) }"
PROPERTY = "query($id: ID!) { property(id: $id) { %s } }"
SEARCH = """
query($city: String, $country: String, $q: String, $checkIn: Date, $checkOut: Date, $guests: Int, $minPrice: Int,
      $maxPrice: Int, $amenities: [String!], $instantBook: Boolean, $lat: Float, $lng: Float, $radiusKm: Float,
      $sort: PropertySort! = NEWEST, $limit: Int! = 20, $cursor: String) {
  properties(city: $city, country: $country, q: $q, checkIn: $checkIn, checkOut: $checkOut, guests: $guests,
             minPrice: $minPrice, maxPrice: $maxPrice, amenities: $amenities, instantBook: $instantBook,
             lat: $lat, lng: $lng, radiusKm: $radiusKm, sort: $sort, limit: $limit, cursor: $cursor) {
    items { title }
    nextCursor
  }
}"""
TODAY = date(2030, 6, 1)  # the conftest clock's day


def book(store: InMemoryStore, property_id: str, guest_id: str, check_in: date, nights: int) -> None:
    """A confirmed booking, written straight into the store: booking use cases are not this adapter's."""
    booking = a_booking(
        user_id=uuid.UUID(guest_id),
        property_id=uuid.UUID(property_id),
        stay=Stay(check_in, check_in + timedelta(days=nights)),
        created_at=datetime(2030, 5, 1, tzinfo=UTC),
    )
    store.bookings = {**store.bookings, booking.id: booking}


def review(store: InMemoryStore, property_id: str, author_id: str, rating: int, days_ago: int) -> None:
    created_at = datetime(2030, 6, 1, tzinfo=UTC) - timedelta(days=days_ago)
    entry = Review(uuid.uuid4(), uuid.uuid4(), uuid.UUID(author_id), uuid.UUID(property_id), rating, "", created_at)
    store.reviews = {**store.reviews, entry.id: entry}


def make_admin(store: InMemoryStore, user_id: str) -> None:
    store.users[uuid.UUID(user_id)].is_admin = True


def data(body: dict[str, Any]) -> Any:
    assert "errors" not in body, body
    return body["data"]


# Creating, changing and taking down listings


def test_a_host_lists_a_property_and_unset_fields_take_their_defaults(gql: GraphQLClient) -> None:
    token = gql.host()

    created = data(gql(CREATE % PROPERTY_FIELDS, token=token, input={**LISTING, "amenities": ["wifi", "kitchen"]}))

    place = created["createProperty"]
    assert uuid.UUID(place["id"])
    assert place["createdAt"] == place["updatedAt"] == "2030-06-01T12:00:00+00:00"
    assert {k: v for k, v in place.items() if k not in ("id", "createdAt", "updatedAt")} == {
        **LISTING,
        "description": "",
        "timezone": "UTC",
        "cleaningFee": 0,
        "weeklyDiscountPercent": 0,
        "minNights": 1,
        "maxNights": 365,
        "instantBook": False,
        "cancellationPolicy": "FLEXIBLE",
        "amenities": ["kitchen", "wifi"],
        "isActive": True,
        "ratingAvg": None,
        "reviewCount": 0,
    }


def test_the_new_property_names_its_host(gql: GraphQLClient) -> None:
    token = gql.host()

    body = gql(CREATE % "host { name isHost }", token=token, input=LISTING)

    assert data(body)["createProperty"]["host"] == {"name": "Ann", "isHost": True}


def test_a_member_who_is_not_a_host_may_not_list_a_property(gql: GraphQLClient) -> None:
    token = gql.session()["accessToken"]

    body = gql(CREATE % "id", token=token, input=LISTING)

    assert body["data"] == {"createProperty": None}
    assert only_error(body)["extensions"] == {"code": "FORBIDDEN", "reason": "not_a_host"}


def test_listing_a_property_requires_authentication(gql: GraphQLClient) -> None:
    assert only_error(gql(CREATE % "id", input=LISTING))["extensions"]["code"] == "UNAUTHENTICATED"


def test_an_invalid_listing_reports_every_field_by_its_graphql_name(gql: GraphQLClient) -> None:
    token = gql.host()
    invalid = {**LISTING, "country": "XX", "pricePerNight": -1, "minNights": 3, "maxNights": 2, "amenities": ["moat"]}

    error = only_error(gql(CREATE % "id", token=token, input=invalid))

    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert [f["field"] for f in error["extensions"]["fields"]] == [
        "country",
        "pricePerNight",
        "maxNights",
        "amenities",
    ]


def test_the_host_changes_some_fields_and_the_rest_stay(gql: GraphQLClient) -> None:
    token = gql.host()
    place = gql.create_property(token)

    body = gql(
        UPDATE % "title pricePerNight city cancellationPolicy amenities",
        token=token,
        id=place["id"],
        input={"pricePerNight": 9_900, "cancellationPolicy": "STRICT", "amenities": ["pool"], "title": None},
    )

    assert data(body)["updateProperty"] == {
        "title": "Loft by the canal",
        "pricePerNight": 9_900,
        "city": "Amsterdam",
        "cancellationPolicy": "STRICT",
        "amenities": ["pool"],
    }


def test_another_host_may_not_change_or_take_down_a_listing(gql: GraphQLClient) -> None:
    place = gql.create_property(gql.host())
    intruder = gql.host("ivan@example.com")

    update = gql(UPDATE % "id", token=intruder, id=place["id"], input={"title": "Mine now"})
    delete = gql(DELETE, token=intruder, id=place["id"])

    assert only_error(update)["extensions"]["code"] == "FORBIDDEN"
    assert only_error(delete)["extensions"]["code"] == "FORBIDDEN"


def test_an_administrator_may_change_any_listing(gql: GraphQLClient, store: InMemoryStore) -> None:
    place = gql.create_property(gql.host())
    admin = gql.register("root@example.com")
    make_admin(store, admin["id"])
    token = gql.login("root@example.com")["data"]["login"]["accessToken"]

    body = gql(UPDATE % "title host { name }", token=token, id=place["id"], input={"title": "Moderated"})

    assert data(body)["updateProperty"] == {"title": "Moderated", "host": {"name": "Ann"}}


def test_an_invalid_change_reports_the_field(gql: GraphQLClient) -> None:
    token = gql.host()
    place = gql.create_property(token)

    error = only_error(gql(UPDATE % "id", token=token, id=place["id"], input={"weeklyDiscountPercent": 150}))

    assert error["extensions"]["fields"] == [{"field": "weeklyDiscountPercent", "message": "must be 0 to 100"}]


def test_changing_an_unknown_listing_is_not_found(gql: GraphQLClient) -> None:
    body = gql(UPDATE % "id", token=gql.host(), id=str(uuid.uuid4()), input={"title": "Nowhere"})

    assert only_error(body)["extensions"]["code"] == "NOT_FOUND"


def test_a_deleted_listing_is_hidden_from_strangers_but_not_from_its_host(gql: GraphQLClient) -> None:
    token = gql.host()
    place = gql.create_property(token)

    assert gql(DELETE, token=token, id=place["id"]) == {"data": {"deleteProperty": True}}

    stranger = gql(PROPERTY % "id", id=place["id"])
    assert stranger["data"] == {"property": None}
    assert only_error(stranger)["extensions"]["code"] == "NOT_FOUND"
    assert data(gql(PROPERTY % "isActive", token=token, id=place["id"]))["property"] == {"isActive": False}
    assert data(gql(SEARCH))["properties"]["items"] == []


def test_a_listing_with_an_upcoming_booking_cannot_be_deleted(gql: GraphQLClient, store: InMemoryStore) -> None:
    token = gql.host()
    place = gql.create_property(token)
    guest = gql.register("gus@example.com")
    book(store, place["id"], guest["id"], TODAY + timedelta(days=10), nights=3)

    error = only_error(gql(DELETE, token=token, id=place["id"]))

    assert error["extensions"] == {"code": "CONFLICT", "reason": "has_upcoming_bookings"}
    taken_down = gql(UPDATE % "isActive", token=token, id=place["id"], input={"isActive": False})
    assert only_error(taken_down)["extensions"]["reason"] == "has_upcoming_bookings"
    assert data(gql(PROPERTY % "isActive", id=place["id"]))["property"] == {"isActive": True}


def test_a_host_puts_a_listing_back_up_with_an_update(gql: GraphQLClient) -> None:
    token = gql.host()
    place = gql.create_property(token)
    gql(DELETE, token=token, id=place["id"])
    back = gql(UPDATE % "isActive", token=token, id=place["id"], input={"isActive": True})
    assert data(back)["updateProperty"] == {"isActive": True}
    assert data(gql(PROPERTY % "isActive", id=place["id"]))["property"] == {"isActive": True}


# Reading a listing


def test_a_property_shows_its_host_newest_reviews_and_booked_ranges(gql: GraphQLClient, store: InMemoryStore) -> None:
    place = gql.create_property(gql.host())
    guest = gql.register("gus@example.com", name="Gus")
    for rating, days_ago in [(3, 30), (5, 1), (4, 10)]:
        review(store, place["id"], guest["id"], rating, days_ago)
    book(store, place["id"], guest["id"], TODAY + timedelta(days=2), nights=3)
    book(store, place["id"], guest["id"], TODAY + timedelta(days=5), nights=2)  # touches the first: merged
    book(store, place["id"], guest["id"], TODAY + timedelta(days=20), nights=7)  # runs past the window: clipped

    body = gql(
        """query($id: ID!, $end: Date!) { property(id: $id) {
             title host { name } reviews(limit: 2) { rating author { name } }
             availability(start: "2030-06-01", end: $end) { start end } } }""",
        id=place["id"],
        end="2030-06-24",
    )

    assert data(body)["property"] == {
        "title": "Loft by the canal",
        "host": {"name": "Ann"},
        "reviews": [{"rating": 5, "author": {"name": "Gus"}}, {"rating": 4, "author": {"name": "Gus"}}],
        "availability": [{"start": "2030-06-03", "end": "2030-06-08"}, {"start": "2030-06-21", "end": "2030-06-24"}],
    }


def test_an_unknown_property_is_not_found_and_a_malformed_id_is_bad_input(gql: GraphQLClient) -> None:
    unknown = only_error(gql(PROPERTY % "id", id=str(uuid.uuid4())))
    malformed = only_error(gql(PROPERTY % "id", id="42"))

    assert unknown["extensions"]["code"] == "NOT_FOUND"
    assert malformed["extensions"]["fields"] == [{"field": "id", "message": "must be a UUID"}]


def test_a_stale_token_on_a_public_query_is_unauthenticated(gql: GraphQLClient) -> None:
    place = gql.create_property(gql.host())

    assert only_error(gql(PROPERTY % "id", token="stale.token", id=place["id"]))["extensions"]["code"] == (
        "UNAUTHENTICATED"
    )


def test_an_availability_window_over_a_year_is_bad_input(gql: GraphQLClient) -> None:
    place = gql.create_property(gql.host())

    body = gql(
        'query($id: ID!) { property(id: $id) { availability(start: "2030-01-01", end: "2031-01-03") { start } } }',
        id=place["id"],
    )

    assert only_error(body)["extensions"]["fields"] == [
        {"field": "end", "message": "the window may span at most 366 days"}
    ]


def test_property_reviews_page_newest_first(gql: GraphQLClient, store: InMemoryStore) -> None:
    place = gql.create_property(gql.host())
    guest = gql.register("gus@example.com", name="Gus")
    for days_ago in range(5):
        review(store, place["id"], guest["id"], rating=5 - days_ago, days_ago=days_ago)
    query = """query($id: ID!, $cursor: String) { propertyReviews(propertyId: $id, limit: 2, cursor: $cursor) {
                 items { rating author { name } } nextCursor } }"""

    ratings, cursor = [], None
    while True:
        page = data(gql(query, id=place["id"], cursor=cursor))["propertyReviews"]
        ratings.append([item["rating"] for item in page["items"]])
        assert {item["author"]["name"] for item in page["items"]} <= {"Gus"}
        if (cursor := page["nextCursor"]) is None:
            break

    assert ratings == [[5, 4], [3, 2], [1]]


# Searching


@pytest.fixture
def catalogue(gql: GraphQLClient, clock: FixedClock) -> None:
    """Three listings, created a minute apart in this order."""
    token = gql.host()
    listings = [
        {"title": "Canal loft", "pricePerNight": 12_000, "amenities": ["wifi", "kitchen"]},
        {"title": "Tiny studio", "pricePerNight": 6_000, "maxGuests": 1, "instantBook": True},
        {"title": "Seaside villa", "city": "Nice", "country": "FR", "latitude": 43.70, "longitude": 7.27,
         "pricePerNight": 30_000, "amenities": ["wifi", "pool"], "maxGuests": 8},
    ]  # fmt: skip
    for fields in listings:
        gql.create_property(token, **fields)
        clock.advance(timedelta(minutes=1))


def titles(body: dict[str, Any]) -> list[str]:
    return [item["title"] for item in data(body)["properties"]["items"]]


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["Seaside villa", "Tiny studio", "Canal loft"]),
        ({"city": "amsterdam", "sort": "PRICE_ASC"}, ["Tiny studio", "Canal loft"]),
        ({"country": "fr"}, ["Seaside villa"]),
        ({"q": "LOFT canal"}, ["Canal loft"]),
        ({"guests": 2, "sort": "PRICE_DESC"}, ["Seaside villa", "Canal loft"]),
        ({"minPrice": 6_001, "maxPrice": 30_000, "sort": "PRICE_ASC"}, ["Canal loft", "Seaside villa"]),
        ({"amenities": ["wifi", "pool"]}, ["Seaside villa"]),
        ({"instantBook": True}, ["Tiny studio"]),
        ({"lat": 43.7, "lng": 7.25, "radiusKm": 10}, ["Seaside villa"]),
    ],
    ids=["all-newest-first", "city", "country", "text", "guests", "price-range", "amenities", "instant", "area"],
)
def test_search_filters(gql: GraphQLClient, filters: dict[str, Any], expected: list[str]) -> None:
    assert titles(gql(SEARCH, **filters)) == expected


@pytest.mark.usefixtures("catalogue")
def test_searching_with_dates_leaves_out_booked_properties(gql: GraphQLClient, store: InMemoryStore) -> None:
    loft = next(p for p in store.properties.values() if p.title == "Canal loft")
    guest = gql.register("gus@example.com")
    book(store, str(loft.id), guest["id"], date(2030, 7, 10), nights=5)

    overlapping = gql(SEARCH, city="Amsterdam", checkIn="2030-07-12", checkOut="2030-07-14")
    after = gql(SEARCH, city="Amsterdam", checkIn="2030-07-15", checkOut="2030-07-17")

    assert titles(overlapping) == ["Tiny studio"]
    assert titles(after) == ["Tiny studio", "Canal loft"]


def test_search_pages_through_every_property_once(gql: GraphQLClient) -> None:
    token = gql.host()
    for price in [5_000, 7_000, 7_000, 7_000, 9_000]:  # ties must neither repeat nor vanish across pages
        gql.create_property(token, title=f"{price}", pricePerNight=price)

    pages, cursor = [], None
    while True:
        page = data(gql(SEARCH, sort="PRICE_ASC", limit=2, cursor=cursor))["properties"]
        pages.append([item["title"] for item in page["items"]])
        if (cursor := page["nextCursor"]) is None:
            break

    assert pages == [["5000", "7000"], ["7000", "7000"], ["9000"]]


@pytest.mark.parametrize(
    ("arguments", "fields"),
    [
        ({"checkIn": "2030-07-01"}, [{"field": "checkOut", "message": "is required with check_in"}]),
        ({"checkOut": "2030-07-01"}, [{"field": "checkIn", "message": "is required with check_out"}]),
        (
            {"checkIn": "2030-07-03", "checkOut": "2030-07-01"},
            [{"field": "checkOut", "message": "must be after check_in"}],
        ),
        (
            {"lat": 43.7, "radiusKm": 5},
            [{"field": "lng", "message": "lat, lng and radius_km go together"}],
        ),
        (
            {"lat": 43.7, "lng": 7.2, "radiusKm": 900},
            [{"field": "radiusKm", "message": "must be above 0 and at most 500"}],
        ),
        ({"minPrice": 500, "maxPrice": 100}, [{"field": "maxPrice", "message": "must not be below min_price"}]),
        ({"limit": 101}, [{"field": "limit", "message": "must be 1 to 100"}]),
        ({"cursor": "not-a-cursor"}, [{"field": "cursor", "message": "is not a cursor this API issued"}]),
    ],
    ids=["check-in-alone", "check-out-alone", "reversed-stay", "partial-area", "radius", "prices", "limit", "cursor"],
)
def test_invalid_search_arguments_are_bad_input(
    gql: GraphQLClient, arguments: dict[str, Any], fields: list[dict[str, str]]
) -> None:
    body = gql(SEARCH, **arguments)

    assert "data" in body
    error = only_error(body)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["fields"] == fields


# Batching


class CountingListings:
    """Counts the use-case calls a request makes, by name."""

    def __init__(self, listings: Listings, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[str] = []
        for name in ("search", "details", "users", "recent_reviews", "availability_of"):
            monkeypatch.setattr(listings, name, self._counting(name, getattr(listings, name)))

    def _counting(self, name: str, method: Any) -> Any:
        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            return method(*args, **kwargs)

        return counted


PAGE_WITH_NESTED_FIELDS = """query($limit: Int!) { properties(limit: $limit) { items {
  host { name }
  reviews(limit: 3) { rating author { name } }
  availability(start: "2030-06-01", end: "2030-07-01") { end }
  cheap: reviews(limit: 1) { rating } } } }"""


def test_a_page_costs_the_same_use_case_calls_whatever_its_size(
    gql: GraphQLClient, store: InMemoryStore, listings: Listings, monkeypatch: pytest.MonkeyPatch
) -> None:
    hosts = [gql.host(f"host{i}@example.com") for i in range(3)]
    places = [gql.create_property(hosts[i % 3]) for i in range(12)]
    guests = [gql.register(f"guest{i}@example.com", name=f"Guest {i}") for i in range(4)]
    for i, place in enumerate(places):
        review(store, place["id"], guests[i % 4]["id"], rating=4, days_ago=i)
        book(store, place["id"], guests[0]["id"], TODAY + timedelta(days=i), nights=1)
    counter = CountingListings(listings, monkeypatch)

    small = data(gql(PAGE_WITH_NESTED_FIELDS, limit=2))
    small_calls, counter.calls = counter.calls, []
    large = data(gql(PAGE_WITH_NESTED_FIELDS, limit=12))

    assert len(small["properties"]["items"]) == 2
    assert len(large["properties"]["items"]) == 12
    assert all(item["host"]["name"] == "Ann" and item["reviews"][0]["author"] for item in large["properties"]["items"])
    assert (
        sorted(counter.calls)
        == sorted(small_calls)
        == sorted(["search", "users", "recent_reviews", "users", "availability_of", "recent_reviews"])
    )
