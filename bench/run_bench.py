"""HTTP benchmark of the booking backend under uvicorn and granian, against a seeded PostgreSQL database.

    .venv/bin/python bench/run_bench.py [--quick] [--properties 50000 --bookings 500000]
        [--duration 15 --connections 32 --workers 2 --server uvicorn|granian|both] [--keep-db | --reuse-db]

See bench/README.md for what is measured and how to read the table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cpu
import profiling
import redis
import report
import servers
import sql_floor
from database import Database, Sizes, prepare
from loadgen import LoadResult, Wrk
from report import DETAIL, ENDPOINTS, HEALTH, SEARCH_COLD, SEARCH_WARM, Floor, Measurement, Observed, ServerResults
from workload import SearchSpace, detail_path, rotating_lua, search_path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the application's modules (entrypoints, bootstrap, adapters), also in spawned processes

BIN = Path(sys.executable).parent
STARTED = time.monotonic()
WARM_SEARCH_CITIES = 8
WARM_SEARCH_DAYS_AHEAD = (14, 30, 45, 60)
WARM_SEARCH_NIGHTS = 3
STATS_FLUSH_SECONDS = 1.0


def log(message: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.1f} s] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------- command line


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    size = p.add_argument_group("data")
    size.add_argument("--quick", action="store_true", help="5k properties / 50k bookings unless sizes are given")
    size.add_argument("--properties", type=int, help="default 50000 (5000 with --quick)")
    size.add_argument("--bookings", type=int, help="default 500000 (50000 with --quick)")
    size.add_argument("--users", type=int, help="default properties / 2")
    size.add_argument("--reviews", type=int, help="default bookings / 10")
    size.add_argument("--db-name", default="airbnb_bench")
    size.add_argument("--admin-dsn", default="postgresql://postgres@127.0.0.1:5432/postgres")
    size.add_argument("--redis-url", default="redis://127.0.0.1:6379/14", help="flushed before every server and run")
    size.add_argument("--keep-db", action="store_true", help="do not drop the database at the end")
    size.add_argument("--reuse-db", action="store_true", help="skip seeding if the counts match (implies --keep-db)")
    size.add_argument("--seed-poll", type=float, default=120, help="seconds between checks for the seeder")

    load = p.add_argument_group("load")
    load.add_argument("--server", choices=[*servers.SERVERS, "both"], default="both")
    load.add_argument("--workers", type=int, default=2)
    load.add_argument(
        "--app",
        default=servers.PRODUCTION_FACTORY,
        help="application factory to serve instead of production's (to try a change out; on PYTHONPATH)",
    )
    load.add_argument("--duration", type=float, default=15, help="seconds per measured run")
    load.add_argument("--warmup", type=float, default=3, help="seconds of untimed load before /health and SQL runs")
    load.add_argument("--connections", type=int, default=32)
    load.add_argument("--threads", type=int, default=2, help="wrk threads")
    load.add_argument("--repeat", type=int, default=1, help="runs per figure; the table shows medians")
    load.add_argument(
        "--endpoints",
        default=",".join(e.key for e in ENDPOINTS[1:]),
        help="which of detail,search_warm,search_cold to measure (/health always is)",
    )
    load.add_argument("--detail-ids", type=int, default=2000, help="property ids the detail run rotates over")
    load.add_argument("--sql-clients", type=int, default=2 * (os.cpu_count() or 1))
    load.add_argument("--sql-params", type=int, default=300, help="parameter sets captured for the SQL replay")

    out = p.add_argument_group("output")
    out.add_argument("--explain", action="store_true", help="print the search SQL and its EXPLAIN ANALYZE")
    out.add_argument("--profile", action="store_true", help="py-spy the workers during an extra cache-cold run")
    out.add_argument("--json", type=Path, help="also write the figures to this file")
    args = p.parse_args(argv)
    args.properties = args.properties or (5_000 if args.quick else 50_000)
    args.bookings = args.bookings or (50_000 if args.quick else 500_000)
    args.users = args.users or max(100, args.properties // 2)
    args.reviews = args.reviews if args.reviews is not None else args.bookings // 10
    args.keep_db = args.keep_db or args.reuse_db
    args.endpoints = {HEALTH.key, *(e.strip() for e in args.endpoints.split(",") if e.strip())}
    unknown = args.endpoints - {e.key for e in ENDPOINTS}
    if unknown:
        p.error(f"unknown endpoints: {', '.join(sorted(unknown))}")
    return args


# ---------------------------------------------------------------------------------------------- tools


def ensure_tools(args: argparse.Namespace, wanted_servers: tuple[str, ...]) -> None:
    """Install what is missing where that is safe (wrk through apt as root, Python tools into this venv)."""
    apt_get = shutil.which("apt-get")
    if shutil.which("wrk") is None:
        if os.geteuid() == 0 and apt_get:
            log("wrk is missing: apt-get install -y wrk")
            if subprocess.run([apt_get, "install", "-y", "wrk"], capture_output=True, check=False).returncode:  # noqa: S603
                subprocess.run([apt_get, "update"], capture_output=True, check=False)  # noqa: S603
                subprocess.run([apt_get, "install", "-y", "wrk"], capture_output=True, check=False)  # noqa: S603
        if shutil.which("wrk") is None:
            sys.exit("wrk is needed: apt-get install -y wrk (or build https://github.com/wg/wrk)")
    tools = {"airbnb": None}  # the project's CLI: pip install -e . into this venv
    if "granian" in wanted_servers:
        tools["granian"] = "granian"
    if args.profile:
        tools["py-spy"] = "py-spy"
    for executable, package in tools.items():
        if (BIN / executable).exists():
            continue
        if package is None:
            sys.exit(f"{BIN / executable} is missing: {BIN / 'pip'} install -e {ROOT}")
        log(f"{executable} is missing: pip install {package}")
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", package], check=False)  # noqa: S603
        if not (BIN / executable).exists():
            sys.exit(f"{executable} is needed: {BIN / 'pip'} install {package}")


def tool_versions(db: Database) -> str:
    def version(command: list[str]) -> str:
        done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        return (done.stdout + done.stderr).split("\n", 1)[0].strip()

    wrk = version(["wrk", "--version"]).split(" [")[0]
    parts = [
        f"PostgreSQL {db.server_version()}",
        wrk,
        version([str(BIN / "uvicorn"), "--version"]).split(" with ")[0].removeprefix("Running "),
    ]
    if (BIN / "granian").exists():
        parts.append("granian " + version([str(BIN / "granian"), "--version"]).split()[-1])
    return ", ".join(parts)


# ---------------------------------------------------------------------------------------------- HTTP helpers


def http_get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers.items()), exc.read()


def fetch_all(base_url: str, paths: list[str]) -> list[int]:
    """Request each path once (eight at a time), e.g. to fill the response cache; their status codes."""
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(lambda path: http_get(base_url + path)[0], paths))


def expect_ok(base_url: str, path: str) -> tuple[dict[str, object], str | None]:
    """The JSON document ``path`` answers with 200 (anything else raises), and its X-Cache header."""
    status, headers, body = http_get(base_url + path)
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}: {body[:300]!r}")
    return json.loads(body), {k.lower(): v for k, v in headers.items()}.get("x-cache")


# ---------------------------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class Plan:
    """What every server is asked, fixed once so the servers answer exactly the same requests."""

    detail_paths: list[str]
    warm_search_paths: list[str]
    space: SearchSpace
    cities: list[tuple[str, int]]


def make_plan(db: Database, args: argparse.Namespace) -> Plan:
    ids = db.property_ids(args.detail_ids)
    cities = db.cities(20)
    if not ids or not cities:
        raise RuntimeError("the benchmark database has no active listings")
    first_day = datetime.now(UTC).date() + timedelta(days=1)
    warm = [
        search_path(city, first_day + timedelta(days=ahead), first_day + timedelta(days=ahead + WARM_SEARCH_NIGHTS))
        for city, _ in cities[:WARM_SEARCH_CITIES]
        for ahead in WARM_SEARCH_DAYS_AHEAD
    ]
    space = SearchSpace(tuple(city for city, _ in cities), first_day)
    return Plan([detail_path(i) for i in ids], warm, space, cities)


# ---------------------------------------------------------------------------------------------- measuring


def measure_sql(meter: Meter, plan: Plan, args: argparse.Namespace) -> tuple[Floor, list[str]]:
    db = meter.db
    # The first combinations of the cache-cold run: the requests the endpoint is measured with.
    stays = [plan.space.stay(n) for n in range(min(args.sql_params, plan.space.size))]
    searches = sql_floor.search_statements(stays, guests=2)
    shapes = sql_floor.statement_shapes(searches)
    statements = {len(s) for s in searches}
    notes = [
        f"search SQL: {'/'.join(map(str, sorted(statements)))} statement(s) per search, {len(shapes)} distinct "
        f"text(s), from adapters.persistence.queries for {len(searches)} parameter sets"
    ]
    if args.explain:
        print("\n-- search SQL (first parameter set):", searches[0], sep="\n")
        for plan_text in sql_floor.explain(db.dsn, searches[0]):
            print("\n-- EXPLAIN (ANALYZE, BUFFERS), second execution:", plan_text, sep="\n")
        print()
    log(f"SQL floor: {args.sql_clients} psycopg processes for {args.warmup:.0f} + {args.duration:.0f} s")
    result, (cpu_before, db_before), (cpu_after, db_after) = sql_floor.measure(
        db.dsn,
        searches,
        clients=args.sql_clients,
        seconds=args.duration,
        warmup_seconds=args.warmup,
        probe=lambda: (meter.cpu_now(), db.activity()),
    )
    return Floor(result, cpu.between(cpu_before, cpu_after), db_after - db_before), notes


def server_env(db: Database, args: argparse.Namespace) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRBNB_")}
    env.update(
        AIRBNB_ENV="production",
        AIRBNB_JWT_SECRET=secrets.token_urlsafe(48),
        # Production refuses to start without these since the hardening work.
        AIRBNB_METRICS_TOKEN=secrets.token_urlsafe(24),
        AIRBNB_SANDBOX_WEBHOOK_SECRET=secrets.token_urlsafe(24),
        AIRBNB_DATABASE_URL=db.sqlalchemy_url,
        AIRBNB_REDIS_URL=args.redis_url,
        AIRBNB_API_RATE_LIMIT="100000000",
        AIRBNB_LOGIN_RATE_LIMIT="100000000",
    )
    if args.app != servers.PRODUCTION_FACTORY:
        # Another factory, e.g. one trying a fix: this directory goes on the servers' import path.
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(Path(__file__).parent), env.get("PYTHONPATH")) if p)
    return env


@dataclass(frozen=True)
class Meter:
    """Reads the counters a run is observed with: CPU per process group, and the benchmark database's activity."""

    db: Database
    postgres_pids: list[int] | None  # the PostgreSQL server's main process, when it runs on this machine

    def cpu_now(self, server_pid: int | None = None) -> cpu.CpuSample:
        return cpu.sample(server_pid, self.postgres_pids)


