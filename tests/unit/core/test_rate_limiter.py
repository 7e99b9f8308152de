"""The in-process rate limiter: a token bucket (GCRA) on a clock the test moves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from airbnb_core.inmemory import FixedClock, InMemoryRateLimiter

# A minute boundary: the fixed window this replaces reset its count here.
MINUTE = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(MINUTE - timedelta(seconds=30))


def at(clock: FixedClock, seconds_from_the_minute: float) -> None:
    clock.advance(MINUTE + timedelta(seconds=seconds_from_the_minute) - clock.now())


def test_a_client_may_spend_its_whole_limit_at_once_and_then_waits_for_the_next_attempt(clock: FixedClock) -> None:
    limiter = InMemoryRateLimiter(clock)

    verdicts = [limiter.hit("c", limit=10, window_seconds=60) for _ in range(11)]

    assert verdicts[:10] == [None] * 10
    assert verdicts[10] == 6  # one attempt comes back every 60 / 10 seconds


def test_a_burst_just_before_a_minute_boundary_leaves_nothing_just_after_it(clock: FixedClock) -> None:
    limiter = InMemoryRateLimiter(clock)
    at(clock, -0.1)
    assert [limiter.hit("c", limit=10, window_seconds=60) for _ in range(10)] == [None] * 10

    at(clock, 0.1)
    after = [limiter.hit("c", limit=10, window_seconds=60) for _ in range(10)]

    assert after == [6] * 10  # 5.8 s until the first attempt comes back, rounded up


def test_attempts_come_back_one_per_interval(clock: FixedClock) -> None:
    limiter = InMemoryRateLimiter(clock)
    for _ in range(10):
        limiter.hit("c", limit=10, window_seconds=60)

    clock.advance(timedelta(seconds=5.9))
    assert limiter.hit("c", limit=10, window_seconds=60) == 1
    clock.advance(timedelta(seconds=0.1))
    assert limiter.hit("c", limit=10, window_seconds=60) is None
    assert limiter.hit("c", limit=10, window_seconds=60) == 6

    clock.advance(timedelta(seconds=60))
    assert [limiter.hit("c", limit=10, window_seconds=60) for _ in range(11)].count(None) == 10


def test_no_minute_holds_more_than_twice_the_limit_however_attempts_are_spaced(clock: FixedClock) -> None:
    limiter = InMemoryRateLimiter(clock)
    allowed_at: list[float] = []
    for tick in range(1200):  # an attempt every 0.1 s for two minutes
        if limiter.hit("c", limit=10, window_seconds=60) is None:
            allowed_at.append(tick / 10)
        clock.advance(timedelta(seconds=0.1))

    busiest = max(sum(1 for t in allowed_at if start <= t < start + 60) for start in allowed_at)
    assert busiest <= 20
    assert allowed_at[10:] == [float(t) for t in range(6, 120, 6)]  # after the burst, one every six seconds


def test_refused_attempts_do_not_push_the_next_one_further_away(clock: FixedClock) -> None:
    limiter = InMemoryRateLimiter(clock)
    for _ in range(10):
        limiter.hit("c", limit=10, window_seconds=60)

    assert {limiter.hit("c", limit=10, window_seconds=60) for _ in range(100)} == {6}


def test_each_key_has_its_own_bucket(clock: FixedClock) -> None:
    limiter = InMemoryRateLimiter(clock)
    for _ in range(3):
        limiter.hit("a", limit=3, window_seconds=60)

    assert limiter.hit("a", limit=3, window_seconds=60) == 20
    assert limiter.hit("b", limit=3, window_seconds=60) is None


def test_limits_that_do_not_divide_the_window_still_allow_the_whole_burst(clock: FixedClock) -> None:
    limiter = InMemoryRateLimiter(clock)

    verdicts = [limiter.hit("c", limit=7, window_seconds=60) for _ in range(8)]

    assert verdicts.count(None) == 7 and verdicts[7] is not None
