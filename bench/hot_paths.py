"""The hot paths of production's server next to their SQL floors: property detail, dated search (newest and by
price), booking under contention, and /health as the trivial yardstick, in one table.

    .venv/bin/python bench/hot_paths.py [--quick] [--reuse-db] [--server uvicorn|granian] [--duration 20]
        [--repeat 3] [--scenarios detail,search,search_price,booking] [--json PATH]

See bench/README.md, "Hot paths", for what is measured and how to read the table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import booking_contention
import cpu
import profiling
import psycopg
import redis
import run_bench
import servers
import sql_floor
from database import Database, Sizes, prepare
from loadgen import LoadResult, Wrk, parse_wrk
from workload import SearchSpace, detail_path, permuted_lua

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BIN = Path(sys.executable).parent
STARTED = time.monotonic()
SEARCH_NIGHTS = 3
SEARCH_DAYS = 180
TAIL_GOAL = 3.0
FLOOR_GOALS = {"detail": 0.60, "search": 0.50, "search_price": 0.50, "booking": 0.40}
PYTHON_MS_GOALS = {"detail": 0.8, "search": 1.2, "search_price": 1.2}
SCENARIOS = ("detail", "search", "search_price", "booking")
LABELS = {
    "health": "GET /health",
    "detail": "detail (cold)",
    "search": "search (cold)",
    "search_price": "search price_asc (cold)",
    "booking": "POST /bookings",
}
EMAIL_PREFIX = "hotpaths-"  # the accounts this script registers; removed before and after


def log(message: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.1f} s] {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    data = p.add_argument_group("data")
    data.add_argument("--quick", action="store_true", help="5k properties / 50k bookings, 8 guests unless given")
    data.add_argument("--properties", type=int, help="default 50000 (5000 with --quick)")
    data.add_argument("--bookings", type=int, help="default 500000 (50000 with --quick)")
    data.add_argument("--users", type=int, help="default properties / 2")
    data.add_argument("--reviews", type=int, help="default bookings / 10")
    data.add_argument("--db-name", default="airbnb_bench")
    data.add_argument("--admin-dsn", default="postgresql://postgres@127.0.0.1:5432/postgres")
    data.add_argument("--redis-url", default="redis://127.0.0.1:6379/12", help="flushed before every run")
    data.add_argument("--keep-db", action="store_true", help="do not drop the database at the end")
    data.add_argument("--reuse-db", action="store_true", help="skip seeding if the counts match (implies --keep-db)")
    data.add_argument("--seed-poll", type=float, default=120, help="seconds between checks for the seeder")

    load = p.add_argument_group("load")
    load.add_argument("--server", choices=servers.SERVERS, default="uvicorn")
    load.add_argument("--workers", type=int, default=2)
    load.add_argument("--app", default=servers.PRODUCTION_FACTORY, help="application factory (to try a change out)")
    load.add_argument("--duration", type=float, default=20, help="seconds per measured run")
    load.add_argument("--warmup", type=float, default=3, help="seconds of untimed load before each run")
    load.add_argument("--connections", type=int, default=32)
    load.add_argument("--threads", type=int, default=2, help="wrk threads (1 or 2)")
    load.add_argument("--repeat", type=int, default=3, help="interleaved rounds; the table shows medians")
    load.add_argument("--scenarios", default=",".join(SCENARIOS), help="which of " + ",".join(SCENARIOS))
    load.add_argument("--sql-clients", type=int, default=2, help="processes the floor's connections spread over")
    load.add_argument("--sql-params", type=int, default=2000, help="parameter sets of the read floors")
    load.add_argument("--hot-properties", type=int, default=20, help="listings every booking goes to")
    load.add_argument("--hosts", type=int, default=2)
    load.add_argument("--guests", type=int, help="guests with tokens; 32 (8 with --quick)")
    load.add_argument("--days", type=int, default=365, help="bookings: check-ins within this many days")
    load.add_argument("--max-nights", type=int, default=7, help="bookings: 1 to this many nights")
    load.add_argument("--no-profile", action="store_true", help="skip the py-spy runs (no Python split)")
    load.add_argument("--profile-rate", type=int, default=250, help="py-spy samples per second")
    load.add_argument("--profile-dir", type=Path, help="keep py-spy's raw profiles (SCENARIO.txt) in this directory")

    out = p.add_argument_group("output")
    out.add_argument("--json", type=Path, help="also write the figures to this file")
    args = p.parse_args(argv)
    args.properties = args.properties or (5_000 if args.quick else 50_000)
    args.bookings = args.bookings or (50_000 if args.quick else 500_000)
    args.users = args.users or max(100, args.properties // 2)
    args.reviews = args.reviews if args.reviews is not None else args.bookings // 10
    args.guests = args.guests or (8 if args.quick else 32)
    args.keep_db = args.keep_db or args.reuse_db
    args.profile = not args.no_profile  # run_bench.ensure_tools installs py-spy when true
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        p.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    return args


# ---------------------------------------------------------------------------------------------- results


@dataclass
class Figures:
    """The runs of one scenario: the server's, the floor's, and the profiled run's Python split."""

    runs: list[LoadResult] = field(default_factory=list)
    floors: list[sql_floor.SqlResult] = field(default_factory=list)
    statuses: list[Counter[int]] = field(default_factory=list)
    split_ms: dict[str, float] | None = None
    profile_note: str = ""
    cpu_ms: list[float] = field(default_factory=list)  # the server's CPU ms per request, each measured run
    profiled_cpu_ms: float | None = None  # the same during the py-spy run

    def median(self, read: Callable[[LoadResult], float]) -> float:
        return statistics.median(read(r) for r in self.runs)

    @property
    def rps(self) -> float:
        return self.median(lambda r: r.requests_per_second)

    @property
    def p50(self) -> float:
        return self.median(lambda r: r.p50_ms)

    @property
    def p99(self) -> float:
        return self.median(lambda r: r.p99_ms)

    @property
    def floor_rps(self) -> float | None:
        return statistics.median(f.queries_per_second for f in self.floors) if self.floors else None


