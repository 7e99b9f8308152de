"""Search, availability and review queries in SQL, held against the in-memory reference on both dialects."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from persistence_store import NOW, Store

from adapters.persistence import (
    PsycopgListingQueries,
    SqlAlchemyListingQueries,
    SqlAlchemyUnitOfWork,
    create_engine,
    make_session_factory,
    upgrade,
)
from airbnb_core.domain.bookings import Booking, BookingStatus
from airbnb_core.domain.properties import Property
from airbnb_core.domain.reviews import Review
from airbnb_core.domain.search import Circle, SearchCriteria, SearchSort, SortValue, ascending, sort_value
from airbnb_core.domain.stay import Stay
from airbnb_core.domain.users import User
from airbnb_core.inmemory import FixedClock, InMemoryStore, InMemoryUnitOfWork
from airbnb_core.ports.queries import ListingQueries
from airbnb_core.services.listing_reads import UnitOfWorkListingQueries
from airbnb_core.services.listings import Listings
from tests.builders import a_booking, a_property, a_user
from tests.support.services import services_on


@contextmanager
def recorded_statements(engine: sa.Engine) -> Iterator[list[str]]:
    """The SELECT statements sent while the block runs."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def july(day: int) -> date:
    return date(2030, 7, day)


def nights(check_in: int, count: int) -> Stay:
    return Stay(july(check_in), july(check_in) + timedelta(days=count))


@dataclass
class Catalogue:
    """The same listings in a database and in the in-memory reference."""

    engine: sa.Engine
    reference: InMemoryStore
    places: dict[str, Property]

    @property
    def store(self) -> Store:
        return Store(self.engine)

    def listings(self) -> Listings:
        sessions = make_session_factory(self.engine)
        return services_on(lambda: SqlAlchemyUnitOfWork(sessions), clock=FixedClock(NOW)).listings

    def search(
        self, criteria: SearchCriteria, after: tuple[SortValue, uuid.UUID] | None = None, limit: int = 100
    ) -> list[Property]:
        with self.store.uow() as uow:
            return uow.properties.search(criteria, after=after, limit=limit, now=NOW)

    def reference_search(
        self, criteria: SearchCriteria, after: tuple[SortValue, uuid.UUID] | None = None, limit: int = 100
    ) -> list[Property]:
        with InMemoryUnitOfWork(self.reference) as uow:
            return uow.properties.search(criteria, after=after, limit=limit, now=NOW)

    def names(self, found: list[Property]) -> list[str]:
        by_id = {place.id: name for name, place in self.places.items()}
        return [by_id[place.id] for place in found]


def mirror(
    store: Store, users: Sequence[User], places: Sequence[Property], bookings: Sequence[Booking] = ()
) -> InMemoryStore:
    """Save the entities in the database, and the same entities in a fresh in-memory store."""
    reference = InMemoryStore()
    for repository, entities in (("users", users), ("properties", places), ("bookings", bookings)):
        for target in (store.uow(), InMemoryUnitOfWork(reference)):
            with target as uow:
                for entity in entities:
                    getattr(uow, repository).add(entity)
                uow.commit()
    return reference


