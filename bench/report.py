"""The printed result: one table per run, the goals next to the figures, and which server is faster."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

from cpu import GROUPS, CpuUse
from database import DbActivity
from loadgen import LoadResult
from sql_floor import SqlResult

TAIL_GOAL = 3.0  # p99 at most this many times p50


@dataclass(frozen=True)
class Endpoint:
    key: str
    label: str
    short: str
    health_goal: float | None = None  # least share of the same server's /health throughput
    sql_goal: float | None = None  # least share of the search SQL's own throughput


HEALTH = Endpoint("health", "GET /health", "/health")
DETAIL = Endpoint("detail", "GET /api/v1/properties/{id} (warm)", "detail (warm)", health_goal=0.50)
SEARCH_WARM = Endpoint(
    "search_warm", "GET /api/v1/properties?dated (warm)", "dated search (warm)", health_goal=0.15, sql_goal=0.50
)
SEARCH_COLD = Endpoint(
    "search_cold", "GET /api/v1/properties?dated (cold)", "dated search (cold)", health_goal=0.15, sql_goal=0.50
)
ENDPOINTS = (HEALTH, DETAIL, SEARCH_WARM, SEARCH_COLD)

GOALS_TEXT = (
    "goals: property detail >= 50% of /health; dated search >= 15% of /health and >= 50% of its SQL's throughput; "
    "p99 <= 3x p50"
)


@dataclass(frozen=True)
class Observed:
    """One timed run: the load generator's figures, who used the CPU meanwhile, the database's counters."""

    load: LoadResult
    cpu: CpuUse
    db: DbActivity


@dataclass(frozen=True)
class Floor:
    """The SQL replay, observed the same way."""

    result: SqlResult
    cpu: CpuUse
    db: DbActivity


@dataclass
class Measurement:
    """The runs of one endpoint on one server; figures are medians over the runs."""

    runs: list[Observed] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return statistics.median(r.load.requests_per_second for r in self.runs)

    @property
    def p50(self) -> float:
        return statistics.median(r.load.p50_ms for r in self.runs)

    @property
    def p99(self) -> float:
        return statistics.median(r.load.p99_ms for r in self.runs)

    @property
    def requests(self) -> int:
        return sum(r.load.requests for r in self.runs)

    @property
    def failed(self) -> int:
        return sum(r.load.failed for r in self.runs)

    @property
    def median_run(self) -> Observed:
        ordered = sorted(self.runs, key=lambda r: r.load.requests_per_second)
        return ordered[(len(ordered) - 1) // 2]


ServerResults = dict[str, Measurement]


def _check(value: float, goal: float, *, at_most: bool = False) -> str:
    ok = value <= goal if at_most else value >= goal
    return "ok" if ok else "MISS"


def table(results: dict[str, ServerResults], sql: SqlResult) -> list[str]:
    header = (
        f"{'server':<8} {'endpoint':<38} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}  "
        f"{'p99/p50 (<=3)':<14} {'vs /health':<17} {'vs SQL':<15} failed"
    )
    lines = [header, "-" * len(header)]
    for server, measured in results.items():
        health = measured[HEALTH.key].rps
        for endpoint in ENDPOINTS:
            m = measured.get(endpoint.key)
            if m is None or not m.runs:
                continue
            tail = m.p99 / m.p50 if m.p50 else math.inf
            vs_health = vs_sql = "-"
            if endpoint is not HEALTH:
                vs_health = f"{m.rps / health:6.1%}"
                if endpoint.health_goal is not None:
                    vs_health += f" {_check(m.rps / health, endpoint.health_goal)} >={endpoint.health_goal:.0%}"
            if endpoint.sql_goal is not None:
                vs_sql = (
                    f"{m.rps / sql.queries_per_second:6.1%} {_check(m.rps / sql.queries_per_second, endpoint.sql_goal)}"
                )
            failed = f"{m.failed}/{m.requests}" if m.failed else "0"
            lines.append(
                f"{server:<8} {endpoint.label:<38} {m.rps:>9.1f} {m.p50:>8.2f} {m.p99:>8.2f}  "
                f"{tail:>4.1f} {_check(tail, TAIL_GOAL, at_most=True):<9} {vs_health:<17} {vs_sql:<15} {failed}"
            )
    lines.append(
        f"{'postgres':<8} {f'search SQL direct, {sql.clients} clients':<38} {sql.queries_per_second:>9.1f} "
        f"{sql.p50_ms:>8.2f} {sql.p99_ms:>8.2f}  {sql.tail_ratio:>4.1f}"
    )
    return lines


def misses(results: dict[str, ServerResults], sql: SqlResult) -> list[str]:
    """Each goal a figure misses, in words."""
    found = []
    for server, measured in results.items():
        health = measured[HEALTH.key].rps
        for endpoint in ENDPOINTS:
            m = measured.get(endpoint.key)
            if m is None or not m.runs:
                continue
            name = f"{server} {endpoint.short}"
            if endpoint.health_goal is not None and m.rps / health < endpoint.health_goal:
                found.append(f"{name}: {m.rps / health:.1%} of /health, goal >= {endpoint.health_goal:.0%}")
            if endpoint.sql_goal is not None and m.rps / sql.queries_per_second < endpoint.sql_goal:
                share = m.rps / sql.queries_per_second
                found.append(f"{name}: {share:.1%} of the SQL's throughput, goal >= {endpoint.sql_goal:.0%}")
            if m.p50 and m.p99 / m.p50 > TAIL_GOAL:
                found.append(f"{name}: p99 {m.p99:.1f} ms = {m.p99 / m.p50:.1f}x p50 {m.p50:.1f} ms, goal <= 3x")
            if m.failed:
                found.append(f"{name}: {m.failed} of {m.requests} requests failed (non-2xx or socket errors)")
    return found


def faster(results: dict[str, ServerResults]) -> str | None:
    """Which server served more requests per second: geometric mean over the endpoints both measured."""
    if len(results) != 2:
        return None
    (a, ra), (b, rb) = results.items()
    keys = [e.key for e in ENDPOINTS if e.key in ra and e.key in rb and ra[e.key].runs and rb[e.key].runs]
    if not keys:
        return None
    ratios = {k: rb[k].rps / ra[k].rps for k in keys}
    overall = math.exp(statistics.fmean(math.log(r) for r in ratios.values()))
    winner, loser, factor = (b, a, overall) if overall >= 1 else (a, b, 1 / overall)
    shorts = {e.key: e.short for e in ENDPOINTS}
    detail = ", ".join(f"{shorts[k]} {_signed(r if winner == b else 1 / r)}" for k, r in ratios.items())
    return f"faster: {winner} by {factor - 1:.0%} over {loser} (geometric mean of req/s; {detail})"


def _signed(ratio: float) -> str:
    return f"{ratio - 1:+.0%}"


def costs(results: dict[str, ServerResults], floor: Floor, cores: int) -> list[str]:
    """Where the time went in the median run of each figure: CPU per process group, and database work per request."""
    header = (
        f"{'server':<8} {'endpoint':<38} {'server':>6} {'pg':>5} {'redis':>5} {'load':>5} {'other':>5} {'steal':>5}"
        f"  {'srv ms/req':>10} {'pg conn/1k':>10} {'pg xact/req':>11} {'pg ms/req':>9}"
    )
    lines = [
        f"where the time went (median run; CPU in cores of {cores}; pg = every PostgreSQL process, but the per-request "
        "columns count only the benchmark database)",
        header,
        "-" * len(header),
    ]

    def row(server: str, label: str, cpu: CpuUse, db: DbActivity, requests: int, rps: float) -> str:
        per_request = max(requests, 1)
        server_ms = f"{cpu.cores['server'] * 1000 / rps:10.2f}" if server != "postgres" else f"{'-':>10}"
        if cpu.reliable:
            split = " ".join(f"{cpu.cores[g]:>{6 if g == 'server' else 5}.2f}" for g in GROUPS)
        else:
            split = f"{'n/a: an exit went uncounted':<30}"
        return (
            f"{server:<8} {label:<38} {split} {cpu.steal:>5.2f}  {server_ms} {1000 * db.sessions / per_request:>10.1f}"
            f" {db.transactions / per_request:>11.2f} {db.active_ms / per_request:>9.3f}"
        )

    for server, measured in results.items():
        for endpoint in ENDPOINTS:
            m = measured.get(endpoint.key)
            if m is None or not m.runs:
                continue
            run = m.median_run
            load = run.load
            lines.append(row(server, endpoint.label, run.cpu, run.db, load.requests, load.requests_per_second))
    sql = floor.result
    label = f"search SQL direct, {sql.clients} clients"
    lines.append(row("postgres", label, floor.cpu, floor.db, sql.searches, sql.queries_per_second))
    return lines