# ---------------------------------------------------------------------------------------------- the hot set


@dataclass
class HotSet:
    """The booking scenario's listings and guests, made over the API as booking_contention.py makes them."""

    run_id: str
    property_ids: list[str]
    guest_emails: list[str]
    tokens: list[str]
    tokens_at: float


def remove_hot_set(db: Database) -> None:
    """Everything this script registered (accounts, their listings and bookings), so --reuse-db finds the seed."""
    with psycopg.connect(db.dsn) as conn:
        users = [r[0] for r in conn.execute("SELECT id FROM users WHERE email LIKE %s", (EMAIL_PREFIX + "%",))]
        if not users:
            return
        listings = [r[0] for r in conn.execute("SELECT id FROM properties WHERE host_id = ANY(%s)", (users,))]
        bookings = "SELECT id FROM bookings WHERE property_id = ANY(%(p)s) OR user_id = ANY(%(u)s)"
        params = {"p": listings, "u": users}
        conn.execute(f"DELETE FROM payments WHERE booking_id IN ({bookings})", params)  # noqa: S608
        conn.execute(f"DELETE FROM reviews WHERE booking_id IN ({bookings})", params)  # noqa: S608
        conn.execute("DELETE FROM bookings WHERE property_id = ANY(%(p)s) OR user_id = ANY(%(u)s)", params)
        conn.execute("DELETE FROM properties WHERE id = ANY(%s)", (listings,))
        for table in ("refresh_tokens", "idempotency_records"):
            conn.execute(f"DELETE FROM {table} WHERE user_id = ANY(%s)", (users,))  # noqa: S608
        conn.execute("DELETE FROM users WHERE id = ANY(%s)", (users,))


