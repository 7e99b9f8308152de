"""The unit of work writes the events of a change to the outbox with it, then runs the after-commit handlers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from airbnb_core.domain.errors import EmailTaken, InvalidInput
from airbnb_core.domain.events import ListingChanged, OutboxMessage, ProfileChanged, UserDeactivated
from airbnb_core.domain.users import User
from airbnb_core.inmemory import (
    FixedClock,
    InMemoryPlatform,
    InMemoryUnitOfWork,
    ScryptPasswordHasher,
    in_memory_platform,
)
from airbnb_core.ports.cache import PROFILES_SCOPE, property_scope
from airbnb_core.services.accounts import RegisterUser, UpdateProfile
from airbnb_core.services.handlers import invalidate_cache
from airbnb_core.services.listings import PropertyChanges, PropertyDraft
from tests.builders import a_user

NOW = datetime(2030, 3, 1, 12, tzinfo=UTC)


class RecordingCache:
    """A cache invalidator that keeps each call's scopes."""

    def __init__(self) -> None:
        self.invalidations: list[tuple[str, ...]] = []

    def invalidate(self, *scopes: str) -> None:
        self.invalidations.append(scopes)


@pytest.fixture
def cache() -> RecordingCache:
    return RecordingCache()


@pytest.fixture
def platform(cache: RecordingCache) -> InMemoryPlatform:
    return in_memory_platform(clock=FixedClock(NOW), hasher=ScryptPasswordHasher(n=2**8), cache=cache)


def a_host(platform: InMemoryPlatform) -> User:
    return platform.services.accounts.register(RegisterUser("Hana", "hana@example.com", "a-long-password", True))


DRAFT = PropertyDraft("Sunny loft", "1 Rue de Rivoli", "Paris", "FR", 48.86, 2.35, 12_000, "EUR", 3)


def test_a_committed_change_writes_its_event_to_the_outbox_and_invalidates_the_cache_once(
    platform: InMemoryPlatform, cache: RecordingCache
) -> None:
    host = a_host(platform)
    place = platform.services.listings.create(host, DRAFT)

    [message] = platform.store.outbox
    assert (message.topic, message.payload, message.created_at, message.processed_at) == (
        "ListingChanged",
        {"property_id": str(place.id)},
        NOW,
        None,
    )
    assert cache.invalidations == [(property_scope(place.id),)]


def test_a_change_that_is_refused_writes_and_invalidates_nothing(
    platform: InMemoryPlatform, cache: RecordingCache
) -> None:
    host = a_host(platform)
    place = platform.services.listings.create(host, DRAFT)
    before, cache.invalidations = list(platform.store.outbox), []

    with pytest.raises(InvalidInput):
        platform.services.listings.update(host, place.id, PropertyChanges(min_nights=400))

    assert platform.store.outbox == before
    assert cache.invalidations == []


def test_a_rolled_back_unit_of_work_writes_no_outbox_message_and_runs_no_handler(platform: InMemoryPlatform) -> None:
    told: list[object] = []
    uow = InMemoryUnitOfWork(platform.store)
    uow.handlers = [told.append]

    with pytest.raises(RuntimeError), uow:
        uow.record(ListingChanged(uuid.uuid4()))
        raise RuntimeError("the use case fails before committing")
    with uow:  # an event recorded and rolled back is not carried into the next transaction
        uow.commit()

    assert platform.store.outbox == []
    assert told == []


def test_a_commit_the_store_refuses_writes_no_outbox_message_and_runs_no_handler(platform: InMemoryPlatform) -> None:
    told: list[object] = []
    uow = InMemoryUnitOfWork(platform.store)
    uow.handlers = [told.append]
    twin = a_user(email="ann@example.com")

    with pytest.raises(EmailTaken), uow:
        uow.users.add(twin)
        uow.users.add(a_user(email="ann@example.com"))
        uow.record(ProfileChanged(twin.id))
        uow.commit()

    assert platform.store.outbox == []
    assert told == []


def test_handlers_get_the_events_of_one_commit_together_and_one_failing_does_not_undo_it(
    platform: InMemoryPlatform,
) -> None:
    told: list[list[str]] = []

    def failing(events: object) -> None:
        raise RuntimeError("the cache is down")

    uow = InMemoryUnitOfWork(platform.store)
    uow.handlers = [failing, lambda events: told.append([type(e).__name__ for e in events])]
    first, second = uuid.uuid4(), uuid.uuid4()
    with uow:
        uow.record(ListingChanged(first), ListingChanged(second))
        uow.commit()

    assert told == [["ListingChanged", "ListingChanged"]]
    assert [m.payload for m in platform.store.outbox] == [{"property_id": str(first)}, {"property_id": str(second)}]


def test_one_invalidation_covers_every_scope_the_events_of_a_commit_make_stale(cache: RecordingCache) -> None:
    place, user = uuid.uuid4(), uuid.uuid4()

    invalidate_cache(cache)([ListingChanged(place), ProfileChanged(user), UserDeactivated(user), ListingChanged(place)])

    assert cache.invalidations == [(property_scope(place), PROFILES_SCOPE)]


def test_profile_changes_and_deactivations_invalidate_the_answers_that_show_profiles(
    platform: InMemoryPlatform, cache: RecordingCache
) -> None:
    host = a_host(platform)
    admin, _ = platform.services.accounts.create_admin(RegisterUser("Root", "root@example.com", "a-long-password"))

    platform.services.accounts.update_profile(host, UpdateProfile(name="Hana B."))
    platform.services.accounts.deactivate(admin, host.id)

    assert cache.invalidations == [(PROFILES_SCOPE,), (PROFILES_SCOPE,)]
    assert [(m.topic, m.payload) for m in platform.store.outbox] == [
        ("ProfileChanged", {"user_id": str(host.id)}),
        ("UserDeactivated", {"user_id": str(host.id)}),
    ]


def test_outbox_payloads_are_json_values() -> None:
    message = OutboxMessage.of(ListingChanged(uuid.UUID(int=7)), NOW)
    assert message.payload == {"property_id": "00000000-0000-0000-0000-000000000007"}
    assert message.topic == "ListingChanged" and message.created_at == NOW