def _catalogue(engine: sa.Engine) -> Catalogue:
    host = a_user(name="Host", is_host=True, created_at=NOW)
    gone = a_user(name="Gone", is_host=True, is_active=False, created_at=NOW)

    def place(age_days: int, **fields: Any) -> Property:
        return a_property(host=host, created_at=NOW - timedelta(days=age_days), **fields)

    places = {
        "canal_loft": place(
            1, amenities=("kitchen", "wifi"), instant_book=True, max_nights=30, rating_avg=Decimal("4.80")
        ),
        "jordaan_studio": place(
            2,
            title="Studio in the Jordaan",
            description="Tiny but charming, rated 100% by guests.",
            location="Lindengracht 5",
            city="amsterdam",
            latitude=52.3786,
            longitude=4.8799,
            price_per_night=8_000,
            max_guests=2,
            amenities=("wifi",),
            min_nights=2,
            max_nights=14,
        ),
        "paris_flat": place(
            3,
            title="Flat near Montmartre",
            description="Sunny rooms above a bakery.",
            location="Rue Lepic 20",
            city="Paris",
            country="FR",
            latitude=48.8867,
            longitude=2.3336,
            price_per_night=15_000,
            max_guests=3,
            amenities=("air_conditioning", "kitchen", "wifi"),
            instant_book=True,
            min_nights=3,
            max_nights=60,
            rating_avg=Decimal("4.80"),
        ),
        "nyc_penthouse": place(
            4,
            title="Penthouse with a pool",
            description="Skyline views and a gym downstairs.",
            location="Hudson Yards",
            city="New York",
            country="US",
            latitude=40.7536,
            longitude=-74.0023,
            price_per_night=45_000,
            currency="USD",
            max_guests=8,
            amenities=("elevator", "gym", "pool", "wifi"),
            rating_avg=Decimal("4.95"),
        ),
        "rotterdam_houseboat": place(
            5,
            title="Houseboat on the Maas",
            description="Wake up on the water, ten minutes from the centre.",
            location="Veerhaven 3",
            city="Rotterdam",
            latitude=51.9076,
            longitude=4.4856,
            amenities=("kitchen", "wifi"),
            instant_book=True,
            rating_avg=Decimal("3.50"),
        ),
        # Would match almost everything the canal loft matches, but must never be found.
        "inactive_loft": place(6, amenities=("kitchen", "wifi"), instant_book=True, is_active=False),
        "gone_hosts_loft": place(7, host_id=gone.id, amenities=("kitchen", "wifi"), instant_book=True),
    }
    reference = mirror(Store(engine), [host, gone], list(places.values()))
    return Catalogue(engine, reference, places)


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def catalogue(
    request: pytest.FixtureRequest,
    make_postgres_database: Callable[[], str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Catalogue]:
    """Built once per dialect: the tests that use it only read."""
    if request.param == "postgresql":
        url = make_postgres_database()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('search')}/airbnb.db"
    upgrade(url)
    engine = create_engine(url)
    yield _catalogue(engine)
    engine.dispose()


AMSTERDAM = Circle(52.37, 4.89, 5)
FINDABLE = {"canal_loft", "jordaan_studio", "paris_flat", "nyc_penthouse", "rotterdam_houseboat"}
FILTERS: dict[str, tuple[SearchCriteria, set[str]]] = {
    "city, ignoring case": (SearchCriteria(city="AMSTERDAM"), {"canal_loft", "jordaan_studio"}),
    "unknown city": (SearchCriteria(city="Atlantis"), set()),
    "country, ignoring case": (
        SearchCriteria(country="nl"),
        {"canal_loft", "jordaan_studio", "rotterdam_houseboat"},
    ),
    "a word of the title": (SearchCriteria(text="canal"), {"canal_loft"}),
    "words of title and location": (SearchCriteria(text="LOFT Prinsengracht"), {"canal_loft"}),
    "words with punctuation": (SearchCriteria(text="rated 100%"), {"jordaan_studio"}),
    "the start of a word": (SearchCriteria(text="mont"), {"paris_flat"}),
    "words in no one listing": (SearchCriteria(text="loft pool"), set()),
    "LIKE wildcards, literally": (SearchCriteria(text="s_a o%n"), set()),
    "only whitespace as text": (SearchCriteria(text="   "), FINDABLE),
    "guests": (SearchCriteria(guests=4), {"canal_loft", "nyc_penthouse", "rotterdam_houseboat"}),
    "more guests": (SearchCriteria(guests=5), {"nyc_penthouse"}),
    "a one-night stay": (
        SearchCriteria(stay=nights(1, 1)),
        {"canal_loft", "nyc_penthouse", "rotterdam_houseboat"},
    ),
    "a stay longer than some allow": (
        SearchCriteria(stay=nights(1, 20)),
        {"canal_loft", "paris_flat", "nyc_penthouse", "rotterdam_houseboat"},
    ),
    "min price, inclusive": (
        SearchCriteria(min_price=12_500),
        {"canal_loft", "paris_flat", "nyc_penthouse", "rotterdam_houseboat"},
    ),
    "max price, inclusive": (
        SearchCriteria(max_price=12_500),
        {"canal_loft", "jordaan_studio", "rotterdam_houseboat"},
    ),
    "price range": (
        SearchCriteria(min_price=10_000, max_price=15_000),
        {"canal_loft", "paris_flat", "rotterdam_houseboat"},
    ),
    "an amenity all have": (SearchCriteria(amenities=frozenset({"wifi"})), FINDABLE),
    "all of two amenities": (
        SearchCriteria(amenities=frozenset({"kitchen", "wifi"})),
        {"canal_loft", "paris_flat", "rotterdam_houseboat"},
    ),
    "an amenity with an underscore": (SearchCriteria(amenities=frozenset({"air_conditioning"})), {"paris_flat"}),
    "amenities no listing has together": (SearchCriteria(amenities=frozenset({"pool", "kitchen"})), set()),
    "instant book": (
        SearchCriteria(instant_book=True),
        {"canal_loft", "paris_flat", "rotterdam_houseboat"},
    ),
    "request to book": (SearchCriteria(instant_book=False), {"jordaan_studio", "nyc_penthouse"}),
    "area": (SearchCriteria(area=AMSTERDAM), {"canal_loft", "jordaan_studio"}),
    "small area": (SearchCriteria(area=Circle(52.37, 4.89, 1)), {"canal_loft"}),
    "large area": (
        SearchCriteria(area=Circle(52.37, 4.89, 100)),
        {"canal_loft", "jordaan_studio", "rotterdam_houseboat"},
    ),
    "city, guests and amenity": (
        SearchCriteria(city="Amsterdam", guests=3, amenities=frozenset({"kitchen"})),
        {"canal_loft"},
    ),
    "country and max price": (SearchCriteria(country="NL", max_price=10_000), {"jordaan_studio"}),
    "area, instant book and text": (
        SearchCriteria(area=Circle(52.37, 4.89, 100), instant_book=True, text="water"),
        {"rotterdam_houseboat"},
    ),
    "every filter at once": (
        SearchCriteria(
            city="amsterdam",
            country="NL",
            text="canal",
            stay=nights(1, 1),
            guests=4,
            min_price=12_000,
            max_price=13_000,
            amenities=frozenset({"kitchen"}),
            instant_book=True,
            area=AMSTERDAM,
        ),
        {"canal_loft"},
    ),
}


