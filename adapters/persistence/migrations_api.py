"""Schema migrations as functions, so an installed package needs neither alembic.ini nor a working directory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext

from adapters.persistence.database import create_engine

MIGRATIONS = Path(__file__).with_name("migrations")


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` up to ``revision``."""
    _run(command.upgrade, url, revision)


def downgrade(url: str, revision: str = "base") -> None:
    """Migrate the database at ``url`` down to ``revision``; ``base`` drops every table."""
    _run(command.downgrade, url, revision)


def current_revision(url: str) -> str | None:
    """The revision the database is at, or None if it was never migrated."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def _run(step: Callable[[Config, str], None], url: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            # Handing over the connection keeps the URL (and any password in it) out of
            # configparser, which would choke on a "%".
            config.attributes["connection"] = connection
            step(config, revision)
    finally:
        engine.dispose()
