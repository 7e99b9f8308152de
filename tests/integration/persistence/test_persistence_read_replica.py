"""AIRBNB_DATABASE_READ_URL: the listings' public reads go to it, every write (and every read inside one) to the
primary.

The "replica" is the same PostgreSQL database reached as a role that may only SELECT: a write routed to it
would fail, and taking its SELECT on one table away shows which reads it serves.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest
import sqlalchemy as sa

import bootstrap
from airbnb_core.domain.search import SearchCriteria
from airbnb_core.domain.stay import Stay
from airbnb_core.services.accounts import LogIn, RegisterUser
from airbnb_core.services.bookings import RequestBooking
from airbnb_core.services.listings import PropertyChanges, PropertyDraft
from tests.conftest import POSTGRES_ADMIN_URL
from tests.support.stack import fast_hashing, live_server, production_like_settings

pytestmark = pytest.mark.postgres

DRAFT = PropertyDraft(
    title="Loft", location="1 Quay", city="Lyon", country="FR", latitude=45.76, longitude=4.84,
    price_per_night=10_000, currency="EUR", max_guests=3,
)  # fmt: skip


@pytest.fixture
def reader(postgres_url: str) -> Iterator[tuple[str, str]]:
    """A role of the test's database that may only read its tables: the read URL, and how to run admin SQL."""
    settings = production_like_settings(postgres_url, None)  # migrates
    database = sa.make_url(settings.database_url).database
    role = f"airbnb_reader_{uuid.uuid4().hex[:8]}"
    admin_url = f"{POSTGRES_ADMIN_URL.rsplit('/', 1)[0]}/{database}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN")
        admin.execute(f'GRANT CONNECT ON DATABASE "{database}" TO {role}')
        admin.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
        admin.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
    read_url = sa.make_url(settings.database_url).set(username=role).render_as_string(hide_password=False)
    yield read_url, admin_url
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", [role]
        )  # a connection left open would keep the role from being dropped
        admin.execute(f"DROP OWNED BY {role}")
        admin.execute(f"DROP ROLE {role}")


def test_public_reads_go_to_the_read_url_and_writes_to_the_primary(postgres_url: str, reader: tuple[str, str]) -> None:
    read_url, admin_url = reader
    settings = dataclasses.replace(production_like_settings(postgres_url, None), database_read_url=read_url)
    container = bootstrap.build_container(settings)
    fast_hashing(container)
    services = container.services()
    read_engine, primary = container.read_engine(), container.engine()
    assert read_engine is not primary
    read_statements: list[str] = []

    @sa.event.listens_for(read_engine, "before_cursor_execute")
    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        read_statements.append(statement)

    try:
        # Writes, and the reads they make (the overlap check, the login's user), on the primary: the
        # read role could do none of them.
        host = services.accounts.register(RegisterUser("Hana", "hana@example.com", "a-long-password", True))
        guest = services.accounts.register(RegisterUser("Gus", "gus@example.com", "a-long-password"))
        place = services.listings.create(host, DRAFT)
        start = datetime.now(UTC).date() + timedelta(days=30)
        stay = Stay(start, start + timedelta(days=2))
        services.bookings.request(guest, RequestBooking(place.id, stay, 1))
        services.listings.update(host, place.id, PropertyChanges(title="Quay loft"))
        assert read_statements == []

        # The public read side, each on the read role.
        for read in (
            lambda: services.listings.search(SearchCriteria(city="Lyon"), limit=10),
            lambda: services.listings.details(place.id),
            lambda: services.listings.availability(place.id),
            lambda: services.listings.reviews(place.id, limit=10),
        ):
            before = len(read_statements)
            read()
            assert len(read_statements) > before
        assert [p.title for p in services.listings.search(SearchCriteria(city="Lyon"), limit=10).items] == ["Quay loft"]
        assert services.listings.availability(place.id, start, start + timedelta(days=7)) == [stay]
        with read_engine.connect() as connection:
            assert connection.scalar(sa.text("SELECT current_user")) == sa.make_url(read_url).username

        # Without SELECT on properties for the read role, the read side fails while writes, and what a
        # signed-in host reads, still work: they never touched it.
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f"REVOKE SELECT ON properties FROM {sa.make_url(read_url).username}")
        with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
            services.listings.search(SearchCriteria(city="Lyon"), limit=10)
        with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
            services.listings.details(place.id)
        later = Stay(start + timedelta(days=5), start + timedelta(days=7))
        assert services.bookings.request(guest, RequestBooking(place.id, later, 1)).booking.stay == later
        services.listings.update(host, place.id, PropertyChanges(title="Quay loft, renovated"))
        assert services.listings.details(place.id, viewer=host).place.title == "Quay loft, renovated"
    finally:
        read_engine.dispose()
        primary.dispose()


def test_without_a_read_url_the_reads_share_the_primary_engine(postgres_url: str) -> None:
    container = bootstrap.build_container(production_like_settings(postgres_url, None))
    try:
        assert container.read_engine() is container.engine()
    finally:
        container.engine().dispose()


def test_the_read_url_is_read_from_the_environment() -> None:
    env = {"AIRBNB_DATABASE_READ_URL": " postgresql+psycopg://reader@replica/airbnb "}
    assert bootstrap.Settings.from_env(env).database_read_url == "postgresql+psycopg://reader@replica/airbnb"
    assert bootstrap.Settings.from_env({}).database_read_url is None


def test_a_server_with_a_read_url_checks_both_databases_when_asked_if_ready(
    postgres_url: str, reader: tuple[str, str]
) -> None:
    read_url, _ = reader
    settings = dataclasses.replace(production_like_settings(postgres_url, None), database_read_url=read_url)
    with live_server(settings) as server, httpx.Client(base_url=server.url, timeout=10) as http:
        ready = http.get("/ready")
        assert ready.status_code == 200, ready.text
        assert "database_replica" in ready.text
        assert http.get("/api/v1/properties", params={"city": "Lyon"}).json()["items"] == []


def test_the_async_read_side_reads_the_replica_and_the_token_s_account_the_primary(
    postgres_url: str, reader: tuple[str, str]
) -> None:
    read_url, admin_url = reader
    settings = dataclasses.replace(production_like_settings(postgres_url, None), database_read_url=read_url)
    container = bootstrap.build_container(settings)
    fast_hashing(container)
    services = container.services()
    host = services.accounts.register(RegisterUser("Hana", "hana@example.com", "a-long-password", True))
    place = services.listings.create(host, DRAFT)
    token = services.accounts.log_in(LogIn("hana@example.com", "a-long-password")).access_token

    async def reads() -> None:
        assert (await services.listing_reads.details(place.id)).title == "Loft"
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f"REVOKE SELECT ON properties, users FROM {sa.make_url(read_url).username}")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            await services.listing_reads.details(place.id)
        assert (await services.accounts.authenticate_async(token)).id == host.id
        for queries in (container.listing_queries(), container.user_queries()):
            await queries.close()

    try:
        asyncio.run(reads())
    finally:
        container.read_engine().dispose()
        container.engine().dispose()
