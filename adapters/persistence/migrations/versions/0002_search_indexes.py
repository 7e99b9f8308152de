"""Search indexes: full-text search on PostgreSQL, and an index per main search shape.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28

Every btree index is partial on active listings and already in its search's sort order, so a page
of results is an index range scan that stops after ``limit`` rows. The 0001 single-column indexes
stay: the new ones are partial and cannot serve a query about inactive listings.

PostgreSQL only: ``search_vector``, a STORED generated tsvector of title, description and location,
with a GIN index. Adding it rewrites the properties table under an exclusive lock.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The 'simple' configuration lower-cases words without stemming or stop words: a guest who types
# "the" or a street name finds it, as the substring search on SQLite does.
SEARCH_DOCUMENT = (
    "to_tsvector('simple'::regconfig, "
    "coalesce(title, '') || ' ' || coalesce(description, '') || ' ' || coalesce(location, ''))"
)

SEARCH_INDEXES: dict[str, tuple[str, ...]] = {
    "city_newest": ("lower(city)", "created_at DESC", "id DESC"),
    "city_price": ("lower(city)", "price_per_night", "id"),
    "country_newest": ("country", "created_at DESC", "id DESC"),
    "country_price": ("country", "price_per_night", "id"),
    "newest": ("created_at DESC", "id DESC"),
    "price": ("price_per_night", "id"),
    "rating": ("coalesce(rating_avg, 0) DESC", "id DESC"),
    "position": ("latitude", "longitude"),
}


def upgrade() -> None:
    for name, columns in SEARCH_INDEXES.items():
        op.create_index(
            f"ix_properties_active_{name}",
            "properties",
            [sa.text(column) for column in columns],
            postgresql_where=sa.text("is_active"),
            sqlite_where=sa.text("is_active = 1"),
        )
    if op.get_context().dialect.name == "postgresql":
        op.add_column(
            "properties",
            sa.Column("search_vector", postgresql.TSVECTOR(), sa.Computed(SEARCH_DOCUMENT, persisted=True)),
        )
        op.create_index("ix_properties_search_vector", "properties", ["search_vector"], postgresql_using="gin")


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.drop_index("ix_properties_search_vector", table_name="properties")
        op.drop_column("properties", "search_vector")
    for name in SEARCH_INDEXES:
        op.drop_index(f"ix_properties_active_{name}", table_name="properties")
