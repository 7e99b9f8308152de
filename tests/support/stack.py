"""The production composition (bootstrap) on a fresh PostgreSQL database and Redis, served over real HTTP."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import argon2
from dependency_injector import providers

import bootstrap
from adapters.persistence import upgrade
from adapters.security import Argon2PasswordHasher
from airbnb_core.ports.clock import Clock
from tests.support.server import running_server


@dataclass(frozen=True)
class LiveServer:
    url: str
    settings: bootstrap.Settings
    container: bootstrap.Container


def production_like_settings(database_url: str, redis_url: str | None, **overrides: object) -> bootstrap.Settings:
    upgrade(database_url)
    env = {
        "AIRBNB_ENV": "test",
        "AIRBNB_DATABASE_URL": database_url,
        "AIRBNB_JWT_SECRET": "test-secret-that-is-long-enough-for-hs256",
    }
    if redis_url:
        env["AIRBNB_REDIS_URL"] = redis_url
    return dataclasses.replace(bootstrap.Settings.from_env(env), **overrides)  # type: ignore[arg-type]


def fast_hashing(container: bootstrap.Container) -> None:
    """Production argon2 parameters cost tens of milliseconds a hash; tests need the behaviour, not the cost."""
    cheap = argon2.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    container.password_hasher.override(providers.Singleton(Argon2PasswordHasher, cheap))


@contextmanager
def live_server(settings: bootstrap.Settings, *, clock: Clock | None = None) -> Iterator[LiveServer]:
    """``settings`` served over HTTP; on ``clock`` when given, so that a test can move the server's time."""
    container = bootstrap.build_container(settings)
    fast_hashing(container)
    if clock is not None:
        container.clock.override(providers.Object(clock))
    with running_server(bootstrap.build_app(settings, container)) as url:
        yield LiveServer(url, settings, container)


@contextmanager
def served_on(
    dialect: str,
    postgres_database: Callable[[], str],
    directory: Path,
    *,
    clock: Clock | None = None,
    **overrides: object,
) -> Iterator[LiveServer]:
    """A server on a fresh database of ``dialect`` (``postgresql`` or ``sqlite``), without Redis, with request
    limits out of the way, and the settings ``overrides`` names (a payment provider…)."""
    url = postgres_database() if dialect == "postgresql" else f"sqlite:///{directory}/airbnb.db"
    settings = production_like_settings(url, None, login_rate_limit=100_000, api_rate_limit=100_000, **overrides)
    with live_server(settings, clock=clock) as server:
        yield server
