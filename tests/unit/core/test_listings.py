import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from adapters.cache import InMemoryResponseCache
from airbnb_core.domain.bookings import BookingStatus
from airbnb_core.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from airbnb_core.domain.reviews import Review
from airbnb_core.domain.search import Circle, SearchCriteria, SearchSort
from airbnb_core.domain.stay import Stay
from airbnb_core.domain.users import User
from airbnb_core.inmemory import (
    FixedClock,
    InMemoryPlatform,
    InMemoryUnitOfWork,
    ScryptPasswordHasher,
    in_memory_platform,
)
from airbnb_core.ports.cache import property_scope
from airbnb_core.services.accounts import RegisterUser
from airbnb_core.services.listings import PropertyChanges, PropertyDraft
from tests.builders import a_booking

NOW = datetime(2030, 3, 1, 12, tzinfo=UTC)


@pytest.fixture
def platform() -> InMemoryPlatform:
    # The web edge's in-process cache, to show which cached answers each write makes unreachable.
    return in_memory_platform(clock=FixedClock(NOW), hasher=ScryptPasswordHasher(n=2**8), cache=InMemoryResponseCache())


def person(platform: InMemoryPlatform, name: str, *, host: bool = False) -> User:
    return platform.services.accounts.register(
        RegisterUser(name, f"{name.lower()}@example.com", "a-long-password", host)
    )


def draft(**overrides: object) -> PropertyDraft:
    fields: dict[str, object] = dict(
        title="Sunny loft",
        location="1 Rue de Rivoli",
        city="Paris",
        country="fr",
        latitude=48.8566,
        longitude=2.3522,
        price_per_night=12_000,
        currency="EUR",
        max_guests=3,
        timezone="Europe/Paris",
        amenities=("wifi", "kitchen", "wifi"),
    )
    fields.update(overrides)
    return PropertyDraft(**fields)  # type: ignore[arg-type]


def hold(platform: InMemoryPlatform, property_id: uuid.UUID, start: date, end: date, **overrides: object) -> None:
    guest = person(platform, f"G{uuid.uuid4().hex[:6]}")
    booking = a_booking(guest=guest, property_id=property_id, stay=Stay(start, end), created_at=NOW, **overrides)
    with InMemoryUnitOfWork(platform.store) as uow:
        uow.bookings.add(booking)
        uow.commit()


def test_hosts_create_listings_with_normalized_fields(platform: InMemoryPlatform) -> None:
    host = person(platform, "Hana", host=True)
    place = platform.services.listings.create(host, draft())
    assert (place.host_id, place.country, place.amenities) == (host.id, "FR", ("kitchen", "wifi"))
    assert place.is_active and place.review_count == 0 and place.rating_avg is None


def test_guests_cannot_list_and_invalid_fields_are_all_reported(platform: InMemoryPlatform) -> None:
    with pytest.raises(Forbidden):
        platform.services.listings.create(person(platform, "Gus"), draft())
    host = person(platform, "Hana", host=True)
    with pytest.raises(InvalidInput) as err:
        platform.services.listings.create(
            host, draft(title="", currency="XXX", max_guests=0, cancellation_policy="lenient")
        )
    assert {e.field for e in err.value.errors} == {"cancellation_policy"}
    with pytest.raises(InvalidInput) as err:
        platform.services.listings.create(host, draft(title="", currency="XXX", max_guests=0))
    assert {e.field for e in err.value.errors} == {"title", "currency", "max_guests"}


def test_only_the_owner_or_an_admin_may_change_a_listing(platform: InMemoryPlatform) -> None:
    host, other = person(platform, "Hana", host=True), person(platform, "Olga", host=True)
    place = platform.services.listings.create(host, draft())
    with pytest.raises(Forbidden):
        platform.services.listings.update(other, place.id, PropertyChanges(price_per_night=1))
    admin, _ = platform.services.accounts.create_admin(RegisterUser("Root", "root@example.com", "a-long-password"))
    updated = platform.services.listings.update(
        admin, place.id, PropertyChanges(price_per_night=9_000, instant_book=True)
    )
    assert (updated.price_per_night, updated.instant_book, updated.title) == (9_000, True, "Sunny loft")
    with pytest.raises(NotFound):
        platform.services.listings.update(host, uuid.uuid4(), PropertyChanges())
    with pytest.raises(InvalidInput):
        platform.services.listings.update(host, place.id, PropertyChanges(min_nights=400))


