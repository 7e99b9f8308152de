"""The Idempotency-Key wrapper on its own: what it keeps, what it gives back, and when it runs the work again."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from msgspec import Struct

from adapters.http.idempotency import (
    IdempotencyKeyInUse,
    IdempotencyKeyReused,
    IdempotentRequest,
    fingerprint,
    valid_key,
)
from airbnb_core.domain.errors import Conflict, ServiceUnavailable, Unauthenticated
from airbnb_core.inmemory import InMemoryIdempotencyStore
from airbnb_core.ports.idempotency import StoredResponse

USER = uuid.uuid4()


class Made(Struct):
    n: int


class Counter:
    def __init__(self) -> None:
        self.runs = 0

    def __call__(self) -> Made:
        self.runs += 1
        return Made(self.runs)


def request(
    store: InMemoryIdempotencyStore, key: str | None = "k", body: bytes = b"{}", wait: float = 1.0
) -> IdempotentRequest:
    return IdempotentRequest(
        store,
        user_id=USER,
        key=key,
        fingerprint=fingerprint("POST", "/api/v1/bookings", body),
        status_code=201,
        wait_seconds=wait,
    )


def test_the_second_request_gets_the_first_answer_without_running() -> None:
    store, work = InMemoryIdempotencyStore(), Counter()
    first = request(store).respond(work)
    second = request(store).respond(work)
    assert (first.status_code, first.content, first.media_type) == (201, b'{"n":1}', "application/json")
    assert (second.status_code, second.content, second.headers["Idempotent-Replayed"]) == (201, b'{"n":1}', "true")
    assert work.runs == 1


def test_without_a_key_the_work_always_runs() -> None:
    store, work = InMemoryIdempotencyStore(), Counter()
    assert [request(store, key=None).respond(work).content for _ in range(2)] == [Made(1), Made(2)]


def test_another_body_under_the_key_is_refused() -> None:
    store, work = InMemoryIdempotencyStore(), Counter()
    request(store).respond(work)
    with pytest.raises(IdempotencyKeyReused):
        request(store, body=b'{"other": 1}').respond(work)
    assert work.runs == 1


def test_a_refusal_of_the_use_case_is_kept_as_a_problem() -> None:
    store = InMemoryIdempotencyStore()

    def conflict() -> Made:
        raise Conflict("taken", code="booking_conflict")

    first = request(store).respond(conflict)
    assert (first.status_code, first.media_type) == (409, "application/problem+json")
    assert b'"code":"booking_conflict"' in first.content
    assert request(store).respond(Counter()).content == first.content


@pytest.mark.parametrize("failure", [ServiceUnavailable("down"), Unauthenticated("who?"), RuntimeError("bug")])
def test_a_failure_of_the_moment_gives_the_key_up(failure: Exception) -> None:
    store = InMemoryIdempotencyStore()

    def fail() -> Made:
        raise failure

    with pytest.raises(type(failure)):
        request(store).respond(fail)
    assert store.find(USER, "k") is None
    assert request(store).respond(Counter()).status_code == 201


def test_a_duplicate_waits_for_the_first_answer() -> None:
    store, started, finish = InMemoryIdempotencyStore(), threading.Event(), threading.Event()

    def slow() -> Made:
        started.set()
        finish.wait(5)
        return Made(7)

    first = threading.Thread(target=lambda: request(store).respond(slow))
    first.start()
    started.wait(5)
    threading.Timer(0.2, finish.set).start()
    replayed = request(store, wait=5).respond(Counter())
    first.join()
    assert (replayed.status_code, replayed.content) == (201, b'{"n":7}')


def test_a_duplicate_that_waits_too_long_is_told_to_come_back() -> None:
    store = InMemoryIdempotencyStore()
    store.reserve(USER, "k", fingerprint("POST", "/api/v1/bookings", b"{}"))
    began = time.monotonic()
    with pytest.raises(IdempotencyKeyInUse) as refused:
        request(store, wait=0.2).respond(Counter())
    assert refused.value.retry_after_seconds == 1 and 0.2 <= time.monotonic() - began < 2


def test_a_released_key_is_taken_by_the_duplicate_that_waited() -> None:
    store, work = InMemoryIdempotencyStore(), Counter()
    reservation = store.reserve(USER, "k", fingerprint("POST", "/api/v1/bookings", b"{}"))
    assert reservation is not None
    threading.Timer(0.1, store.release, args=(reservation,)).start()
    assert request(store, wait=5).respond(work).content == b'{"n":1}' and work.runs == 1


def test_a_completed_answer_is_never_released() -> None:
    store = InMemoryIdempotencyStore()
    reservation = store.reserve(USER, "k", "f")
    assert reservation is not None
    store.complete(reservation, StoredResponse(201, b"{}", "application/json"))
    store.release(reservation)
    assert store.find(USER, "k") is not None


@pytest.mark.parametrize(
    ("key", "valid"),
    [
        ("a", True),
        ("~" * 255, True),
        ("with inner space", True),
        ("", False),
        (" ", False),
        (" leading", False),
        ("trailing ", False),
        ("x" * 256, False),
        ("nul\x00", False),
        ("tab\tinside", False),
        ("del\x7f", False),
        ("café", False),
    ],
)
def test_keys_are_printable_ascii(key: str, valid: bool) -> None:
    assert valid_key(key) is valid


def test_fingerprints_tell_method_path_and_body_apart() -> None:
    prints = {
        fingerprint("POST", "/a", b"b"),
        fingerprint("POST", "/ab", b""),
        fingerprint("PUT", "/a", b"b"),
        fingerprint("POST", "/a", b"c"),
    }
    assert len(prints) == 4 and all(len(p) == 64 for p in prints)