def observe(server: servers.RunningServer, meter: Meter, run: Callable[[], LoadResult]) -> Observed:
    """``run``, with the CPU split and the database's counters over it."""
    cpu_before, db_before = meter.cpu_now(server.process.pid), meter.db.activity()
    load = run()
    cpu_after = meter.cpu_now(server.process.pid)
    time.sleep(STATS_FLUSH_SECONDS)  # backends report their counters to pg_stat_database once idle
    return Observed(load, cpu.between(cpu_before, cpu_after), meter.db.activity() - db_before)


def cached_searches(cache: redis.Redis) -> int:
    return sum(1 for _ in cache.scan_iter(match="cache:search:*", count=1000))


def measure_server(
    server: servers.RunningServer, meter: Meter, plan: Plan, wrk: Wrk, cache: redis.Redis, args: argparse.Namespace
) -> tuple[ServerResults, list[str]]:
    """Every wanted endpoint, ``--repeat`` times, each run prepared (cache filled or flushed) right before it."""
    base = server.base_url
    results: ServerResults = {e.key: Measurement() for e in ENDPOINTS if e.key in args.endpoints}
    notes: list[str] = []
    scripts = {
        DETAIL.key: rotating_lua(plan.detail_paths),
        SEARCH_WARM.key: rotating_lua(plan.warm_search_paths),
        SEARCH_COLD.key: plan.space.lua(args.threads),
    }

    def measured(endpoint_key: str, url: str) -> Observed:
        observed = observe(server, meter, lambda: wrk.run(url, args.duration, scripts.get(endpoint_key)))
        results[endpoint_key].runs.append(observed)
        return observed

    log(f"{server.name}: warming up for {args.warmup:.0f} s on /health")
    wrk.run(base + "/health", args.warmup)
    for run in range(1, args.repeat + 1):
        tag = f"{server.name} run {run}/{args.repeat}"
        log(f"{tag}: GET /health")
        measured(HEALTH.key, base + "/health")

        if DETAIL.key in results:
            hit = fill_cache(base, plan.detail_paths)
            log(f"{tag}: GET /properties/{{id}} over {len(plan.detail_paths)} ids, cache filled (X-Cache: {hit})")
            measured(DETAIL.key, base + plan.detail_paths[0])

        if SEARCH_WARM.key in results:
            hit = fill_cache(base, plan.warm_search_paths)
            log(f"{tag}: dated search over {len(plan.warm_search_paths)} URLs, cache filled (X-Cache: {hit})")
            measured(SEARCH_WARM.key, base + plan.warm_search_paths[0])

        if SEARCH_COLD.key in results:
            cache.flushdb()
            log(f"{tag}: dated search, every request unique (cache flushed)")
            cold = measured(SEARCH_COLD.key, base + plan.space.path(0)).load
            stored = cached_searches(cache)
            notes.append(
                f"{server.name} run {run}: cache-cold search sent {cold.requests} requests over {plan.space.size} "
                f"distinct combinations; {stored} answers were computed and stored "
                f"(cache misses: {min(stored, cold.requests) / max(cold.requests, 1):.1%})"
            )
    sample, _ = expect_ok(base, plan.space.path(plan.space.size - 1))
    items = sample.get("items")
    notes.append(f"{server.name}: a sample dated search returns {len(items) if isinstance(items, list) else 0} items")
    if args.profile:
        notes += profile(server, plan, wrk, cache, scripts[SEARCH_COLD.key], args)
    return results, notes