def clear_hot_calendars(db: Database, hot: HotSet) -> int:
    """Delete every booking on the hot listings, so each booking run starts from empty calendars."""
    with psycopg.connect(db.dsn) as conn:
        return conn.execute("DELETE FROM bookings WHERE property_id = ANY(%s::uuid[])", (hot.property_ids,)).rowcount


HOT_OVERLAPS_SQL = """
    SELECT count(*) FROM bookings a JOIN bookings b
      ON a.property_id = b.property_id AND a.id < b.id
     AND daterange(a.check_in_date, a.check_out_date) && daterange(b.check_in_date, b.check_out_date)
    WHERE a.property_id = ANY(%(hot)s::uuid[]) AND a.status = ANY(%(active)s) AND b.status = ANY(%(active)s)
"""


def check_hot_calendars(db: Database, hot: HotSet) -> tuple[int, int]:
    """Active bookings on the hot listings, and pairs of them that overlap (must be 0)."""
    active = list(booking_contention.ACTIVE_STATUSES)
    with psycopg.connect(db.dsn) as conn:
        pairs = conn.execute(HOT_OVERLAPS_SQL, {"hot": hot.property_ids, "active": active}).fetchone()
        count = conn.execute(
            "SELECT count(*) FROM bookings WHERE property_id = ANY(%s::uuid[]) AND status = ANY(%s)",
            (hot.property_ids, active),
        ).fetchone()
    return int(count[0]) if count else -1, int(pairs[0]) if pairs else -1


def make_hot_set(base: str, args: argparse.Namespace) -> HotSet:
    run_id = uuid.uuid4().hex[:6]
    log(f"booking: registering {args.hosts} hosts and {args.guests} guests over the API (argon2: slow)")
    with ThreadPoolExecutor(8) as pool:
        hosts = list(
            pool.map(
                lambda n: booking_contention.account(base, f"{EMAIL_PREFIX}host{n}-{run_id}@example.com", host=True),
                range(args.hosts),
            )
        )
        emails = [f"{EMAIL_PREFIX}guest{n}-{run_id}@example.com" for n in range(args.guests)]
        tokens = list(pool.map(lambda e: booking_contention.account(base, e, host=False), emails))
        ids = list(
            pool.map(lambda n: booking_contention.listing(base, hosts[n % len(hosts)], n), range(args.hot_properties))
        )
    return HotSet(run_id, ids, emails, tokens, time.monotonic())


def fresh_tokens(base: str, hot: HotSet) -> None:
    """Log the guests in again when their access tokens (15 minutes) could run out during the next run."""
    if time.monotonic() - hot.tokens_at < 10 * 60:
        return
    log("booking: the guests' tokens are 10 minutes old; logging them in again")

    def login(email: str) -> str:
        answer = booking_contention.call(
            "POST", f"{base}/api/v1/auth/login", {"email": email, "password": booking_contention.PASSWORD}
        )
        return str(booking_contention.expect(200, answer, email)["access_token"])

    with ThreadPoolExecutor(8) as pool:
        hot.tokens = list(pool.map(login, hot.guest_emails))
    hot.tokens_at = time.monotonic()


def guest_id(db: Database, email: str) -> uuid.UUID:
    with psycopg.connect(db.dsn) as conn:
        row = conn.execute("SELECT id FROM users WHERE email = %s", (email,)).fetchone()
    assert row is not None, email
    return uuid.UUID(str(row[0]))


# ---------------------------------------------------------------------------------------------- the workloads


@dataclass
class Workload:
    """One scenario: the path wrk starts from, its Lua script (and the warm-up's), and the floor's SQL."""

    key: str
    url_path: str
    script: str
    warmup_script: str
    floor: list[sql_floor.Search] = field(default_factory=list)
    booking: sql_floor.BookingTemplate | None = None