@pytest.mark.parametrize(("criteria", "expected"), FILTERS.values(), ids=FILTERS.keys())
def test_search_finds_exactly_the_active_listings_matching_every_filter(
    catalogue: Catalogue, criteria: SearchCriteria, expected: set[str]
) -> None:
    for sort in SearchSort:
        found = catalogue.search(replace(criteria, sort=sort))
        assert set(catalogue.names(found)) == expected
        assert found == catalogue.reference_search(replace(criteria, sort=sort))


def test_postgres_matches_words_from_their_start_where_the_reference_matches_inside_words(
    catalogue: Catalogue,
) -> None:
    found = set(catalogue.names(catalogue.search(SearchCriteria(text="house"))))
    if catalogue.store.dialect == "postgresql":
        assert found == {"rotterdam_houseboat"}
    else:
        assert found == {"rotterdam_houseboat", "nyc_penthouse"}


@pytest.mark.parametrize("text", ["canal & | ! ( ) :* <->", "canal's", "back\\slash canal", "'"])
def test_tsquery_syntax_in_the_text_is_searched_for_not_obeyed(catalogue: Catalogue, text: str) -> None:
    assert set(catalogue.names(catalogue.search(SearchCriteria(text=text)))) <= {"canal_loft", "jordaan_studio"}


def _ordered(catalogue: Catalogue, sort: SearchSort) -> list[str]:
    """The expected order, worked out by hand from the sort's rule rather than by the reference."""
    places = catalogue.places

    def key(name: str) -> tuple[Any, int]:
        place = places[name]
        value = {
            SearchSort.PRICE_ASC: place.price_per_night,
            SearchSort.PRICE_DESC: place.price_per_night,
            SearchSort.RATING: place.rating_avg or 0,
            SearchSort.NEWEST: place.created_at,
        }[sort]
        return value, place.id.int

    return sorted(FINDABLE, key=key, reverse=sort is not SearchSort.PRICE_ASC)


@pytest.mark.parametrize("sort", list(SearchSort))
def test_each_sort_orders_by_its_value_then_id(catalogue: Catalogue, sort: SearchSort) -> None:
    found = catalogue.names(catalogue.search(SearchCriteria(sort=sort)))
    assert found == _ordered(catalogue, sort)