def fill_cache(base_url: str, paths: list[str]) -> str:
    """Request every path once so that the response cache holds it; the X-Cache header of a second request."""
    statuses = fetch_all(base_url, paths)
    if set(statuses) != {200}:
        raise RuntimeError(f"warming up answered {sorted(set(statuses))}, not only 200")
    return str(expect_ok(base_url, paths[0])[1])


def profile(
    server: servers.RunningServer, plan: Plan, wrk: Wrk, cache: redis.Redis, script: str, args: argparse.Namespace
) -> list[str]:
    """An extra, unreported cache-cold search run with py-spy sampling every worker."""
    seconds = max(5, round(args.duration))
    with tempfile.TemporaryDirectory(prefix="airbnb-bench-py-spy-") as tmp:
        raw = Path(tmp) / f"{server.name}.txt"
        cache.flushdb()
        log(f"{server.name}: profiling a cache-cold search run with py-spy for {seconds} s")
        sampler = profiling.record(BIN / "py-spy", server.process.pid, seconds, raw)
        wrk.run(server.base_url + plan.space.path(0), seconds + 1, script)
        sampler.wait(timeout=60)
        if not raw.exists():
            return [f"{server.name}: py-spy wrote no profile (is ptrace allowed?)"]
        found = profiling.summarize(raw, ROOT)
    return [f"{server.name} py-spy during cache-cold search, all workers:", *("  " + s for s in found.lines())]


