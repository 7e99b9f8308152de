"""A worker killed in the middle of sending: once restarted, every notification arrives exactly once, in seconds.

Real PostgreSQL, Redis and SMTP server; ``airbnb worker`` as a process group killed with SIGKILL (the
worker, its work horse and its scheduler at once, as when a machine dies).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import bootstrap
from airbnb_core.domain.stay import Stay
from airbnb_core.services.accounts import RegisterUser
from airbnb_core.services.bookings import RequestBooking
from airbnb_core.services.listings import PropertyDraft
from tests.support.smtp import Mailbox, smtp_server
from tests.support.stack import fast_hashing, production_like_settings

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

BOOKINGS = 4
MAIL_DELAY_SECONDS = 0.7


def cancel_bookings(settings: bootstrap.Settings) -> None:
    """Book and cancel ``BOOKINGS`` stays: each cancellation tells its guest and its host."""
    container = bootstrap.build_container(settings)
    fast_hashing(container)
    services = container.services()
    host = services.accounts.register(RegisterUser("Hana", "hana@example.com", "a-long-password", True))
    draft = PropertyDraft(
        title="Loft", location="1 Quay", city="Lyon", country="FR", latitude=45.76, longitude=4.84,
        price_per_night=10_000, currency="EUR", max_guests=3, cancellation_policy="flexible",
    )  # fmt: skip
    place = services.listings.create(host, draft)
    start = datetime.now(UTC).date() + timedelta(days=30)
    for n in range(BOOKINGS):
        guest = services.accounts.register(RegisterUser(f"Guest {n}", f"guest{n}@example.com", "a-long-password"))
        stay = Stay(start + timedelta(days=3 * n), start + timedelta(days=3 * n + 2))
        booking = services.bookings.request(guest, RequestBooking(place.id, stay, 1)).booking
        services.bookings.cancel(guest, booking.id)
    container.engine().dispose()


@pytest.fixture
def worker_env(postgres_url: str, redis_url: str) -> Iterator[Callable[[str], dict[str, str]]]:
    settings = production_like_settings(postgres_url, redis_url)
    cancel_bookings(settings)

    def env(smtp_url: str) -> dict[str, str]:
        return {
            **os.environ,
            "AIRBNB_ENV": "test",
            "AIRBNB_DATABASE_URL": postgres_url,
            "AIRBNB_REDIS_URL": redis_url,
            "AIRBNB_JWT_SECRET": settings.jwt_secret,
            "AIRBNB_SMTP_URL": smtp_url,
            "AIRBNB_EMAIL_FROM": "Stays <stays@example.org>",
        }

    yield env


def start_worker(env: dict[str, str], log: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", "from entrypoints.cli import main; main(['worker'])"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, to kill the horse and the scheduler with it
    )


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_a_worker_killed_mid_send_delivers_everything_once_after_a_restart(
    worker_env: Callable[[str], dict[str, str]], tmp_path: Any
) -> None:
    mailbox = Mailbox(mail_delay=MAIL_DELAY_SECONDS)
    expected = 2 * BOOKINGS
    with smtp_server(mailbox) as smtp_url, open(tmp_path / "worker.log", "wb") as log:
        first = start_worker(worker_env(smtp_url), log)
        try:
            # Killed while a send waits on the server, after some were delivered.
            assert wait_for(lambda: len(mailbox.messages) >= 2 and mailbox.in_flight > 0, 60), "nothing was sent"
        finally:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
        delivered_before_restart = len(mailbox.messages)
        assert delivered_before_restart < expected

        restarted_at = time.monotonic()
        second = start_worker(worker_env(smtp_url), log)
        try:
            all_delivered = wait_for(lambda: len(mailbox.count_by_message_id()) >= expected, 30)
            took = time.monotonic() - restarted_at
            time.sleep(3 * MAIL_DELAY_SECONDS)  # room for a duplicate to show up
        finally:
            os.killpg(second.pid, signal.SIGKILL)  # its graceful stop is not what this test is about
            second.wait()
    log_text = (tmp_path / "worker.log").read_text(errors="replace")
    assert all_delivered, f"{len(mailbox.messages)} of {expected} delivered; worker log:\n{log_text[-4000:]}"
    counts = mailbox.count_by_message_id()
    assert len(counts) == expected and set(counts.values()) == {1}, counts
    assert took < 20, f"delivery took {took:.1f} s after the restart"
    recipients = sorted(str(m["To"]) for m in mailbox.messages)
    assert recipients.count("Hana <hana@example.com>") == BOOKINGS