def test_sorts_break_ties_by_id_in_the_sort_direction(catalogue: Catalogue) -> None:
    # The canal loft and the houseboat cost the same; the loft and the Paris flat rate the same.
    tied = sorted(["canal_loft", "rotterdam_houseboat"], key=lambda n: catalogue.places[n].id)
    by_price = catalogue.names(catalogue.search(SearchCriteria(sort=SearchSort.PRICE_ASC)))
    assert by_price[1:3] == tied
    by_price_desc = catalogue.names(catalogue.search(SearchCriteria(sort=SearchSort.PRICE_DESC)))
    assert by_price_desc[2:4] == tied[::-1]
    rated = sorted(["canal_loft", "paris_flat"], key=lambda n: catalogue.places[n].id, reverse=True)
    assert catalogue.names(catalogue.search(SearchCriteria(sort=SearchSort.RATING)))[1:3] == rated


def test_unrated_listings_rank_as_rated_zero(catalogue: Catalogue) -> None:
    found = catalogue.names(catalogue.search(SearchCriteria(sort=SearchSort.RATING)))
    assert found[-1] == "jordaan_studio"


@pytest.mark.parametrize("sort", list(SearchSort))
@pytest.mark.parametrize("page_size", [1, 2, 4])
def test_pages_visit_every_match_once_in_order(catalogue: Catalogue, sort: SearchSort, page_size: int) -> None:
    listings = catalogue.listings()
    visited: list[str] = []
    cursor = None
    for _ in range(10):
        page = listings.search(SearchCriteria(sort=sort), limit=page_size, cursor=cursor)
        assert len(page.items) <= page_size
        visited += catalogue.names(list(page.items))
        cursor = page.next_cursor
        if cursor is None:
            break
    assert visited == _ordered(catalogue, sort)


def test_limit_is_applied_by_the_database(catalogue: Catalogue) -> None:
    with recorded_statements(catalogue.engine) as statements:
        assert len(catalogue.search(SearchCriteria(), limit=2)) == 2
    assert len(statements) == 1 and "LIMIT" in statements[0]


@pytest.mark.parametrize("sort", list(SearchSort))
def test_paging_stays_stable_when_listings_are_added_between_pages(engine: sa.Engine, sort: SearchSort) -> None:
    store = Store(engine)
    host = store.user(is_host=True)
    rng = random.Random(7)

    def add_place() -> Property:
        created = NOW - timedelta(minutes=rng.randint(0, 30))
        return store.place(
            host,
            price_per_night=rng.choice([5_000, 10_000, 15_000]),
            rating_avg=rng.choice([None, Decimal("4.00"), Decimal("4.50")]),
            created_at=created,
            updated_at=created,
        )

    originals = {add_place().id for _ in range(12)}
    listings = Catalogue(engine, InMemoryStore(), {}).listings()
    visited: list[Property] = []
    cursor = None
    for fetch in range(20):
        page = listings.search(SearchCriteria(sort=sort), limit=3, cursor=cursor)
        visited += page.items
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
        if fetch < 3:  # new listings land before the cursor and after it
            add_place()
            add_place()
    keys = [(sort_value(place, sort), place.id) for place in visited]
    assert keys == sorted(keys, reverse=not ascending(sort))
    assert len(set(keys)) == len(keys)
    assert originals <= {place.id for place in visited}


@pytest.fixture
def calendar(store: Store) -> tuple[Store, User, dict[str, Property]]:
    """One listing per kind of booking, each booked from the 10th to the 15th of July."""
    guest, host = store.user(), store.user(is_host=True)
    booked: dict[str, dict[str, Any]] = {
        "confirmed": dict(status=BookingStatus.CONFIRMED, hold_expires_at=None),
        "live hold": dict(status=BookingStatus.PENDING, hold_expires_at=NOW + timedelta(minutes=1)),
        "live request": dict(status=BookingStatus.REQUESTED, hold_expires_at=NOW + timedelta(hours=1)),
        "hold without end": dict(status=BookingStatus.PENDING, hold_expires_at=None),
        "expired hold": dict(status=BookingStatus.PENDING, hold_expires_at=NOW),
        "expired request": dict(status=BookingStatus.REQUESTED, hold_expires_at=NOW - timedelta(minutes=1)),
        "cancelled": dict(status=BookingStatus.CANCELLED, hold_expires_at=None),
        "expired": dict(status=BookingStatus.EXPIRED, hold_expires_at=None),
        "declined": dict(status=BookingStatus.DECLINED, hold_expires_at=None),
    }
    places = {}
    for name, fields in booked.items():
        places[name] = store.place(host)
        store.booking(guest, places[name], 10, 15, **fields)
    places["free"] = store.place(host)
    return store, guest, places


