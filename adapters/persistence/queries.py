"""The read side's query ports (``airbnb_core.ports.queries``): public listing pages and searches, row to view,
and the account behind each access token.

Each read is one statement on an autocommitting connection (no BEGIN, no ROLLBACK), built once per
query shape, selecting exactly the columns the view holds, whose rows become views positionally.

On PostgreSQL, ``PsycopgReadQueries`` runs them on psycopg's async pool in the server's event loop;
``SqlAlchemyReadQueries`` runs the same SQL text through the engine on a worker thread, and is what
SQLite (the embedded default) uses. bench/README.md ("The read path") has the measurement that chose
the async path for PostgreSQL: no thread hop per request, and psycopg's prepared statements.
"""

from __future__ import annotations

import functools
import uuid
from datetime import datetime
from typing import Any

import anyio.to_thread
import psycopg
import psycopg_pool
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg

from adapters.persistence.database import CONNECT_TIMEOUT_SECONDS
from adapters.persistence.models import PropertyRow, UserRow
from adapters.persistence.repositories._common import _parameter
from adapters.persistence.repositories.listings import SearchShape, search_parameters, search_statement
from adapters.persistence.unit_of_work import is_connection_failure
from airbnb_core.domain.errors import ServiceUnavailable
from airbnb_core.domain.search import SearchCriteria, SortValue
from airbnb_core.domain.users import User
from airbnb_core.ports.queries import CARD_FIELDS, HOST_FIELDS, PAGE_FIELDS, HostProfile, PropertyCard, PropertyView

READ_POOL_SIZE = 10  # per server process; the event loop multiplexes requests over them

Row = tuple[Any, ...] | sa.Row[Any]


def _columns(names: tuple[str, ...]) -> tuple[sa.ColumnElement[Any], ...]:
    # Numeric ratings leave the database as the float they are sent as, not as Decimals to convert.
    return tuple(
        sa.cast(PropertyRow.rating_avg, sa.Float).label(name) if name == "rating_avg" else getattr(PropertyRow, name)
        for name in names
    )


CARD_COLUMNS = _columns(CARD_FIELDS)
_HOST_COLUMNS = tuple(getattr(UserRow, name) for name in HOST_FIELDS)
_PAGE_WIDTH = len(PAGE_FIELDS)

PROPERTY_PAGE = (
    sa.select(*_columns(PAGE_FIELDS), *_HOST_COLUMNS)
    .join(UserRow, UserRow.id == PropertyRow.host_id)
    .where(
        PropertyRow.id == _parameter("id", PropertyRow.id.type),
        PropertyRow.is_active,
        UserRow.is_active,
    )
)

# Timestamps leave in UTC, as the ORM side returns them, whatever the server's zone.
_CONNECTION_OPTIONS: dict[str, Any] = {
    "autocommit": True,
    "connect_timeout": CONNECT_TIMEOUT_SECONDS,
    "options": "-c TimeZone=UTC",
}
USER = sa.select(*(getattr(UserRow, f) for f in User.__dataclass_fields__)).where(
    UserRow.id == _parameter("id", UserRow.id.type)
)
_POSTGRES = PGDialect_psycopg()  # type: ignore[no-untyped-call]


# Bounded like search_statement's cache: a client cycling through search shapes must not grow it without end.
@functools.lru_cache(maxsize=2048)
def postgres_sql(statement: sa.Select[Any]) -> str:
    """``statement`` as psycopg's SQL text, with ``%(name)s`` parameters; inlined values rendered."""
    return str(statement.compile(dialect=_POSTGRES, compile_kwargs={"render_postcompile": True}))


def _view(row: Row) -> PropertyView:
    return PropertyView(*row[:_PAGE_WIDTH], HostProfile(*row[_PAGE_WIDTH:]))  # type: ignore[call-arg]


def _cards(rows: list[Row]) -> list[PropertyCard]:
    return [PropertyCard(*row) for row in rows]


def postgres_search(
    criteria: SearchCriteria, *, after: tuple[SortValue, uuid.UUID] | None, limit: int, now: datetime
) -> tuple[str, dict[str, Any]]:
    """The SQL text and parameters of a search on PostgreSQL (also what bench/ replays as the floor)."""
    shape = SearchShape.of(criteria, after=after is not None, limit=limit, postgres=True)
    return postgres_sql(search_statement(shape, CARD_COLUMNS)), search_parameters(criteria, after, now, postgres=True)


def postgres_property_page(property_id: uuid.UUID) -> tuple[str, dict[str, Any]]:
    return postgres_sql(PROPERTY_PAGE), {"id": property_id}