def read_workloads(db: Database, args: argparse.Namespace, first_day: date) -> tuple[list[Workload], list[str]]:
    """detail, search and search_price: wrk scripts that never ask the same thing twice in a run (until the space
    runs out), and the floors' statements from adapters.persistence.queries."""
    notes: list[str] = []
    source = "adapters.persistence.queries"
    found: list[Workload] = []
    if "detail" in args.scenarios:
        ids = db.property_ids(args.properties)
        paths = [detail_path(i) for i in ids]
        floor_ids = [uuid.UUID(i) for i in ids[: args.sql_params]]
        floor = sql_floor.detail_statements(floor_ids)
        half = len(paths) // 2
        found.append(
            Workload(
                "detail", paths[0], permuted_lua(paths, args.threads), permuted_lua(paths, args.threads, half), floor
            )
        )
        notes.append(f"detail: {len(paths)} active listings in a scrambled order, none twice; floor SQL: {source}, "
                     f"{_statements(floor)}")  # fmt: skip
    cities = tuple(c for c, _ in db.cities(100))
    for key, sort in (("search", "newest"), ("search_price", "price_asc")):
        if key not in args.scenarios:
            continue
        extra = "" if sort == "newest" else f"&sort={sort}"
        space = SearchSpace(cities, first_day, days=SEARCH_DAYS, max_nights=SEARCH_NIGHTS, min_nights=SEARCH_NIGHTS,
                            extra_query=extra)  # fmt: skip
        stays = [space.stay(n) for n in range(min(args.sql_params, space.size))]
        floor = sql_floor.search_statements(stays, guests=2, sort=sort)
        found.append(
            Workload(key, space.path(0), space.lua(args.threads), space.lua(args.threads, space.size // 2), floor)
        )
        notes.append(f"{key}: {len(cities)} cities x {SEARCH_DAYS} check-in days, {SEARCH_NIGHTS} nights, guests=2"
                     f"{extra} = {space.size} distinct URLs; floor SQL: {source}, {_statements(floor)}")  # fmt: skip
    return found, notes


def _statements(floor: list[sql_floor.Search]) -> str:
    counts = sorted({len(s) for s in floor})
    shapes = len(sql_floor.statement_shapes(floor))
    return f"{'/'.join(map(str, counts))} statement(s) per request, {shapes} distinct text(s), {len(floor)} sets"


def booking_workload(db: Database, hot: HotSet, args: argparse.Namespace, first_day: date) -> tuple[Workload, str]:
    template = sql_floor.capture_booking(
        db.sqlalchemy_url,
        guest_id(db, hot.guest_emails[0]),
        [uuid.UUID(i) for i in hot.property_ids],
        first_day,
        days=args.days,
        max_nights=args.max_nights,
    )
    script = booking_contention.booking_lua(hot.property_ids, hot.tokens, first_day, args.days, args.max_nights)
    roles = " ".join(role for _, _, role in template.steps)
    note = (
        f"booking: {args.hot_properties} hot listings, {args.guests} guests' tokens, check-in within {args.days} days,"
        f" 1-{args.max_nights} nights; calendars emptied before every run; floor: one Bookings.request transaction "
        f"captured from SQLAlchemy (BEGIN, {roles}, COMMIT), replayed with fresh ids/listing/dates, ROLLBACK where "
        "held_stays finds a booking (the 409)"
    )
    return Workload("booking", "/api/v1/bookings", script, script, booking=template), note


# ---------------------------------------------------------------------------------------------- running


def run_http(
    server: servers.RunningServer, wrk: Wrk, work: Workload, args: argparse.Namespace
) -> tuple[LoadResult, Counter[int], float]:
    """The measured run: wrk's figures, the status codes the script counted (booking), the server's CPU ms/request."""
    reports: list[str] = []

    def run() -> LoadResult:
        reports.append(wrk.run_report(server.base_url + work.url_path, args.duration, work.script or None))
        return parse_wrk(reports[0])

    load, cpu_ms = server_cpu(server, run)
    return load, booking_contention.statuses(reports[0]), cpu_ms


def run_floor(db: Database, work: Workload, args: argparse.Namespace) -> sql_floor.SqlResult:
    connections = max(1, args.connections // args.sql_clients)
    result, _, _ = sql_floor.measure(
        db.dsn,
        work.floor,
        clients=args.sql_clients,
        seconds=args.duration,
        # The booking floor starts from empty hot calendars, as the HTTP run does (a warm-up would fill them).
        warmup_seconds=0 if work.booking is not None else args.warmup,
        probe=lambda: None,
        connections_per_client=connections,
        booking=work.booking,
    )
    return result


def profile_run(
    server: servers.RunningServer, wrk: Wrk, work: Workload, args: argparse.Namespace
) -> tuple[dict[str, float] | None, float, str]:
    """An unreported run with py-spy on every worker: Python milliseconds per request by category."""
    seconds = max(5, round(args.duration))
    with tempfile.TemporaryDirectory(prefix="airbnb-hot-paths-py-spy-") as tmp:
        raw = (args.profile_dir or Path(tmp)) / f"{work.key}.txt"
        raw.parent.mkdir(parents=True, exist_ok=True)
        sampler = profiling.record(BIN / "py-spy", server.process.pid, seconds + 3, raw, rate=args.profile_rate)
        time.sleep(1.5)  # py-spy attaches to every worker first
        load, cpu_ms = server_cpu(
            server, lambda: wrk.run(server.base_url + work.url_path, seconds, work.script or None)
        )
        sampler.wait(timeout=60)
        if not raw.exists():
            return None, cpu_ms, f"{work.key}: py-spy wrote no profile (is ptrace allowed?)"
        counts, unclaimed = profiling.split(raw)
    requests = max(load.requests, 1)
    per_request = {k: n / args.profile_rate * 1000 / requests for k, n in counts.items()}
    total = max(sum(counts.values()), 1)
    top = ", ".join(f"{name} {n / total:.0%}" for name, n in unclaimed.most_common(3))
    note = (
        f"{work.key}: profiled {load.requests} requests ({load.requests_per_second:.0f} req/s under py-spy), "
        f"{sum(counts.values())} samples at {args.profile_rate}/s, server CPU {cpu_ms:.2f} ms/request meanwhile"
        + (f"; top of 'other': {top}" if top else "")
    )
    return per_request, cpu_ms, note


def server_cpu(server: servers.RunningServer, run: Callable[[], LoadResult]) -> tuple[LoadResult, float]:
    """``run``, and the CPU milliseconds the server's process tree spent per request meanwhile."""
    before = cpu.sample(server.process.pid, [])
    load = run()
    after = cpu.sample(server.process.pid, [])
    return load, (after.groups["server"] - before.groups["server"]) * 1000 / max(load.requests, 1)


def prepare_run(work: Workload, cache: redis.Redis, db: Database, hot: HotSet | None, base: str) -> None:
    cache.flushdb()
    if work.key == "booking" and hot is not None:
        fresh_tokens(base, hot)
        clear_hot_calendars(db, hot)


# ---------------------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    run_bench.ensure_tools(args, (args.server,))
    db = Database(args.admin_dsn, args.db_name)
    cache = redis.Redis.from_url(args.redis_url)
    wrk = Wrk(args.threads, args.connections)
    load_average = os.getloadavg()[0]
    figures: dict[str, Figures] = {"health": Figures(), **{s: Figures() for s in args.scenarios}}
    notes: list[str] = []
    first_day = datetime.now(UTC).date() + timedelta(days=1)
    with tempfile.TemporaryDirectory(prefix="airbnb-hot-paths-logs-") as log_dir:
        try:
            sizes = Sizes(args.users, args.properties, args.bookings, args.reviews)
            log(f"database {db.name}: {sizes}")
            if db.counts() is not None:
                remove_hot_set(db)  # left over by an interrupted run
            how = prepare(db, sizes, reuse=args.reuse_db, poll_seconds=args.seed_poll, log=log)
            log(how)
            workloads, read_notes = read_workloads(db, args, first_day)
            notes += read_notes
            cache.flushdb()
            log(f"starting {args.server} with {args.workers} workers")
            with servers.running(
                args.server, bin_dir=BIN, cwd=ROOT, env=run_bench.server_env(db, args), host="127.0.0.1",
                workers=args.workers, log_dir=Path(log_dir), factory=args.app,
            ) as server:  # fmt: skip
                base = server.base_url
                hot = None
                if "booking" in args.scenarios:
                    hot = make_hot_set(base, args)
                    work, note = booking_workload(db, hot, args, first_day)
                    workloads.append(work)
                    notes.append(note)
                log(f"warming up for {args.warmup:.0f} s on /health")
                wrk.run(base + "/health", args.warmup)
                for round_number in range(1, args.repeat + 1):
                    tag = f"round {round_number}/{args.repeat}"
                    log(f"{tag}: GET /health")
                    health_load, _, health_cpu = run_http(server, wrk, Workload("health", "/health", "", ""), args)
                    figures["health"].runs.append(health_load)
                    figures["health"].cpu_ms.append(health_cpu)
                    for work in workloads:
                        prepare_run(work, cache, db, hot, base)
                        log(f"{tag}: {work.key}: warm-up {args.warmup:.0f} s, then {args.duration:.0f} s")
                        wrk.run(base + work.url_path, args.warmup, work.warmup_script)
                        prepare_run(work, cache, db, hot, base)
                        load, codes, cpu_ms = run_http(server, wrk, work, args)
                        figures[work.key].runs.append(load)
                        figures[work.key].statuses.append(codes)
                        figures[work.key].cpu_ms.append(cpu_ms)
                        if work.key == "booking" and hot is not None:
                            notes.append(f"{tag}: after the booking run: {_calendar(db, hot)}")
                            clear_hot_calendars(db, hot)
                        log(f"{tag}: {work.key}: SQL floor, {args.connections} connections in {args.sql_clients} "
                            "processes")  # fmt: skip
                        if work.key == "booking" and hot is not None:
                            clear_hot_calendars(db, hot)
                        figures[work.key].floors.append(run_floor(db, work, args))
                        if work.key == "booking" and hot is not None:
                            notes.append(f"{tag}: after the booking floor: {_calendar(db, hot)}")
                if args.profile:
                    health = Workload("health", "/health", "", "")
                    for work in [health, *workloads]:
                        prepare_run(work, cache, db, hot, base)
                        log(f"profiling {work.key} with py-spy (unreported run)")
                        split, cpu_ms, note = profile_run(server, wrk, work, args)
                        figures[work.key].split_ms, figures[work.key].profile_note = split, note
                        figures[work.key].profiled_cpu_ms = cpu_ms
                        notes.append(note)
                server_log = server.log_tail(5)
            versions = run_bench.tool_versions(db)
        finally:
            cache.flushdb()
            if db.counts() is not None:
                remove_hot_set(db)
            if not args.keep_db:
                log(f"dropping database {db.name}")
                db.drop()
    lines = report(args, how, figures, notes, versions, load_average)
    print("\n".join(lines))
    if args.json:
        write_json(args.json, args, figures, lines)
    failed = [
        k for k, f in figures.items() if any(_failures(k, r, c) for r, c in zip(f.runs, f.statuses, strict=False))
    ]
    if failed:
        print(f"\nfailed requests in: {', '.join(failed)}; server log tail:\n{server_log}")
    return 0


def _calendar(db: Database, hot: HotSet) -> str:
    active, pairs = check_hot_calendars(db, hot)
    return f"{active} active bookings on the hot listings, {pairs} overlapping pairs" + (
        "" if pairs == 0 else "  <-- MUST BE 0"
    )


def _failures(key: str, load: LoadResult, codes: Counter[int]) -> int:
    """Requests that failed: socket errors, and non-2xx answers (for booking: anything but 201 and 409)."""
    if key == "booking":
        return load.socket_errors + sum(n for code, n in codes.items() if code not in (201, 409))
    return load.failed


# ---------------------------------------------------------------------------------------------- the report


def report(
    args: argparse.Namespace,
    how: str,
    figures: dict[str, Figures],
    notes: list[str],
    versions: str,
    load_average: float,
) -> list[str]:
    command = shlex.join([os.path.relpath(sys.executable, ROOT), os.path.relpath(sys.argv[0], ROOT), *sys.argv[1:]])
    served = (
        f"{args.server} x {args.workers} workers, production's application"
        if args.app == servers.PRODUCTION_FACTORY
        else f"{args.server} x {args.workers} workers, NOT production's application: factory {args.app}"
    )
    lines = [
        "",
        f"== airbnb hot paths, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"command: {command}",
        f"machine: nproc {os.cpu_count()}, Python {platform.python_version()}, {platform.platform()}; "
        f"load average before the run {load_average:.2f}",
        f"tools: {versions}",
        f"served: {served}; AIRBNB_ENV=production, Redis {args.redis_url} (flushed before every run), rate limits "
        "raised to 100000000/min",
        f"data: {how}",
        f"load: wrk -t{args.threads} -c{args.connections} -d{args.duration:.0f}s after a {args.warmup:.0f} s warm-up; "
        f"{args.repeat} interleaved round(s), medians; floor: the same SQL through psycopg, {args.connections} "
        f"connections in {args.sql_clients} processes (asyncio), prepared, autocommit for reads",
        *notes,
        "",
    ]
    split_keys = profiling.SPLIT
    header = (
        f"{'scenario':<24} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'p99/p50':>8} {'floor req/s':>11} "
        f"{'to floor':>9} {'vs /health':>10} | Python ms/request: "
        + " ".join(f"{k:>10}" for k in split_keys)
        + f" {'total':>7}"
    )
    lines += [header, "-" * len(header)]
    health = figures["health"].rps if figures["health"].runs else None
    misses: list[str] = []
    for key, f in figures.items():
        if not f.runs:
            continue
        tail = f.p99 / f.p50 if f.p50 else float("inf")
        floor = f.floor_rps
        to_floor = f.rps / floor if floor else None
        vs_health = f.rps / health if health and key != "health" else None
        split = f.split_ms
        total = sum(split.values()) if split else None
        cells = (
            " ".join(f"{split[k]:>10.3f}" for k in split_keys) + f" {total:>7.3f}"
            if split is not None and total is not None
            else " ".join(f"{'-':>10}" for _ in split_keys) + f" {'-':>7}"
        )
        lines.append(
            f"{LABELS[key]:<24} {f.rps:>8.1f} {f.p50:>8.2f} {f.p99:>8.2f} {tail:>8.1f} "
            f"{(f'{floor:.1f}' if floor else '-'):>11} {(f'{to_floor:.1%}' if to_floor else '-'):>9} "
            f"{(f'{vs_health:.1%}' if vs_health else '-'):>10} | {'':19}{cells}"
        )
        if tail > TAIL_GOAL:
            misses.append(
                f"{LABELS[key]}: p99 {f.p99:.1f} ms = {tail:.1f}x p50 {f.p50:.1f} ms, goal <= {TAIL_GOAL:.0f}x"
            )
        goal = FLOOR_GOALS.get(key)
        if goal is not None and to_floor is not None and to_floor < goal:
            misses.append(f"{LABELS[key]}: {to_floor:.1%} of its SQL floor's throughput, goal >= {goal:.0%}")
        python_goal = PYTHON_MS_GOALS.get(key)
        if python_goal is not None and total is not None and total > python_goal:
            misses.append(f"{LABELS[key]}: {total:.2f} Python ms/request, goal <= {python_goal}")
        refused = sum(fl.outcomes.get("connection refused", 0) for fl in f.floors)
        if refused:
            misses.append(f"{LABELS[key]}: floor ran with {refused} connection(s) refused by PostgreSQL (too many "
                          "clients on the shared server), so it is too low")  # fmt: skip
        failed = sum(
            _failures(key, r, c) for r, c in zip(f.runs, f.statuses or [Counter()] * len(f.runs), strict=False)
        )
        if failed:
            misses.append(f"{LABELS[key]}: {failed} failed requests over {sum(r.requests for r in f.runs)}")
    lines.append("")
    lines.append(
        "server CPU ms/request (user+system of the server's process tree / requests): "
        + "; ".join(
            f"{LABELS[k]} {statistics.median(f.cpu_ms):.2f}"
            + (f" ({f.profiled_cpu_ms:.2f} under py-spy)" if f.profiled_cpu_ms is not None else "")
            for k, f in figures.items()
            if f.cpu_ms
        )
    )
    scaled = [
        f"{LABELS[k]} "
        + " ".join(f"{c} {f.split_ms[c] * f.profiled_cpu_ms / total_ms:.2f}" for c in split_keys if f.split_ms[c])
        for k, f in figures.items()
        if f.split_ms and f.profiled_cpu_ms and (total_ms := sum(f.split_ms.values()))
    ]
    if scaled:
        lines.append(
            "the split scaled to the server's CPU ms/request under py-spy (samples count wall time holding the GIL, "
            "waiting for a CPU included): " + "; ".join(scaled)
        )
    for key, f in figures.items():
        if f.floors:
            fl = f.floors[len(f.floors) // 2]
            extra = f"; outcomes {fl.outcomes}" if fl.outcomes.keys() - {"ok"} else ""
            lines.append(f"floor {LABELS[key]}: p50 {fl.p50_ms:.2f} ms, p99 {fl.p99_ms:.2f} ms{extra}")
    if "booking" in figures and figures["booking"].statuses:
        codes: Counter[int] = Counter()
        for c in figures["booking"].statuses:
            codes.update(c)
        total_codes = sum(codes.values())
        created = codes.get(201, 0)
        lines.append(
            f"booking answers: {dict(sorted(codes.items()))}; 409 share {codes.get(409, 0) / max(total_codes, 1):.1%}; "
            f"201/s (median run) {statistics.median(c.get(201, 0) / r.seconds for r, c in zip(figures['booking'].runs, figures['booking'].statuses, strict=False)):.1f}"  # noqa: E501
            if created or total_codes
            else "booking answers: none counted"
        )
    lines += [
        "",
        "goals: throughput to floor detail >= 60%, search >= 50% (both sorts), booking >= 40%; p99 <= 3x p50; "
        "Python ms/request search <= 1.2, detail <= 0.8",
        *([f"missed: {m}" for m in misses] if misses else ["all goals met"]),
    ]
    return lines


def write_json(path: Path, args: argparse.Namespace, figures: dict[str, Figures], lines: list[str]) -> None:
    document: dict[str, Any] = {
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "scenarios": {
            key: {
                "rps": f.rps if f.runs else None,
                "p50_ms": f.p50 if f.runs else None,
                "p99_ms": f.p99 if f.runs else None,
                "floor_rps": f.floor_rps,
                "python_ms_per_request": f.split_ms,
                "server_cpu_ms_per_request": f.cpu_ms,
                "server_cpu_ms_per_request_profiled": f.profiled_cpu_ms,
                "profile": f.profile_note,
                "runs": [vars(r) for r in f.runs],
                "floors": [vars(fl) for fl in f.floors],
                "statuses": [dict(c) for c in f.statuses],
            }
            for key, f in figures.items()
        },
        "report": lines,
    }
    path.write_text(json.dumps(document, indent=2, default=str))


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit("interrupted")