HOLDING = {"confirmed", "live hold", "live request", "hold without end"}


def test_availability_leaves_out_listings_whose_dates_are_held_at_that_moment(
    calendar: tuple[Store, User, dict[str, Property]],
) -> None:
    store, _, places = calendar
    with store.uow() as uow:
        found = uow.properties.search(SearchCriteria(stay=nights(12, 5)), after=None, limit=100, now=NOW)
    names = {place.id: name for name, place in places.items()}
    assert {names[place.id] for place in found} == set(places) - HOLDING


@pytest.mark.parametrize(("check_in", "count"), [(5, 5), (15, 3), (1, 9)], ids=["ends", "starts", "before"])
def test_back_to_back_stays_do_not_overlap(
    calendar: tuple[Store, User, dict[str, Property]], check_in: int, count: int
) -> None:
    store, _, places = calendar
    with store.uow() as uow:
        found = uow.properties.search(SearchCriteria(stay=nights(check_in, count)), after=None, limit=100, now=NOW)
    assert len(found) == len(places)


def test_held_stays_lists_holding_bookings_overlapping_the_window(
    calendar: tuple[Store, User, dict[str, Property]],
) -> None:
    store, guest, places = calendar
    confirmed = places["confirmed"]
    store.booking(guest, confirmed, 1, 3, status=BookingStatus.CONFIRMED, hold_expires_at=None)
    store.booking(guest, confirmed, 20, 25, status=BookingStatus.CONFIRMED, hold_expires_at=None)
    ids = [place.id for place in places.values()]
    with store.uow() as uow:
        held = uow.bookings.held_stays(ids, july(2), july(21), NOW)
        assert uow.bookings.held_stays([], july(2), july(21), NOW) == {}
        assert uow.bookings.held_stays(ids, july(15), july(20), NOW) == {}
    assert held == {places[name].id: [Stay(july(10), july(15))] for name in HOLDING - {"confirmed"}} | {
        confirmed.id: [nights(1, 2), nights(10, 5), nights(20, 5)]
    }


def test_holds_dates_from_looks_at_current_and_future_holding_bookings(
    calendar: tuple[Store, User, dict[str, Property]],
) -> None:
    store, _, places = calendar
    with store.uow() as uow:
        for name, place in places.items():
            assert uow.bookings.holds_dates_from(place.id, july(14), NOW) is (name in HOLDING)
            assert uow.bookings.holds_dates_from(place.id, july(15), NOW) is False
        expired_by_then = uow.bookings.holds_dates_from(places["live hold"].id, july(1), NOW + timedelta(hours=1))
        assert expired_by_then is False


def test_get_many_returns_the_users_that_exist(store: Store) -> None:
    users = [store.user() for _ in range(3)]
    with store.uow() as uow:
        found = uow.users.get_many([users[0].id, users[2].id, uuid.uuid4(), users[0].id])
        assert uow.users.get_many([]) == {}
    assert found == {users[0].id: users[0], users[2].id: users[2]}


def _reviews(store: Store, place: Property, created: list[int]) -> list[Review]:
    """Reviews of ``place`` written ``created`` minutes after NOW; equal minutes tie."""
    guest = store.user()
    reviews = []
    for day, minutes in enumerate(created, start=1):
        booking = store.booking(guest, place, day, day + 1, status=BookingStatus.CONFIRMED, hold_expires_at=None)
        reviews.append(store.review(booking, created_at=NOW + timedelta(minutes=minutes)))
    return reviews


def _newest_first(reviews: list[Review]) -> list[Review]:
    return sorted(reviews, key=lambda r: (r.created_at, r.id), reverse=True)


def test_reviews_of_a_property_come_newest_first_in_pages(store: Store) -> None:
    place = store.place(store.user())
    reviews = _newest_first(_reviews(store, place, [0, 5, 5, 5, 9, 2, 5]))
    _reviews(store, store.place(store.user()), [3, 7])
    pages: list[Review] = []
    after = None
    with store.uow() as uow:
        while page := uow.reviews.list_for_property(place.id, limit=2, after=after):
            pages += page
            after = (page[-1].created_at, page[-1].id)
        assert uow.reviews.list_for_property(uuid.uuid4(), limit=5, after=None) == []
    assert pages == reviews