def test_deactivation_is_refused_while_bookings_are_upcoming(platform: InMemoryPlatform) -> None:
    host = person(platform, "Hana", host=True)
    place = platform.services.listings.create(host, draft())
    hold(platform, place.id, date(2030, 4, 1), date(2030, 4, 5))
    with pytest.raises(Conflict):
        platform.services.listings.deactivate(host, place.id)
    with pytest.raises(Conflict):
        platform.services.listings.update(host, place.id, PropertyChanges(is_active=False))
    past = platform.services.listings.create(host, draft())
    hold(platform, past.id, date(2030, 1, 1), date(2030, 1, 5))
    platform.services.listings.deactivate(host, past.id)
    with pytest.raises(NotFound):
        platform.services.listings.details(past.id)
    assert platform.services.listings.details(past.id, viewer=host).place.is_active is False


def test_details_show_the_host_and_hide_listings_of_deactivated_hosts(platform: InMemoryPlatform) -> None:
    host = person(platform, "Hana", host=True)
    place = platform.services.listings.create(host, draft())
    assert platform.services.listings.details(place.id).host.name == "Hana"
    admin, _ = platform.services.accounts.create_admin(RegisterUser("Root", "root@example.com", "a-long-password"))
    platform.services.accounts.deactivate(admin, host.id)
    with pytest.raises(NotFound):
        platform.services.listings.details(place.id)
    assert platform.services.listings.search(SearchCriteria(), limit=10).items == []


def test_availability_merges_and_clips_held_stays_and_ignores_lapsed_holds(platform: InMemoryPlatform) -> None:
    host = person(platform, "Hana", host=True)
    place = platform.services.listings.create(host, draft())
    hold(platform, place.id, date(2030, 3, 1), date(2030, 3, 5))
    hold(platform, place.id, date(2030, 3, 5), date(2030, 3, 8))
    hold(platform, place.id, date(2030, 3, 20), date(2030, 3, 22), status=BookingStatus.PENDING,
         hold_expires_at=NOW - timedelta(minutes=1))  # fmt: skip
    hold(platform, place.id, date(2030, 3, 25), date(2030, 3, 27), status=BookingStatus.CANCELLED)
    assert platform.services.listings.availability(place.id, date(2030, 3, 3), date(2030, 4, 1)) == [
        Stay(date(2030, 3, 3), date(2030, 3, 8))
    ]
    with pytest.raises(InvalidInput):
        platform.services.listings.availability(place.id, date(2030, 3, 3), date(2031, 3, 5))
    with pytest.raises(InvalidInput):
        platform.services.listings.availability(place.id, date(2030, 3, 3), date(2030, 3, 3))


def test_search_filters_sorts_and_pages_through_every_match_once(platform: InMemoryPlatform) -> None:
    host = person(platform, "Hana", host=True)
    cheap = platform.services.listings.create(host, draft(price_per_night=5_000, amenities=("wifi",)))
    platform.clock.advance(timedelta(seconds=1))  # type: ignore[union-attr]
    pricey = platform.services.listings.create(host, draft(price_per_night=30_000, instant_book=True, max_guests=6))
    platform.clock.advance(timedelta(seconds=1))  # type: ignore[union-attr]
    lyon = platform.services.listings.create(
        host, draft(city="Lyon", latitude=45.76, longitude=4.84, description="quiet")
    )
    search = platform.services.listings.search

    def ids(criteria: SearchCriteria, limit: int = 10) -> list[uuid.UUID]:
        return [p.id for p in search(criteria, limit=limit).items]

    assert ids(SearchCriteria(city="PARIS", sort=SearchSort.PRICE_ASC)) == [cheap.id, pricey.id]
    assert ids(SearchCriteria(sort=SearchSort.PRICE_DESC)) == [pricey.id, lyon.id, cheap.id]
    assert ids(SearchCriteria()) == [lyon.id, pricey.id, cheap.id]
    assert ids(SearchCriteria(guests=5)) == [pricey.id]
    assert ids(SearchCriteria(min_price=6_000, max_price=20_000)) == [lyon.id]
    assert ids(SearchCriteria(amenities=frozenset({"wifi", "kitchen"}))) == [lyon.id, pricey.id]
    assert ids(SearchCriteria(instant_book=True)) == [pricey.id]
    assert ids(SearchCriteria(text="Quiet")) == [lyon.id]
    assert ids(SearchCriteria(area=Circle(48.85, 2.35, 10))) == [pricey.id, cheap.id]
    hold(platform, cheap.id, date(2030, 5, 1), date(2030, 5, 4))
    assert ids(SearchCriteria(stay=Stay(date(2030, 5, 3), date(2030, 5, 6)))) == [lyon.id, pricey.id]
    assert ids(SearchCriteria(stay=Stay(date(2030, 5, 4), date(2030, 5, 6)))) == [lyon.id, pricey.id, cheap.id]

    for sort in SearchSort:
        seen, cursor = [], None
        while True:
            page = search(SearchCriteria(sort=sort), limit=1, cursor=cursor)
            seen += [p.id for p in page.items]
            if not (cursor := page.next_cursor):
                break
        assert sorted(seen) == sorted([cheap.id, pricey.id, lyon.id]) and len(seen) == 3
    first = search(SearchCriteria(sort=SearchSort.NEWEST), limit=1)
    with pytest.raises(InvalidInput):
        search(SearchCriteria(sort=SearchSort.PRICE_ASC), limit=1, cursor=first.next_cursor)