# ---------------------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wanted = servers.SERVERS if args.server == "both" else (args.server,)
    ensure_tools(args, wanted)
    db = Database(args.admin_dsn, args.db_name)
    cache = redis.Redis.from_url(args.redis_url)
    wrk = Wrk(args.threads, args.connections)
    load_average = os.getloadavg()[0]
    log_dir = Path(tempfile.mkdtemp(prefix="airbnb-bench-logs-"))
    results: dict[str, ServerResults] = {}
    notes: list[str] = []
    try:
        sizes = Sizes(args.users, args.properties, args.bookings, args.reviews)
        log(f"database {db.name}: {sizes}")
        how = prepare(db, sizes, reuse=args.reuse_db, poll_seconds=args.seed_poll, log=log)
        log(how)
        plan = make_plan(db, args)
        postmaster = db.postmaster_pid()
        meter = Meter(db, [postmaster] if postmaster else None)
        floor, sql_notes = measure_sql(meter, plan, args)
        notes += sql_notes
        env = server_env(db, args)
        for name in wanted:
            cache.flushdb()
            log(f"starting {name} with {args.workers} workers")
            with servers.running(
                name,
                bin_dir=BIN,
                cwd=ROOT,
                env=env,
                host="127.0.0.1",
                workers=args.workers,
                log_dir=log_dir,
                factory=args.app,
            ) as server:
                results[name], server_notes = measure_server(server, meter, plan, wrk, cache, args)
                notes += server_notes
        versions = tool_versions(db)
    finally:
        cache.flushdb()
        if not args.keep_db:
            log(f"dropping database {db.name}")
            db.drop()
    print_report(args, how, plan, floor, results, notes, versions, load_average)
    if args.json:
        write_json(args.json, args, floor, results)
    shutil.rmtree(log_dir, ignore_errors=True)
    return 0


