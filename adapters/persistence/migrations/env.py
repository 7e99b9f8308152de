"""Alembic environment. The application migrates through ``adapters.persistence.upgrade``, which
hands over an open connection; the ``alembic`` command line (see ``alembic.ini``) works from a URL."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection

from adapters.persistence.database import create_engine
from adapters.persistence.models import Base


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
url = context.config.get_main_option("sqlalchemy.url") or os.environ.get("AIRBNB_DATABASE_URL", "sqlite:///./airbnb.db")
if connection is not None:
    run(connection)
elif context.is_offline_mode():
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            run(connection)
            connection.commit()
    finally:
        engine.dispose()