def test_recent_reviews_of_many_properties_come_in_one_query(engine: sa.Engine) -> None:
    store = Store(engine)
    places = [store.place(store.user()) for _ in range(3)]
    first = _reviews(store, places[0], [0, 5, 5, 9])
    second = _reviews(store, places[1], [1])
    with recorded_statements(engine) as statements, store.uow() as uow:
        recent = uow.reviews.recent_for_properties([p.id for p in places] + [uuid.uuid4()], 2)
    assert len(statements) == 1
    assert recent == {places[0].id: _newest_first(first)[:2], places[1].id: second}
    with store.uow() as uow:
        assert uow.reviews.recent_for_properties([], 2) == {}


# The cross-check: random listings, bookings and criteria, SQL against the in-memory reference.

# No word is a substring of another, so a word is found inside the text exactly when it is one
# of the text's words: PostgreSQL's word match and the reference's substring match then agree.
WORDS = ("amber", "birch", "cedar", "dune", "fjord", "grove", "harbor", "iris", "juniper", "kelp", "lagoon", "moss")
CITIES = {"Lisbon": "PT", "Porto": "PT", "Oslo": "NO", "Bergen": "NO"}
AMENITY_POOL = ("wifi", "kitchen", "pool", "air_conditioning", "pets_allowed")


def _random_world(rng: random.Random) -> tuple[list[User], list[Property], list[Booking]]:
    users = [
        a_user(name=f"User {i}", email=f"user{i}-{rng.getrandbits(32)}@example.com", is_host=True, created_at=NOW)
        for i in range(6)
    ]
    users[0].is_active = False

    def text(count: int) -> str:
        return " ".join(rng.choice([w, w.upper(), w.title()]) for w in rng.choices(WORDS, k=count))

    places = []
    for _ in range(40):
        city = rng.choice(list(CITIES))
        created = NOW - timedelta(days=rng.randint(0, 8))
        min_nights = rng.randint(1, 3)
        places.append(
            a_property(
                host=rng.choice(users),
                title=text(rng.randint(1, 3)),
                description=text(rng.randint(0, 5)),
                location=f"{rng.randint(1, 99)} {text(1)}",
                city=rng.choice([city, city.lower(), city.upper()]),
                country=CITIES[city],
                latitude=38.7 + rng.uniform(-0.3, 0.3),
                longitude=-9.1 + rng.uniform(-0.3, 0.3),
                price_per_night=rng.choice([5_000, 7_500, 10_000, 12_500, 20_000]),
                max_guests=rng.randint(1, 6),
                created_at=created,
                min_nights=min_nights,
                max_nights=rng.choice([min_nights, 3, 7, 30]),
                instant_book=rng.random() < 0.5,
                amenities=tuple(sorted(rng.sample(AMENITY_POOL, rng.randint(0, 4)))),
                is_active=rng.random() < 0.9,
                rating_avg=rng.choice([None, Decimal("3.50"), Decimal("4.00"), Decimal("4.50"), Decimal("5.00")]),
            )
        )
    bookings = []
    for place in places:
        day = july(1) + timedelta(days=rng.randint(0, 5))
        for _ in range(rng.randint(0, 3)):
            status = rng.choice(list(BookingStatus))
            holds = (None, NOW - timedelta(minutes=1), NOW + timedelta(minutes=1))
            stay = Stay(day, day + timedelta(days=rng.randint(1, 6)))
            bookings.append(_booking(rng.choice(users), place, stay, status, rng.choice(holds)))
            if rng.random() < 0.2:  # a cancelled booking may overlap anything
                bookings.append(_booking(users[1], place, stay, BookingStatus.CANCELLED, None))
            day = stay.check_out + timedelta(days=rng.randint(0, 4))
    return users, places, bookings


def _booking(guest: User, place: Property, stay: Stay, status: BookingStatus, hold: Any) -> Booking:
    return a_booking(guest=guest, place=place, stay=stay, status=status, hold_expires_at=hold, created_at=NOW)