def print_report(
    args: argparse.Namespace,
    how: str,
    plan: Plan,
    floor: Floor,
    results: dict[str, ServerResults],
    notes: list[str],
    versions: str,
    load_average: float,
) -> None:
    command = shlex.join([os.path.relpath(sys.executable, ROOT), os.path.relpath(sys.argv[0], ROOT), *sys.argv[1:]])
    cities = ", ".join(f"{c} ({n})" for c, n in plan.cities[:6]) + (", ..." if len(plan.cities) > 6 else "")
    if args.app == servers.PRODUCTION_FACTORY:
        served = f"as in production: `airbnb serve` (uvicorn), granian --factory {args.app}"
    else:
        served = f"NOT production's application: factory {args.app}"
    lines = [
        "",
        f"== airbnb backend benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"command: {command}",
        f"machine: nproc {os.cpu_count()}, Python {platform.python_version()} ({platform.python_implementation()}), "
        f"{platform.platform()}; load average before the run {load_average:.2f}",
        f"tools: {versions}",
        f"served: {served}; AIRBNB_ENV=production, Redis cache and rate limits (limit raised to 100000000/min)",
        f"data: {how}",
        f"load: wrk -t{args.threads} -c{args.connections} -d{args.duration:.0f}s --latency; {args.workers} workers per "
        f"server; each figure is the median of {args.repeat} run(s); all figures of one server come from one run",
        f"detail: rotates over {len(plan.detail_paths)} random active listings; cache-warm (each id fetched before)",
        f"dated search: city + check_in/check_out + guests=2 over the {len(plan.cities)} biggest cities: {cities}",
        f"  cache-warm: {len(plan.warm_search_paths)} URLs ({WARM_SEARCH_CITIES} cities x {len(WARM_SEARCH_DAYS_AHEAD)}"
        f" dates, {WARM_SEARCH_NIGHTS} nights), each fetched once before; cache-cold: Redis flushed, every request a "
        f"new (city, date, 1-{plan.space.max_nights} nights) combination",
        f"SQL floor: the search's statements replayed prepared (autocommit) by {floor.result.clients} psycopg "
        f"processes over {args.sql_params} captured parameter sets, {floor.result.searches} searches measured",
        *notes,
        "",
        *report.costs(results, floor, os.cpu_count() or 1),
        "",
        *report.table(results, floor.result),
        "",
        report.GOALS_TEXT,
    ]
    missed = report.misses(results, floor.result)
    lines += [f"missed: {m}" for m in missed] if missed else ["all goals met"]
    winner = report.faster(results)
    if winner:
        lines.append(winner)
    print("\n".join(lines))


def write_json(path: Path, args: argparse.Namespace, floor: Floor, results: dict[str, ServerResults]) -> None:
    def run(observed: Observed) -> dict[str, object]:
        return {"load": vars(observed.load), "cpu": dict(observed.cpu.cores), "steal": observed.cpu.steal,
                "db": vars(observed.db)}  # fmt: skip

    document = {
        "args": {k: sorted(v) if isinstance(v, set) else v for k, v in vars(args).items()},
        "sql_floor": {"result": vars(floor.result), "cpu": dict(floor.cpu.cores), "db": vars(floor.db)},
        "servers": {
            name: {
                key: {"rps": m.rps, "p50_ms": m.p50, "p99_ms": m.p99, "runs": [run(r) for r in m.runs]}
                for key, m in measured.items()
            }
            for name, measured in results.items()
        },
    }
    path.write_text(json.dumps(document, indent=2, default=str))


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit("interrupted")
