"""The benchmark database: create, migrate, seed (or reuse), sample, drop."""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import psycopg
from psycopg import sql

TABLES = ("users", "properties", "bookings", "reviews")


@dataclass(frozen=True)
class Sizes:
    users: int
    properties: int
    bookings: int
    reviews: int


@dataclass(frozen=True)
class DbActivity:
    """Cumulative counters of ``pg_stat_database`` for one database; subtract two to get a run's share."""

    sessions: int
    transactions: int
    active_ms: float

    def __sub__(self, earlier: DbActivity) -> DbActivity:
        return DbActivity(
            self.sessions - earlier.sessions,
            self.transactions - earlier.transactions,
            self.active_ms - earlier.active_ms,
        )


@dataclass(frozen=True)
class Database:
    """A PostgreSQL database named ``name`` on the server that ``admin_dsn`` (a libpq URL) reaches."""

    admin_dsn: str
    name: str

    @property
    def dsn(self) -> str:
        """libpq URL of the benchmark database, for psycopg."""
        base, _, _ = self.admin_dsn.rpartition("/")
        return f"{base}/{self.name}"

    @property
    def sqlalchemy_url(self) -> str:
        return "postgresql+psycopg://" + self.dsn.split("://", 1)[1]

    def _admin(self) -> psycopg.Connection:
        return psycopg.connect(self.admin_dsn, autocommit=True)

    def exists(self) -> bool:
        with self._admin() as conn:
            return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (self.name,)).fetchone() is not None

    def recreate(self) -> None:
        with self._admin() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))

    def drop(self) -> None:
        with self._admin() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name)))

    def counts(self) -> dict[str, int] | None:
        """Rows per seeded table, or None when the database or its schema is missing."""
        if not self.exists():
            return None
        with psycopg.connect(self.dsn) as conn:
            try:
                return {
                    t: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(t))).fetchone()[0]
                    for t in TABLES
                }
            except psycopg.errors.UndefinedTable:
                return None

    def vacuum_analyze(self) -> None:
        """Fresh statistics and visibility map, as autovacuum would give a database that has been live for a while."""
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute("VACUUM (ANALYZE)")

    def activity(self) -> DbActivity:
        """Sessions opened, transactions ended and milliseconds spent running statements in this database so far."""
        query = """
            SELECT sessions, xact_commit + xact_rollback, active_time FROM pg_stat_database WHERE datname = %s
        """
        with self._admin() as conn:
            sessions, transactions, active_ms = conn.execute(query, (self.name,)).fetchone()
        return DbActivity(sessions, transactions, active_ms)

    def postmaster_pid(self) -> int | None:
        """The PostgreSQL server's main process, if it runs on this machine: the parent of a backend."""
        with self._admin() as conn:
            backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        try:
            return int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            return None

    def server_version(self) -> str:
        with self._admin() as conn:
            return conn.execute("SHOW server_version").fetchone()[0]

    def property_ids(self, count: int) -> list[str]:
        """Random ids of listings that anyone may view (active, with an active host)."""
        query = """
            SELECT p.id::text FROM properties p JOIN users u ON u.id = p.host_id
            WHERE p.is_active AND u.is_active ORDER BY random() LIMIT %s
        """
        with psycopg.connect(self.dsn) as conn:
            return [row[0] for row in conn.execute(query, (count,))]

    def cities(self, count: int) -> list[tuple[str, int]]:
        """The ``count`` cities with the most active listings, with their listing counts."""
        query = """
            SELECT city, count(*) FROM properties WHERE is_active
            GROUP BY city ORDER BY count(*) DESC, city LIMIT %s
        """
        with psycopg.connect(self.dsn) as conn:
            return [(row[0], row[1]) for row in conn.execute(query, (count,))]


def wait_for_seeder(poll_seconds: float, log: Callable[[str], None]) -> Callable[..., dict[str, int]]:
    """``adapters.persistence.seed.seed_database``, waiting while the module does not provide it yet."""
    while True:
        try:
            from adapters.persistence.seed import seed_database
        except ImportError as exc:
            log(f"adapters.persistence.seed.seed_database is missing ({exc}); retrying in {poll_seconds:.0f} s")
            time.sleep(poll_seconds)
            continue
        return seed_database


def prepare(db: Database, sizes: Sizes, *, reuse: bool, poll_seconds: float, log: Callable[[str], None]) -> str:
    """Make ``db`` hold a migrated schema seeded with ``sizes``; returns how (reused or seeded, and how long)."""
    wanted = asdict(sizes)
    if reuse:
        found = db.counts()
        if found == wanted:
            return f"reused existing database {db.name} ({_describe(found)})"
        log(f"--reuse-db: {db.name} holds {_describe(found) if found else 'nothing usable'}, not {_describe(wanted)}")

    from adapters.persistence import upgrade

    seed_database = wait_for_seeder(poll_seconds, log)
    started = time.perf_counter()
    db.recreate()
    upgrade(db.sqlalchemy_url)
    kwargs: dict[str, object] = dict(wanted)
    if "progress" in inspect.signature(seed_database).parameters:
        kwargs["progress"] = _progress_printer(wanted, log)
    seed_database(db.sqlalchemy_url, **kwargs)
    seeded = time.perf_counter() - started
    db.vacuum_analyze()
    found = db.counts() or {}
    if found.get("properties") != sizes.properties or found.get("bookings") != sizes.bookings:
        log(f"warning: the seeder produced {_describe(found)} for {_describe(wanted)}")
    return f"seeded {db.name} in {seeded:.0f} s, then VACUUM ANALYZE ({_describe(found)})"


def _describe(counts: dict[str, int]) -> str:
    return ", ".join(f"{n:,} {table}" for table, n in counts.items())


def _progress_printer(totals: dict[str, int], log: Callable[[str], None]) -> Callable[[str, int], None]:
    """A ``progress(stage, done)`` callback that logs every tenth of each stage."""
    reported: dict[str, int] = {}

    def progress(stage: str, done: int) -> None:
        total = totals.get(stage) or 0
        tenth = done * 10 // total if total else 10
        if reported.get(stage, -1) < tenth:
            reported[stage] = tenth
            log(f"  seeding {stage}: {done:,}" + (f" / {total:,}" if total else ""))

    return progress