@pytest.mark.parametrize(
    "criteria",
    [
        dict(guests=0),
        dict(min_price=-1),
        dict(min_price=10, max_price=5),
        dict(area=Circle(91, 0, 5)),
        dict(area=Circle(0, 0, 0)),
        dict(text="x" * 201),
    ],
)
def test_nonsense_search_criteria_are_refused(criteria: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        SearchCriteria(**criteria)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("parameters", "errors"),
    [
        (dict(check_in=date(2030, 5, 1)), [("check_out", "is required with check_in")]),
        (dict(check_out=date(2030, 5, 1)), [("check_in", "is required with check_out")]),
        (dict(lat=43.7, radius_km=5), [("lng", "lat, lng and radius_km go together")]),
        (
            dict(radius_km=5),
            [("lat", "lat, lng and radius_km go together"), ("lng", "lat, lng and radius_km go together")],
        ),
    ],
)
def test_search_parameters_that_go_together_are_refused_alone(
    parameters: dict[str, object], errors: list[tuple[str, str]]
) -> None:
    with pytest.raises(InvalidInput) as err:
        SearchCriteria.from_parameters(**parameters)  # type: ignore[arg-type]
    assert [(e.field, e.message) for e in err.value.errors] == errors


def test_search_parameters_become_a_stay_an_area_and_a_set_of_amenities() -> None:
    criteria = SearchCriteria.from_parameters(
        q="loft", check_in=date(2030, 5, 1), check_out=date(2030, 5, 3), lat=1.0, lng=2.0, radius_km=3.0,
        amenities=["wifi", "pool", "wifi"], sort=SearchSort.RATING,
    )  # fmt: skip
    assert criteria == SearchCriteria(
        text="loft", stay=Stay(date(2030, 5, 1), date(2030, 5, 3)), area=Circle(1.0, 2.0, 3.0),
        amenities=frozenset({"wifi", "pool"}), sort=SearchSort.RATING,
    )  # fmt: skip


def test_reviews_are_listed_newest_first_with_their_authors(platform: InMemoryPlatform) -> None:
    host, guest = person(platform, "Hana", host=True), person(platform, "Gus")
    place = platform.services.listings.create(host, draft())
    with InMemoryUnitOfWork(platform.store) as uow:
        for i in range(5):
            uow.reviews.add(Review(uuid.uuid4(), uuid.uuid4(), guest.id, place.id, 1 + i % 5, f"stay {i}",
                                   NOW + timedelta(days=i)))  # fmt: skip
        uow.commit()
    first = platform.services.listings.reviews(place.id, limit=3)
    assert [r.review.comment for r in first.items] == ["stay 4", "stay 3", "stay 2"]
    assert first.items[0].author is not None and first.items[0].author.name == "Gus"
    rest = platform.services.listings.reviews(place.id, limit=3, cursor=first.next_cursor)
    assert [r.review.comment for r in rest.items] == ["stay 1", "stay 0"] and rest.next_cursor is None
    recent = platform.services.listings.recent_reviews([place.id], 2)
    assert [r.comment for r in recent[place.id]] == ["stay 4", "stay 3"]


def test_every_listing_write_invalidates_its_cached_answers(platform: InMemoryPlatform) -> None:
    host = person(platform, "Hana", host=True)
    place = platform.services.listings.create(host, draft())
    scopes = [property_scope(place.id)]
    before = platform.cache.versioned_key("k", scopes)
    platform.services.listings.update(host, place.id, PropertyChanges(title="New title"))
    after_update = platform.cache.versioned_key("k", scopes)
    platform.services.listings.deactivate(host, place.id)
    assert len({before, after_update, platform.cache.versioned_key("k", scopes)}) == 3
