"""Booking under contention: many guests booking random stays on a hot set of listings, against production's server.

    .venv/bin/python bench/booking_contention.py [--quick] [--duration 20 --connections 32 --workers 2]
        [--hot-properties 20 --guests 200 --days 365 --max-nights 7] [--keep-db]

The tests prove the booking is correct; this prints how fast it is: bookings/s (201s per second), requests/s,
p50/p99, the 409 share and the 5xx count, next to the same server's ``GET /health`` measured in the same
invocation (before and after the booking run), then counts overlapping active bookings with SQL (must be 0).
The load is wrk with a Lua script (see ``booking_lua``). See bench/README.md, "Booking under contention".
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
import redis
import servers
from database import Database
from loadgen import LoadResult, Wrk, parse_wrk

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BIN = Path(sys.executable).parent
STARTED = time.monotonic()
ACCESS_TOKEN_SECONDS = 15 * 60
PASSWORD = "bench-contention-Passw0rd!"  # noqa: S105 - throwaway accounts of a dropped database
ACTIVE_STATUSES = ("pending", "requested", "confirmed")

OVERLAPS_SQL = """
    SELECT count(*) FROM bookings a JOIN bookings b
      ON a.property_id = b.property_id AND a.id < b.id
     AND daterange(a.check_in_date, a.check_out_date) && daterange(b.check_in_date, b.check_out_date)
    WHERE a.status = ANY(%(active)s) AND b.status = ANY(%(active)s)
"""


def log(message: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.1f} s] {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="8 s runs and 40 guests unless given")
    p.add_argument("--duration", type=float, help="seconds per run (/health before, booking, /health after); 20")
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--threads", type=int, default=2, help="wrk threads")
    p.add_argument("--workers", type=int, default=2, help="server workers (airbnb serve --workers)")
    p.add_argument("--hot-properties", type=int, default=20, help="listings every booking goes to")
    p.add_argument("--hosts", type=int, default=4, help="hosts owning the hot listings")
    p.add_argument("--guests", type=int, help="guests registered and logged in before the run; 200 (40 with --quick)")
    p.add_argument("--days", type=int, default=365, help="check-ins fall within this many days from tomorrow")
    p.add_argument("--max-nights", type=int, default=7, help="stays are 1 to this many nights")
    p.add_argument("--db-name", default="airbnb_bench_booking")
    p.add_argument("--admin-dsn", default="postgresql://postgres@127.0.0.1:5432/postgres")
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/5", help="flushed before the server starts")
    p.add_argument("--keep-db", action="store_true", help="do not drop the database at the end")
    args = p.parse_args(argv)
    args.duration = args.duration or (8 if args.quick else 20)
    args.guests = args.guests or (40 if args.quick else 200)
    if 3 * args.duration + 120 > ACCESS_TOKEN_SECONDS:
        p.error("access tokens live 15 minutes: keep 3 x --duration under ~13 minutes")
    return args


# ---------------------------------------------------------------------------------------------- HTTP


def call(method: str, url: str, body: object | None = None, token: str | None = None) -> tuple[int, object]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()[:300]


def expect(status: int, answer: tuple[int, object], what: str) -> dict[str, object]:
    if answer[0] != status:
        raise RuntimeError(f"{what}: expected {status}, got {answer[0]}: {answer[1]!r}")
    document = answer[1]
    assert isinstance(document, dict)
    return document


def account(base: str, email: str, *, host: bool) -> str:
    """Register ``email`` and log in; its access token."""
    expect(201, call("POST", f"{base}/api/v1/auth/register", {"name": email.split("@")[0], "email": email,
                                                            "password": PASSWORD, "is_host": host}), email)  # fmt: skip
    login = expect(200, call("POST", f"{base}/api/v1/auth/login", {"email": email, "password": PASSWORD}), email)
    return str(login["access_token"])


def listing(base: str, token: str, n: int) -> str:
    body = {
        "title": f"Hot listing {n}",
        "location": f"{n} Contention Street",
        "city": "Lisbon",
        "country": "PT",
        "latitude": 38.72,
        "longitude": -9.14,
        "timezone": "UTC",
        "price_per_night": 10_000,
        "currency": "EUR",
        "max_guests": 4,
        "min_nights": 1,
        "max_nights": 30,
    }
    return str(expect(201, call("POST", f"{base}/api/v1/properties", body, token), f"listing {n}")["id"])


# ---------------------------------------------------------------------------------------------- the load


def booking_lua(property_ids: list[str], tokens: list[str], first_day: date, days: int, max_nights: int) -> str:
    """A wrk script POSTing a random (listing, check-in, 1..max_nights) with a random guest's token; each thread
    counts the statuses it gets and ``done()`` prints them as ``STATUS <code> <count>`` lines."""
    dates = [(first_day + timedelta(days=d)).isoformat() for d in range(days + max_nights)]

    def lua_list(items: list[str]) -> str:
        return "{" + ", ".join(json.dumps(s) for s in items) + "}"

    return f"""
