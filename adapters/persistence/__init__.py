"""The persistence adapter: SQLAlchemy models, repositories and unit of work, Alembic migrations."""

from adapters.persistence.database import POOL_SIZE, create_engine, make_session_factory, ping
from adapters.persistence.idempotency import SqlAlchemyIdempotencyStore
from adapters.persistence.migrations_api import current_revision, downgrade, upgrade
from adapters.persistence.queries import PsycopgListingQueries, SqlAlchemyListingQueries
from adapters.persistence.unit_of_work import SqlAlchemyUnitOfWork

__all__ = [
    "POOL_SIZE",
    "PsycopgListingQueries",
    "SqlAlchemyIdempotencyStore",
    "SqlAlchemyListingQueries",
    "SqlAlchemyUnitOfWork",
    "create_engine",
    "current_revision",
    "downgrade",
    "make_session_factory",
    "ping",
    "upgrade",
]
