"""Fault drills: two ``airbnb serve`` processes and an ``airbnb worker`` on a PostgreSQL, a Redis and an SMTP server
of the test's own, while clients book and pay, lose a server, the worker, the database and Redis in turn.

Each drill shows that no booking, payment or notification is lost or doubled and that the requests after the
recovery succeed. The drills share one stack and run in the order written: each starts from the clean state
the one before it checked.
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from adapters.persistence import upgrade
from airbnb_core.domain.notifications import NOTIFIED_TOPICS
from tests.support.members import PASSWORD
from tests.support.serving import JWT_SECRET
from tests.support.smtp import Mailbox, smtp_server
from tests.support.throwaway import (
    AppProcess,
    RestartableRedis,
    ServeProcess,
    ThrowawayPostgres,
    app_processes,
    restartable_redis,
    throwaway_postgres,
    wait_for,
)

# Long enough for the worker to be caught in the middle of a send, short enough to deliver a drill's mail quickly.
MAIL_DELAY_SECONDS = 0.2
# A request that takes longer has hung: an outage must answer 503 well within it.
REQUEST_TIMEOUT_SECONDS = 20.0
ROUND_PAUSE_SECONDS = 0.3
LISTING = {
    "title": "Drill hut", "location": "1 Fault Lane", "city": "Ghent", "country": "BE", "latitude": 51.05,
    "longitude": 3.72, "price_per_night": 10_000, "currency": "EUR", "max_guests": 3,
    "cancellation_policy": "flexible", "instant_book": True,
}  # fmt: skip


@dataclass
class Stack:
    postgres: ThrowawayPostgres
    redis: RestartableRedis
    mailbox: Mailbox
    servers: list[ServeProcess]
    worker: AppProcess
    logs: Path
    place: str = ""
    host: dict[str, str] = field(default_factory=dict)
    prober: dict[str, str] = field(default_factory=dict)  # a guest of the checks between drills
    # Every stay is two nights of its own, so that no two bookings of the drills compete for dates.
    slots: Iterator[int] = field(default_factory=itertools.count)
    slot_lock: threading.Lock = field(default_factory=threading.Lock)

    def next_stay(self) -> tuple[str, str]:
        with self.slot_lock:
            slot = next(self.slots)
        check_in = datetime.now(UTC).date() + timedelta(days=30 + 2 * slot)
        return str(check_in), str(check_in + timedelta(days=2))

    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.postgres.port}/postgres") as connection:
            return connection.execute(query, params).fetchall()

    def log_tail(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in sorted(self.logs.glob("*.log"))
        )


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    logs = tmp_path_factory.mktemp("drills")
    mailbox = Mailbox(mail_delay=MAIL_DELAY_SECONDS)
    with throwaway_postgres() as postgres, restartable_redis() as redis_server, smtp_server(mailbox) as smtp_url:
        upgrade(postgres.url)
        env = {
            "AIRBNB_ENV": "test",
            "AIRBNB_DATABASE_URL": postgres.url,
            "AIRBNB_REDIS_URL": redis_server.url,
            "AIRBNB_JWT_SECRET": JWT_SECRET,
            "AIRBNB_SMTP_URL": smtp_url,
            "AIRBNB_EMAIL_FROM": "Stays <stays@example.org>",
            # The drills' own traffic must not be throttled; the limits have tests of their own.
            "AIRBNB_API_RATE_LIMIT": "1000000",
            "AIRBNB_LOGIN_RATE_LIMIT": "1000000",
        }
        with app_processes(env, logs, servers=2) as (servers, worker):
            running = Stack(postgres, redis_server, mailbox, servers, worker, logs)
            api = httpx.Client(base_url=servers[0].url + "/api/v1", timeout=REQUEST_TIMEOUT_SECONDS)
            with api:
                running.host = sign_up(api, host=True)
                created = api.post("/properties", json=LISTING, headers=running.host)
                assert created.status_code == 201, created.text
                running.place = created.json()["id"]
                running.prober = sign_up(api)
            yield running


def sign_up(api: httpx.Client, *, host: bool = False) -> dict[str, str]:
    email = f"d-{uuid.uuid4().hex[:12]}@example.com"
    registered = api.post("/auth/register", json={"name": "Di", "email": email, "password": PASSWORD, "is_host": host})
    assert registered.status_code == 201, registered.text
    login = api.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


@dataclass
class Guest:
    """A client that books and pays in a loop through one server, remembering every answer it got and every
    request whose answer it never got."""

    name: str
    stack: Stack
    server: ServeProcess
    headers: dict[str, str] = field(default_factory=dict)
    statuses: list[tuple[str, int | str]] = field(default_factory=list)
    # Idempotency-Key -> the request's body, for retries after a crash
    sent: dict[str, dict[str, Any]] = field(default_factory=dict)
    booked: dict[str, str] = field(default_factory=dict)  # Idempotency-Key -> booking id
    unanswered: set[str] = field(default_factory=set)  # keys whose booking request got no answer
    unpaid: set[str] = field(default_factory=set)  # booking ids whose payment got no definite answer
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    count: Iterator[int] = field(default_factory=itertools.count)

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.server.url + "/api/v1", timeout=REQUEST_TIMEOUT_SECONDS)

    def book(self, api: httpx.Client, key: str) -> int | str:
        headers = {**self.headers, "Idempotency-Key": key}
        try:
            response = api.post("/bookings", json=self.sent[key], headers=headers)
        except httpx.TimeoutException:
            self.unanswered.add(key)
            return "timeout"
        except httpx.TransportError:
            self.unanswered.add(key)
            return "no answer"
        if response.status_code == 201:
            self.booked[key] = response.json()["id"]
            self.unanswered.discard(key)
        else:
            self.unanswered.add(key)
        return response.status_code

    def pay(self, api: httpx.Client, booking_id: str) -> int | str:
        try:
            response = api.post(
                f"/bookings/{booking_id}/payments", json={"payment_method": "pm_card_visa"}, headers=self.headers
            )
        except httpx.TimeoutException:
            self.unpaid.add(booking_id)
            return "timeout"
        except httpx.TransportError:
            self.unpaid.add(booking_id)
            return "no answer"
        # 409 already_paid: an earlier attempt, whose answer was lost, went through.
        if response.status_code == 201 or (response.status_code == 409 and response.json()["code"] == "already_paid"):
            self.unpaid.discard(booking_id)
        else:
            self.unpaid.add(booking_id)
        return response.status_code

    def one_round(self, api: httpx.Client) -> None:
        key = f"{self.name}-{next(self.count)}"
        check_in, check_out = self.stack.next_stay()
        self.sent[key] = {"property_id": self.stack.place, "guests": 1, "check_in": check_in, "check_out": check_out}
        booked = self.book(api, key)
        self.statuses.append(("book", booked))
        if booked == 201:
            self.statuses.append(("pay", self.pay(api, self.booked[key])))
        # A few rounds a second: enough to be caught mid-request, not so many that the worker's mail
        # (one forked job and one slowed SMTP exchange a message) takes minutes to catch up.
        time.sleep(ROUND_PAUSE_SECONDS)

    def start(self) -> None:
        def loop() -> None:
            with self.api() as api:
                while not self.stop.is_set():
                    self.one_round(api)

        self.thread = threading.Thread(target=loop, daemon=True)
        self.thread.start()

    def finish(self) -> None:
        self.stop.set()
        assert self.thread is not None
        self.thread.join(timeout=2 * REQUEST_TIMEOUT_SECONDS + 10)
        assert not self.thread.is_alive(), f"{self.name}'s client hung"

    def retry_what_was_lost(self) -> list[tuple[str, int | str]]:
        """What a client does after a crash: the same requests again, under the same Idempotency-Keys."""
        answers: list[tuple[str, int | str]] = []
        with self.api() as api:
            for key in sorted(self.unanswered):
                answers.append(("book again", self.book(api, key)))
            for booking_id in sorted(self.unpaid | set(self.booked.values()) - self.paid_ids(api)):
                answers.append(("pay again", self.pay(api, booking_id)))
        return answers

    def paid_ids(self, api: httpx.Client) -> set[str]:
        paid = set()
        for booking_id in self.booked.values():
            seen = api.get(f"/bookings/{booking_id}", headers=self.headers)
            assert seen.status_code == 200, seen.text
            if seen.json()["status"] == "confirmed":
                paid.add(booking_id)
        return paid

    def answered(self, after: int = 0) -> int:
        return sum(1 for step, status in self.statuses[after:] if step == "book" and status == 201)


def guests(stack: Stack, drill: str) -> list[Guest]:
    """One guest per server."""
    made = []
    for n, server in enumerate(stack.servers):
        guest = Guest(f"{drill}-{n}", stack, server)
        with guest.api() as api:
            guest.headers = sign_up(api)
        made.append(guest)
    return made


def assert_bookings_and_payments_are_whole(stack: Stack, clients: list[Guest]) -> None:
    """Every booking a client was told about exists once, paid once; nothing is left half done."""
    for client in clients:
        assert not client.unanswered, f"{client.name}: bookings never answered {sorted(client.unanswered)}"
        assert not client.unpaid, f"{client.name}: payments never settled {sorted(client.unpaid)}"
    booked = {booking_id for client in clients for booking_id in client.booked.values()}
    rows = stack.sql(
        "SELECT b.id::text, b.status, p.payment_status, p.amount = b.total_price FROM bookings b "
        "LEFT JOIN payments p ON p.booking_id = b.id WHERE b.property_id = %s AND b.user_id IN "
        "(SELECT user_id FROM bookings WHERE id::text = ANY(%s))",
        uuid.UUID(stack.place),
        list(booked),
    )
    in_database = {row[0] for row in rows}
    # One booking per key: what the clients were told is all there is, none made twice behind their back.
    assert in_database == booked, (sorted(in_database - booked), sorted(booked - in_database))
    wrong = [row for row in rows if row[1:] != ("confirmed", "succeeded", True)]
    assert not wrong, wrong
    # One charge per booking at the provider, however many attempts reached it.
    charges = stack.sql(
        "SELECT p.booking_id::text, count(*) FROM payments p JOIN sandbox_payment_intents i "
        "ON i.idempotency_key LIKE 'booking-' || p.booking_id::text || '-%%' "
        "WHERE p.booking_id::text = ANY(%s) AND i.status = 'succeeded' GROUP BY 1",
        list(booked),
    )
    assert {booking_id for booking_id, _ in charges} == booked and {n for _, n in charges} == {1}, charges
    stuck = stack.sql("SELECT count(*) FROM payments WHERE payment_status = 'processing'")
    assert stuck == [(0,)], stuck


def assert_every_notification_arrives_once(stack: Stack) -> None:
    """Each booking news in the outbox reaches its guest and its host, each exactly once."""

    def expected() -> set[str]:
        rows = stack.sql("SELECT id::text FROM outbox WHERE topic = ANY(%s)", sorted(NOTIFIED_TOPICS))
        return {f"<{outbox_id}.{recipient}@example.org>" for (outbox_id,) in rows for recipient in ("guest", "host")}

    def all_delivered() -> bool:
        return set(stack.mailbox.count_by_message_id()) >= expected()

    # Generous for a busy two-CPU machine: each message is a forked job and a slowed SMTP exchange.
    delivered = wait_for(all_delivered, 60 + 2 * len(expected()), every=0.2)
    time.sleep(3 * MAIL_DELAY_SECONDS)  # room for a duplicate to show up
    counts = stack.mailbox.count_by_message_id()
    missing = expected() - set(counts)
    assert delivered and not missing, f"{len(missing)} never delivered, e.g. {sorted(missing)[:4]}\n{stack.log_tail()}"
    doubled = {message_id: n for message_id, n in counts.items() if n > 1}
    assert not doubled, doubled
    assert set(counts) == expected(), sorted(set(counts) - expected())


def ordinary_requests_succeed(stack: Stack) -> None:
    """After a recovery, every request through every server succeeds at once."""
    for server in stack.servers:
        with httpx.Client(base_url=server.url + "/api/v1", timeout=REQUEST_TIMEOUT_SECONDS) as api:
            assert api.get(f"/properties/{stack.place}").status_code == 200
            assert api.get("/users/me", headers=stack.host).status_code == 200
            check_in, check_out = stack.next_stay()
            body = {"property_id": stack.place, "guests": 1, "check_in": check_in, "check_out": check_out}
            booked = api.post("/bookings", json=body, headers=stack.prober)
            assert booked.status_code == 201, booked.text
            paid = api.post(
                f"/bookings/{booked.json()['id']}/payments",
                json={"payment_method": "pm_card_visa"},
                headers=stack.prober,
            )
            assert paid.status_code == 201, paid.text


def test_1_a_server_killed_mid_request_loses_and_doubles_nothing(stack: Stack) -> None:
    victim, survivor = guests(stack, "kill-server")
    for client in (victim, survivor):
        client.start()
    assert wait_for(lambda: victim.answered() >= 5, 60), victim.statuses

    stack.servers[0].kill()  # SIGKILL to the process group, whatever request it is in the middle of
    assert wait_for(lambda: any(isinstance(s, str) for _, s in victim.statuses), 10)
    stack.servers[0].start()
    restarted = len(victim.statuses)
    assert wait_for(lambda: victim.answered(after=restarted) >= 3, 60), victim.statuses[restarted:]
    for client in (victim, survivor):
        client.finish()

    # The other server never noticed; the restarted one answers every request after its restart.
    assert {s for _, s in survivor.statuses} <= {201}, Counter(survivor.statuses)
    assert {s for _, s in victim.statuses[restarted:]} <= {201}, Counter(victim.statuses[restarted:])
    assert {s for _, s in victim.statuses[:restarted]} <= {201, "no answer"}, Counter(victim.statuses[:restarted])
    retried = victim.retry_what_was_lost()
    assert {s for _, s in retried} <= {201, 409}, retried
    assert victim.retry_what_was_lost() == [], "a second retry still had work to do"
    assert_bookings_and_payments_are_whole(stack, [victim, survivor])
    ordinary_requests_succeed(stack)
    assert_every_notification_arrives_once(stack)


def test_2_a_worker_killed_mid_send_delivers_everything_once_after_its_restart(stack: Stack) -> None:
    before = len(stack.mailbox.messages)
    ordinary_requests_succeed(stack)  # news to send: two confirmations, each to a guest and a host
    ordinary_requests_succeed(stack)
    assert wait_for(lambda: len(stack.mailbox.messages) > before and stack.mailbox.in_flight > 0, 60)
    stack.worker.kill()
    stack.worker.start()
    assert_every_notification_arrives_once(stack)


def test_3_a_postgresql_restart_answers_503_meanwhile_and_everything_after_it(stack: Stack) -> None:
    clients = guests(stack, "restart-postgres")
    for client in clients:
        client.start()
    assert wait_for(lambda: all(c.answered() >= 3 for c in clients), 60)
    stack.postgres.stop("immediate")  # as a crash would: open transactions and connections are cut
    down = [len(c.statuses) for c in clients]
    assert wait_for(lambda: all(503 in {s for _, s in c.statuses[n:]} for c, n in zip(clients, down, strict=True)), 30)
    stack.postgres.start()
    up = [len(c.statuses) for c in clients]
    assert wait_for(lambda: all(c.answered(after=n) >= 3 for c, n in zip(clients, up, strict=True)), 60)
    for client in clients:
        client.finish()

    for client, n in zip(clients, up, strict=True):
        # A request that was under way when the database came back may still have met it down.
        settled = client.statuses[n + 2 :]
        assert {s for _, s in settled} <= {201}, (client.name, Counter(settled))
        # Never a 500, never a hang: the outage answers 503 within the request timeout.
        assert {s for _, s in client.statuses} <= {201, 503}, (client.name, Counter(client.statuses))
    retried = [answer for client in clients for answer in client.retry_what_was_lost()]
    assert {s for _, s in retried} <= {201, 409}, retried
    assert_bookings_and_payments_are_whole(stack, clients)
    ordinary_requests_succeed(stack)
    assert_every_notification_arrives_once(stack)


def test_4_a_redis_restart_fails_no_request_and_the_news_of_the_outage_arrives_once(stack: Stack) -> None:
    # Redis runs without persistence here, so jobs it holds when it dies are gone with it (their outbox rows
    # are already marked relayed): the drill lets the queue drain first and looks at the news made meanwhile.
    assert_every_notification_arrives_once(stack)
    stack.redis.kill()
    clients = guests(stack, "restart-redis")
    for client in clients:
        client.start()
    # Bookings made while Redis is away: their news waits in the outbox.
    assert wait_for(lambda: all(c.answered() >= 3 for c in clients), 60)
    stack.redis.start()
    up = [len(c.statuses) for c in clients]
    assert wait_for(lambda: all(c.answered(after=n) >= 3 for c, n in zip(clients, up, strict=True)), 60)
    for client in clients:
        client.finish()

    for client in clients:
        assert {s for _, s in client.statuses} <= {201}, (client.name, Counter(client.statuses))
    assert_bookings_and_payments_are_whole(stack, clients)
    ordinary_requests_succeed(stack)
    assert_every_notification_arrives_once(stack)
    unrelayed = stack.sql("SELECT count(*) FROM outbox WHERE processed_at IS NULL")
    assert unrelayed == [(0,)], unrelayed