def _random_criteria(rng: random.Random) -> SearchCriteria:
    def maybe(make: Callable[[], Any], chance: float = 0.3) -> Any:
        return make() if rng.random() < chance else None

    prices = sorted(rng.sample([0, 5_000, 7_500, 10_000, 12_500, 15_000, 20_000], 2))
    check_in = july(rng.randint(1, 25))
    return SearchCriteria(
        city=maybe(lambda: rng.choice([*CITIES, "LISBON", "bergen", "Faro"])),
        country=maybe(lambda: rng.choice(["PT", "no", "SE"])),
        text=maybe(lambda: " ".join(rng.choice([w, w.upper()]) for w in rng.sample(WORDS, rng.randint(1, 2)))),
        stay=maybe(lambda: Stay(check_in, check_in + timedelta(days=rng.randint(1, 6))), 0.5),
        guests=maybe(lambda: rng.randint(1, 6)),
        min_price=maybe(lambda: prices[0]),
        max_price=maybe(lambda: prices[1]),
        amenities=frozenset(maybe(lambda: rng.sample(AMENITY_POOL, rng.randint(1, 2))) or ()),
        instant_book=maybe(lambda: rng.random() < 0.5),
        area=maybe(lambda: Circle(38.7 + rng.uniform(-0.3, 0.3), -9.1 + rng.uniform(-0.3, 0.3), rng.uniform(1, 40))),
        sort=rng.choice(list(SearchSort)),
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_search_returns_what_the_in_memory_reference_returns(engine: sa.Engine, seed: int) -> None:
    rng = random.Random(seed)
    users, places, bookings = _random_world(rng)
    catalogue = Catalogue(engine, mirror(Store(engine), users, places, bookings), {})
    non_empty = 0
    for _ in range(60):
        criteria = _random_criteria(rng)
        expected = catalogue.reference_search(criteria)
        assert catalogue.search(criteria) == expected, criteria
        non_empty += bool(expected)
        limit, after = rng.randint(1, 5), None
        for start in range(0, len(expected) + 1, limit):
            page = catalogue.search(criteria, after=after, limit=limit)
            assert page == expected[start : start + limit], (criteria, start)
            if page:
                after = (sort_value(page[-1], criteria.sort), page[-1].id)
    assert non_empty >= 20  # the criteria are not so narrow that the check is vacuous


def test_the_cross_check_vocabulary_has_no_word_inside_another() -> None:
    assert not [(a, b) for a in WORDS for b in WORDS if a != b and a in b]


@pytest.mark.parametrize("seed", [4, 5])
def test_the_read_side_answers_what_the_in_memory_reference_answers(engine: sa.Engine, seed: int) -> None:
    """The query port's database adapters (psycopg's async pool on PostgreSQL, the engine on a thread on both)
    give the views the reference's entities make: the same listings and pages, the same fields."""
    rng = random.Random(seed)
    users, places, bookings = _random_world(rng)
    catalogue = Catalogue(engine, mirror(Store(engine), users, places, bookings), {})
    reference = UnitOfWorkListingQueries(lambda: InMemoryUnitOfWork(catalogue.reference))
    adapters: list[ListingQueries] = [SqlAlchemyListingQueries(engine)]
    if engine.dialect.name == "postgresql":
        adapters.append(PsycopgListingQueries(engine.url.render_as_string(hide_password=False)))

    async def cross_check() -> int:
        non_empty = 0
        for _ in range(40):
            criteria = _random_criteria(rng)
            expected = await reference.search(criteria, after=None, limit=100, now=NOW)
            non_empty += bool(expected)
            limit = rng.randint(1, 5)
            after = (
                (sort_value(expected[limit - 1], criteria.sort), expected[limit - 1].id)
                if len(expected) > limit
                else None
            )
            rest = await reference.search(criteria, after=after, limit=limit, now=NOW)
            for queries in adapters:
                assert await queries.search(criteria, after=None, limit=100, now=NOW) == expected, criteria
                assert await queries.search(criteria, after=after, limit=limit, now=NOW) == rest, criteria
        for place in places:
            expected_page = await reference.public_property(place.id)
            for queries in adapters:
                assert await queries.public_property(place.id) == expected_page
        assert await adapters[-1].public_property(uuid.uuid4()) is None
        for queries in adapters:
            if isinstance(queries, PsycopgListingQueries):
                await queries.close()
        return non_empty

    assert asyncio.run(cross_check()) >= 15  # the criteria are not so narrow that the check is vacuous
