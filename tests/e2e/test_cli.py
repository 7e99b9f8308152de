"""The ``airbnb`` command as an operator runs it, in subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
import sqlalchemy as sa

from adapters.persistence import create_engine
from tests.support.server import free_port

AIRBNB = [sys.executable, "-m", "entrypoints.cli"]


def run(*args: str, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*AIRBNB, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=120, input=stdin
    )


def test_migrate_creates_the_full_schema_with_the_exclusion_constraint(
    make_postgres_database: Callable[[], str],
) -> None:
    url = make_postgres_database()
    result = run("migrate", env={"AIRBNB_DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        tables = {r[0] for r in conn.execute("select tablename from pg_tables where schemaname = 'public'")}
        exclusion = conn.execute(
            "select pg_get_constraintdef(oid) from pg_constraint where conname = 'bookings_no_overlap'"
        ).fetchone()
    assert {"users", "properties", "bookings", "payments", "reviews", "refresh_tokens"} <= tables
    assert exclusion is not None and "EXCLUDE USING gist" in exclusion[0]


def test_create_admin_creates_then_promotes(tmp_path: Path) -> None:
    env = {"AIRBNB_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db", "AIRBNB_ADMIN_PASSWORD": "admin-pass-1"}
    assert run("migrate", env=env).returncode == 0
    created = run("create-admin", "--email", "Root@Example.com", "--name", "Root", env=env)
    assert created.returncode == 0, created.stderr
    assert "created administrator root@example.com" in created.stdout
    again = run("create-admin", "--email", "root@example.com", "--name", "Root", env=env)
    assert "promoted administrator root@example.com" in again.stdout
    refused = run("create-admin", "--email", "new@example.com", "--name", "N", env={**env, "AIRBNB_ADMIN_PASSWORD": ""})
    assert refused.returncode != 0 and "password" in refused.stderr


def test_schemas_print_without_a_database(tmp_path: Path) -> None:
    env = {"AIRBNB_DATABASE_URL": f"sqlite:///{tmp_path}/none.db"}
    openapi = json.loads(run("openapi", env=env).stdout)
    assert "/api/v1/users/me" in openapi["paths"]
    assert "type Mutation" in run("graphql-schema", env=env).stdout


def test_production_refuses_to_start_without_a_jwt_secret(tmp_path: Path) -> None:
    result = run("serve", env={"AIRBNB_ENV": "production", "AIRBNB_DATABASE_URL": f"sqlite:///{tmp_path}/p.db"})
    assert result.returncode != 0 and "AIRBNB_JWT_SECRET" in result.stderr


@contextmanager
def serving(cwd: Path, env: dict[str, str]) -> Iterator[str]:
    """``airbnb serve`` in a subprocess, on a free port, until it is ready; yields its base URL."""
    port = free_port()
    server = subprocess.Popen(
        [*AIRBNB, "serve", "--port", str(port)], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(base + "/ready").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_serve_starts_on_the_embedded_defaults(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRBNB_")}
    with serving(tmp_path, env) as base:
        assert httpx.get(base + "/ready").json()["checks"] == {"database": "ok"}
        body = {"name": "Ana", "email": "ana@example.com", "password": "pass-word-1"}
        assert httpx.post(base + "/api/v1/auth/register", json=body).status_code == 201
        assert (tmp_path / "airbnb.db").exists()


def test_serve_lets_no_local_client_choose_its_address_with_x_forwarded_for(tmp_path: Path) -> None:
    # uvicorn trusts X-Forwarded-For from 127.0.0.1 unless told not to; with no trusted proxy
    # configured, a client on the machine keeps its own address whatever it claims.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRBNB_")}
    with serving(tmp_path, {**env, "AIRBNB_LOGIN_RATE_LIMIT": "3"}) as base:
        login = {"email": "nobody@example.com", "password": "pass-word-1"}
        statuses = [
            httpx.post(base + "/api/v1/auth/login", json=login, headers={"X-Forwarded-For": f"10.9.0.{n}"}).status_code
            for n in range(4)
        ]
    assert statuses == [401, 401, 401, 429]


def test_seed_fills_a_database_with_demo_data(make_postgres_database: Callable[[], str], tmp_path: Path) -> None:
    for url in (make_postgres_database(), f"sqlite:///{tmp_path}/seed.db"):
        result = run(
            "seed", "--users", "40", "--properties", "60", "--bookings", "300", "--reviews", "50",
            env={"AIRBNB_DATABASE_URL": url},
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert "seeded" in result.stdout
        assert "properties" in result.stderr  # the progress bars
        engine = create_engine(url)
        with engine.connect() as conn:
            counts = {t: conn.scalar(sa.text(f"select count(*) from {t}")) for t in ("users", "properties", "bookings")}
        engine.dispose()
        assert counts == {"users": 40, "properties": 60, "bookings": 300}