class PsycopgReadQueries:
    """PostgreSQL, on an async psycopg pool of autocommitting connections opened in the serving event loop."""

    def __init__(self, database_url: str, *, pool_size: int = READ_POOL_SIZE) -> None:
        url = sa.make_url(database_url).set(drivername="postgresql")
        self._conninfo = url.render_as_string(hide_password=False)
        self._pool_size = pool_size
        self._reachable = False
        self._pool: psycopg_pool.AsyncConnectionPool[psycopg.AsyncConnection[tuple[Any, ...]]] | None = None

    async def public_property(self, property_id: uuid.UUID) -> PropertyView | None:
        rows = await self._fetch(*postgres_property_page(property_id))
        return _view(rows[0]) if rows else None

    async def search(
        self, criteria: SearchCriteria, *, after: tuple[SortValue, uuid.UUID] | None, limit: int, now: datetime
    ) -> list[PropertyCard]:
        return _cards(await self._fetch(*postgres_search(criteria, after=after, limit=limit, now=now)))

    async def user(self, user_id: uuid.UUID) -> User | None:
        rows = await self._fetch(postgres_sql(USER), {"id": user_id})
        return User(*rows[0]) if rows else None

    async def close(self) -> None:
        """Close the pool; the next read opens a new one (in the event loop it runs in)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    async def _fetch(self, sql: str, parameters: dict[str, Any]) -> list[Any]:
        if self._reachable:
            pool = await self._connections()
            try:
                async with pool.connection() as connection:
                    return await (await connection.execute(sql, parameters)).fetchall()
            except psycopg_pool.PoolTimeout as error:  # every connection busy for seconds: overloaded
                raise ServiceUnavailable("the database is overloaded; try again shortly") from error
            except (psycopg.OperationalError, psycopg.InterfaceError):
                # A connection the database dropped (it restarted, say): its idle siblings likely died with it.
                # Drop those too, and read this once more on a connection of its own.
                self._reachable = False
                await pool.check()
        # Until the database has answered (at start-up, and after a failure), each read connects on its
        # own, as the engine's pool does: refused at once or timed out in seconds, never left waiting
        # for a pool that keeps retrying in the background.
        try:
            async with await psycopg.AsyncConnection.connect(self._conninfo, **_CONNECTION_OPTIONS) as connection:
                rows = await (await connection.execute(sql, parameters)).fetchall()
        except (psycopg.OperationalError, psycopg.InterfaceError) as error:
            raise ServiceUnavailable("the database cannot be reached; try again shortly") from error
        self._reachable = True
        return rows

    async def _connections(self) -> psycopg_pool.AsyncConnectionPool[psycopg.AsyncConnection[tuple[Any, ...]]]:
        if self._pool is None:
            self._pool = psycopg_pool.AsyncConnectionPool(
                self._conninfo,
                min_size=self._pool_size,
                max_size=self._pool_size,
                kwargs=_CONNECTION_OPTIONS,
                timeout=CONNECT_TIMEOUT_SECONDS,  # a database that is down answers 503 in seconds
                open=False,
            )
        if self._pool.closed:
            await self._pool.open(wait=False)  # a database that is down at start-up is no reason not to serve
        return self._pool


class SqlAlchemyReadQueries:
    """Any engine, on a worker thread: SQLite (the embedded default), or PostgreSQL for comparison."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        self._postgres = engine.dialect.name == "postgresql"

    async def public_property(self, property_id: uuid.UUID) -> PropertyView | None:
        rows = await anyio.to_thread.run_sync(self._fetch, PROPERTY_PAGE, {"id": property_id})
        return _view(rows[0]) if rows else None

    async def search(
        self, criteria: SearchCriteria, *, after: tuple[SortValue, uuid.UUID] | None, limit: int, now: datetime
    ) -> list[PropertyCard]:
        shape = SearchShape.of(criteria, after=after is not None, limit=limit, postgres=self._postgres)
        statement = search_statement(shape, CARD_COLUMNS)
        parameters = search_parameters(criteria, after, now, postgres=self._postgres)
        return _cards(await anyio.to_thread.run_sync(self._fetch, statement, parameters))

    async def user(self, user_id: uuid.UUID) -> User | None:
        rows = await anyio.to_thread.run_sync(self._fetch, USER, {"id": user_id})
        return User(*rows[0]) if rows else None

    def _fetch(self, statement: sa.Select[Any], parameters: dict[str, Any]) -> list[Any]:
        try:
            with self._engine.connect() as connection:
                if not self._postgres:
                    return list(connection.execute(statement, parameters))
                # The psycopg path's text and values, so the two differ only in the thread hop and the driver mode.
                autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
                return list(autocommit.exec_driver_sql(postgres_sql(statement), parameters))
        except sa.exc.SQLAlchemyError as error:
            if is_connection_failure(error):
                raise ServiceUnavailable("the database cannot be reached; try again shortly") from error
            raise
