"""Two ``airbnb serve`` processes and an ``airbnb worker`` on one PostgreSQL database and one Redis: what one
server does, the other sees; no guarantee holds only within one process.

Each request comes from an address of its own (through ``X-Forwarded-For``, the servers trusting the local
proxy), so the low request limits configured here throttle only the tests that reuse an address on purpose.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
import redis

from adapters.persistence import upgrade
from tests.conftest import REDIS_URL
from tests.support.concurrency import race
from tests.support.members import member
from tests.support.serving import JWT_SECRET, airbnb_serve
from tests.support.smtp import Mailbox, smtp_server

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

LOGIN_RATE_LIMIT = 3
API_RATE_LIMIT = 12
IN_A_MONTH = date.today() + timedelta(days=30)


@dataclass(frozen=True)
class Cluster:
    a: str
    b: str
    mailbox: Mailbox


def fresh_address(request: httpx.Request) -> None:
    """A client of its own for each request that does not name one."""
    a, b, c = random.randrange(256), random.randrange(256), random.randrange(1, 255)
    request.headers.setdefault("X-Forwarded-For", f"10.{a}.{b}.{c}")


@pytest.fixture(scope="module")
def cluster(make_postgres_database: Callable[[], str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    database = make_postgres_database()
    upgrade(database)
    shared = redis.Redis.from_url(REDIS_URL)
    shared.flushdb()
    workdir = tmp_path_factory.mktemp("scale-out")
    mailbox = Mailbox()
    with ExitStack() as stack:
        smtp_url = stack.enter_context(smtp_server(mailbox))
        env = {
            "AIRBNB_ENV": "test",
            "AIRBNB_DATABASE_URL": database,
            "AIRBNB_REDIS_URL": REDIS_URL,
            "AIRBNB_SMTP_URL": smtp_url,
            "AIRBNB_TRUSTED_PROXIES": "127.0.0.1/32",
            "AIRBNB_LOGIN_RATE_LIMIT": str(LOGIN_RATE_LIMIT),
            "AIRBNB_API_RATE_LIMIT": str(API_RATE_LIMIT),
        }
        worker_env = {k: v for k, v in os.environ.items() if not k.startswith("AIRBNB_")}
        with open(workdir / "worker.log", "wb") as log:
            worker = subprocess.Popen(
                [sys.executable, "-m", "entrypoints.cli", "worker"],
                env={**worker_env, "AIRBNB_JWT_SECRET": JWT_SECRET, **env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: its work horses and scheduler stop with it
            )
        stack.callback(_stop, worker)
        a = stack.enter_context(airbnb_serve(workdir, env))
        b = stack.enter_context(airbnb_serve(workdir, env))
        yield Cluster(a.url, b.url, mailbox)
    shared.flushdb()
    shared.close()


def _stop(worker: subprocess.Popen[bytes]) -> None:
    os.killpg(worker.pid, signal.SIGTERM)
    try:
        worker.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()


@pytest.fixture(scope="module")
def a(cluster: Cluster) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=cluster.a + "/api/v1", timeout=30, event_hooks={"request": [fresh_address]}) as api:
        yield api


@pytest.fixture(scope="module")
def b(cluster: Cluster) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=cluster.b + "/api/v1", timeout=30, event_hooks={"request": [fresh_address]}) as api:
        yield api


def listing(api: httpx.Client, host: dict[str, str], **fields: Any) -> dict[str, Any]:
    body = {
        "title": "Mill house", "location": "2 Mill Lane", "city": f"Ghent-{uuid.uuid4().hex[:8]}", "country": "BE",
        "latitude": 51.05, "longitude": 3.72, "price_per_night": 10_000, "currency": "EUR", "max_guests": 3,
        **fields,
    }  # fmt: skip
    created = api.post("/properties", json=body, headers=host)
    assert created.status_code == 201, created.text
    return dict(created.json())


def stay(nights: int = 3, *, after: int = 0) -> dict[str, str]:
    check_in = IN_A_MONTH + timedelta(days=after)
    return {"check_in": check_in.isoformat(), "check_out": (check_in + timedelta(days=nights)).isoformat()}


def book(api: httpx.Client, guest: dict[str, str], place: str, **headers: str) -> httpx.Response:
    return api.post("/bookings", json={"property_id": place, **stay(), "guests": 2}, headers={**guest, **headers})


def test_thirty_guests_racing_for_the_same_nights_on_two_servers_get_one_booking(
    a: httpx.Client, b: httpx.Client
) -> None:
    place = listing(a, member(a, host=True))["id"]
    servers = [a, b] * 15
    guests = [member(api) for api in servers]
    outcomes = race(
        [lambda api=api, guest=guest: book(api, guest, place) for api, guest in zip(servers, guests, strict=True)]
    )
    statuses = sorted(o.status_code if isinstance(o, httpx.Response) else repr(o) for o in outcomes)
    assert statuses == [201] + [409] * 29, statuses


def alternating(a: httpx.Client, b: httpx.Client, count: int) -> list[httpx.Client]:
    return [(a, b)[n % 2] for n in range(count)]


def test_request_limits_count_the_hits_of_both_servers_together(a: httpx.Client, b: httpx.Client) -> None:
    attempt = {"email": "nobody@example.com", "password": "whatever-1"}
    address = {"X-Forwarded-For": "203.0.113.7"}
    # The limit's last attempt on one server, the first refused on the other, and so on.
    logins = [api.post("/auth/login", json=attempt, headers=address) for api in alternating(a, b, LOGIN_RATE_LIMIT + 2)]
    assert [r.status_code for r in logins] == [401] * LOGIN_RATE_LIMIT + [429] * 2

    address = {"X-Forwarded-For": "203.0.113.8"}
    hits = [api.get("/users/me", headers=address) for api in alternating(a, b, API_RATE_LIMIT + 2)]
    assert [r.status_code for r in hits] == [401] * API_RATE_LIMIT + [429] * 2


def test_a_change_made_through_one_server_is_never_served_stale_by_the_other(a: httpx.Client, b: httpx.Client) -> None:
    host = member(a, host=True)
    place = listing(a, host)
    page = f"/properties/{place['id']}"
    dated = {"city": place["city"], **stay(), "guests": 2}
    calendar = {"start": stay()["check_in"], "end": stay()["check_out"]}
    assert b.get(page + "/availability", params=calendar).headers["x-cache"] == "miss"
    assert b.get(page + "/availability", params=calendar).headers["x-cache"] == "hit"
    assert b.get(page).json()["title"] == place["title"]

    assert a.patch(page, json={"title": "Mill house, renovated"}, headers=host).status_code == 200
    assert b.get(page).json()["title"] == "Mill house, renovated"
    assert [p["title"] for p in b.get("/properties", params=dated).json()["items"]] == ["Mill house, renovated"]

    assert book(a, member(a), place["id"]).status_code == 201
    assert b.get("/properties", params=dated).json()["items"] == []
    taken = b.get(page + "/availability", params=calendar).json()
    assert taken == {"unavailable": [{"start": calendar["start"], "end": calendar["end"]}]}


def test_an_idempotency_key_used_on_one_server_is_replayed_by_the_other(a: httpx.Client, b: httpx.Client) -> None:
    place = listing(a, member(a, host=True))["id"]
    guest = member(a)
    key = str(uuid.uuid4())
    first = book(a, guest, place, **{"Idempotency-Key": key})
    assert first.status_code == 201, first.text
    again = book(b, guest, place, **{"Idempotency-Key": key})
    assert (again.status_code, again.content, again.headers["idempotent-replayed"]) == (201, first.content, "true")

    key = str(uuid.uuid4())
    later = {"property_id": place, **stay(after=10), "guests": 2}
    headers = {**guest, "Idempotency-Key": key}
    outcomes = race([lambda api=api: api.post("/bookings", json=later, headers=headers) for api in [a, b] * 5])
    responses = [o for o in outcomes if isinstance(o, httpx.Response)]
    assert {(r.status_code, r.content) for r in responses} == {(201, responses[0].content)}, outcomes
    listed = b.get("/bookings", params={"limit": 100}, headers=guest).json()["items"]
    assert sorted(item["id"] for item in listed) == sorted([first.json()["id"], responses[0].json()["id"]])


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_the_worker_tells_of_what_either_server_confirmed_exactly_once(
    cluster: Cluster, a: httpx.Client, b: httpx.Client
) -> None:
    before = len(cluster.mailbox.messages)
    host = member(a, host=True)
    place = listing(a, host, instant_book=True)["id"]
    for n, api in enumerate([a, b]):
        guest = member(api)
        booked = api.post("/bookings", json={"property_id": place, **stay(after=5 * n), "guests": 2}, headers=guest)
        assert booked.status_code == 201, booked.text
        paid = api.post(
            f"/bookings/{booked.json()['id']}/payments", json={"payment_method": "pm_card_visa"}, headers=guest
        )
        assert paid.status_code in (200, 201), paid.text
    # A confirmation tells the guest and the host: two messages per booking.
    assert wait_for(lambda: len(cluster.mailbox.messages) >= before + 4, 30), cluster.mailbox.messages[before:]
    time.sleep(2)  # room for a duplicate to show up
    counts = cluster.mailbox.count_by_message_id()
    assert len(cluster.mailbox.messages) == before + 4 and set(counts.values()) == {1}, counts
