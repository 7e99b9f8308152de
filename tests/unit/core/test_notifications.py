"""Notifications on the in-memory platform: relayed from the outbox after commit, delivered once per recipient."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from airbnb_core.domain.errors import NotFound
from airbnb_core.domain.stay import Stay
from airbnb_core.domain.users import User
from airbnb_core.inmemory import (
    FixedClock,
    InMemoryPlatform,
    RecordingNotifier,
    ScryptPasswordHasher,
    in_memory_platform,
)
from airbnb_core.services.accounts import RegisterUser
from airbnb_core.services.bookings import RequestBooking
from airbnb_core.services.listings import PropertyDraft

NOW = datetime(2030, 3, 1, 12, tzinfo=UTC)
STAY = Stay(date(2030, 4, 1), date(2030, 4, 8))


@pytest.fixture
def platform() -> InMemoryPlatform:
    return in_memory_platform(clock=FixedClock(NOW), hasher=ScryptPasswordHasher(n=2**8))


@pytest.fixture
def sent(platform: InMemoryPlatform) -> RecordingNotifier:
    assert isinstance(platform.notifier, RecordingNotifier)
    return platform.notifier


def person(platform: InMemoryPlatform, name: str, *, host: bool = False) -> User:
    return platform.services.accounts.register(RegisterUser(name, f"{name}@example.com", "a-long-password", host))


def a_place(platform: InMemoryPlatform, host: User) -> uuid.UUID:
    draft = PropertyDraft(
        title="Loft", location="1 Quay", city="Lyon", country="FR", latitude=45.76, longitude=4.84,
        price_per_night=10_000, currency="EUR", max_guests=3, cancellation_policy="flexible",
    )  # fmt: skip
    return platform.services.listings.create(host, draft).id


def test_a_cancellation_tells_the_guest_and_the_host_right_after_it_commits(
    platform: InMemoryPlatform, sent: RecordingNotifier
) -> None:
    hana, ana = person(platform, "hana", host=True), person(platform, "ana")
    booking = platform.services.bookings.request(ana, RequestBooking(a_place(platform, hana), STAY, 2)).booking
    assert sent.sent == []  # a hold is no news
    platform.services.bookings.cancel(ana, booking.id)
    assert sorted((n.to_email, n.subject) for n in sent.sent) == [
        ("ana@example.com", "Booking cancelled: Loft"),
        ("hana@example.com", "Booking cancelled: Loft"),
    ]
    assert all(str(booking.id) in "\n".join(n.lines) for n in sent.sent)
    assert all(m.processed_at is not None for m in platform.store.outbox)


def test_relaying_again_sends_nothing_twice(platform: InMemoryPlatform, sent: RecordingNotifier) -> None:
    hana, ana = person(platform, "hana", host=True), person(platform, "ana")
    booking = platform.services.bookings.request(ana, RequestBooking(a_place(platform, hana), STAY, 2)).booking
    platform.services.bookings.cancel(ana, booking.id)
    # As if the relay had crashed before its commit: the messages are unprocessed again.
    platform.store.outbox = [m.__class__(m.id, m.topic, m.payload, m.created_at) for m in platform.store.outbox]
    assert platform.services.notifications.relay() == len(platform.store.outbox)
    assert len(sent.sent) == 2 and len({n.message_id for n in sent.sent}) == 2


def test_a_notification_delivered_twice_is_sent_once(platform: InMemoryPlatform, sent: RecordingNotifier) -> None:
    hana, ana = person(platform, "hana", host=True), person(platform, "ana")
    booking = platform.services.bookings.request(ana, RequestBooking(a_place(platform, hana), STAY, 2)).booking
    platform.services.bookings.cancel(ana, booking.id)
    assert not platform.services.notifications.deliver(sent.sent[0])
    assert len(sent.sent) == 2


def test_a_rolled_back_change_tells_no_one(platform: InMemoryPlatform, sent: RecordingNotifier) -> None:
    hana, ana, ben = person(platform, "hana", host=True), person(platform, "ana"), person(platform, "ben")
    booking = platform.services.bookings.request(ana, RequestBooking(a_place(platform, hana), STAY, 2)).booking
    with pytest.raises(NotFound):
        platform.services.bookings.cancel(ben, booking.id)  # not his booking: nothing is committed
    platform.services.notifications.relay()
    assert sent.sent == []