local threads = {{}}
local threads_set_up = 0

function setup(thread)
  threads_set_up = threads_set_up + 1
  thread:set("thread_number", threads_set_up)
  table.insert(threads, thread)
end

local properties = {lua_list(property_ids)}
local tokens = {lua_list(tokens)}
local dates = {lua_list(dates)}
local days = {days}
local max_nights = {max_nights}
statuses = {{}}

function init(args)
  math.randomseed(thread_number * 104729 + os.time())
end

function request()
  local day = math.random(days)
  local nights = math.random(max_nights)
  local body = '{{"property_id":"' .. properties[math.random(#properties)] .. '","check_in":"' .. dates[day]
    .. '","check_out":"' .. dates[day + nights] .. '","guests":' .. math.random(2) .. '}}'
  local headers = {{["Authorization"] = "Bearer " .. tokens[math.random(#tokens)],
                   ["Content-Type"] = "application/json"}}
  return wrk.format("POST", "/api/v1/bookings", headers, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      io.write(string.format("STATUS %d %d\\n", status, n))
    end
  end
end
"""


def statuses(report: str) -> Counter[int]:
    counts: Counter[int] = Counter()
    for line in report.splitlines():
        if line.startswith("STATUS "):
            _, code, n = line.split()
            counts[int(code)] += int(n)
    return counts


# ---------------------------------------------------------------------------------------------- main


def server_env(db: Database, args: argparse.Namespace) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRBNB_")}
    env.update(
        AIRBNB_ENV="production",
        AIRBNB_JWT_SECRET=secrets.token_urlsafe(48),
        AIRBNB_METRICS_TOKEN=secrets.token_urlsafe(24),
        AIRBNB_SANDBOX_WEBHOOK_SECRET=secrets.token_urlsafe(24),
        AIRBNB_DATABASE_URL=db.sqlalchemy_url,
        AIRBNB_REDIS_URL=args.redis_url,
        AIRBNB_API_RATE_LIMIT="100000000",
        AIRBNB_LOGIN_RATE_LIMIT="100000000",
    )
    return env


def overlaps(db: Database) -> tuple[int, int]:
    """Pairs of overlapping active bookings of one listing (must be 0), and the active bookings."""
    with psycopg.connect(db.dsn) as conn:
        pairs = conn.execute(OVERLAPS_SQL, {"active": list(ACTIVE_STATUSES)}).fetchone()
        active = conn.execute("SELECT count(*) FROM bookings WHERE status = ANY(%s)", (list(ACTIVE_STATUSES),))
        return int(pairs[0]) if pairs else -1, int(active.fetchone()[0])  # type: ignore[index]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install -y wrk")
    from adapters.persistence import upgrade

    db = Database(args.admin_dsn, args.db_name)
    log(f"creating and migrating {db.name}")
    db.recreate()
    try:
        upgrade(db.sqlalchemy_url)
        redis.Redis.from_url(args.redis_url).flushdb()
        wrk = Wrk(args.threads, args.connections)
        with tempfile.TemporaryDirectory(prefix="airbnb-bench-booking-") as log_dir, servers.running(
            "uvicorn", bin_dir=BIN, cwd=ROOT, env=server_env(db, args), host="127.0.0.1",
            workers=args.workers, log_dir=Path(log_dir),
        ) as server:  # fmt: skip
            base = server.base_url
            setup_started = time.monotonic()
            log(f"registering and logging in {args.hosts} hosts and {args.guests} guests (argon2: slow)")
            with ThreadPoolExecutor(8) as pool:
                run_id = secrets.token_hex(3)
                host_tokens = list(
                    pool.map(lambda n: account(base, f"host{n}-{run_id}@example.com", host=True), range(args.hosts))
                )
                tokens = list(
                    pool.map(lambda n: account(base, f"guest{n}-{run_id}@example.com", host=False), range(args.guests))
                )
                ids = list(
                    pool.map(lambda n: listing(base, host_tokens[n % len(host_tokens)], n), range(args.hot_properties))
                )
            setup_seconds = time.monotonic() - setup_started
            log(f"set up in {setup_seconds:.0f} s; {len(ids)} hot listings")
            if time.monotonic() - setup_started + 3 * args.duration + 60 > ACCESS_TOKEN_SECONDS:
                raise RuntimeError("the first access tokens would expire during the run: fewer --guests or shorter")
            first_day = datetime.now(UTC).date() + timedelta(days=1)
            script = booking_lua(ids, tokens, first_day, args.days, args.max_nights)

            log(f"GET /health for {args.duration:.0f} s")
            health_before = wrk.run(base + "/health", args.duration)
            log(f"POST /api/v1/bookings for {args.duration:.0f} s")
            report = wrk.run_report(base + "/api/v1/bookings", args.duration, script)
            log(f"GET /health for {args.duration:.0f} s")
            health_after = wrk.run(base + "/health", args.duration)
            log_tail = server.log_tail(5)
        booking = parse_wrk(report)
        counts = statuses(report)
        pairs, active = overlaps(db)
    finally:
        if not args.keep_db:
            db.drop()

    print_report(args, booking, counts, health_before, health_after, pairs, active)
    server_errors = sum(n for code, n in counts.items() if code >= 500)
    if server_errors:
        print(f"\nserver log tail:\n{log_tail}")
    return 1 if pairs != 0 or server_errors or booking.socket_errors else 0


def print_report(
    args: argparse.Namespace,
    booking: LoadResult,
    counts: Counter[int],
    health_before: LoadResult,
    health_after: LoadResult,
    pairs: int,
    active: int,
) -> None:
    total = sum(counts.values())
    created = counts.get(201, 0)
    conflicts = counts.get(409, 0)
    server_errors = sum(n for code, n in counts.items() if code >= 500)
    health = statistics.median([health_before.requests_per_second, health_after.requests_per_second])
    bookings_per_second = created / booking.seconds if booking.seconds else 0.0
    print(
        f"booking under contention: uvicorn (airbnb serve) x {args.workers} workers, production env, Redis; "
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration:.0f}s; {args.hot_properties} hot listings, "
        f"{args.guests} guests' tokens, check-in within {args.days} days, 1-{args.max_nights} nights; "
        f"{os.cpu_count()} CPUs"
    )
    print()
    print(f"{'':28}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'vs /health':>12}")
    print(f"{'GET /health (before)':28}{health_before.requests_per_second:>10.0f}{health_before.p50_ms:>10.2f}"
          f"{health_before.p99_ms:>10.2f}")  # fmt: skip
    print(f"{'GET /health (after)':28}{health_after.requests_per_second:>10.0f}{health_after.p50_ms:>10.2f}"
          f"{health_after.p99_ms:>10.2f}")  # fmt: skip
    print(f"{'POST /bookings (all)':28}{booking.requests_per_second:>10.0f}{booking.p50_ms:>10.2f}"
          f"{booking.p99_ms:>10.2f}{booking.requests_per_second / health:>11.1%}")  # fmt: skip
    print(f"{'  of which 201 (bookings/s)':28}{bookings_per_second:>10.1f}{'':20}{bookings_per_second / health:>11.1%}")
    print()
    print(f"/health median of before and after: {health:.0f} req/s")
    breakdown = ", ".join(f"{code}: {n}" for code, n in sorted(counts.items()))
    print(f"responses: {total} in {booking.seconds:.1f} s ({breakdown}); wrk counted {booking.requests}")
    print(f"409 share: {conflicts / total:.1%}" if total else "409 share: n/a (no responses)")
    print(f"5xx: {server_errors}; socket errors: {booking.socket_errors}")
    print(
        f"active bookings after the run: {active} "
        f"(201s seen by wrk: {created}; the rest were in flight when it stopped)"
    )
    print(f"overlapping active bookings (SQL): {pairs}" + ("" if pairs == 0 else "  <-- MUST BE 0"))


if __name__ == "__main__":
    sys.exit(main())
