"""docs/er-diagram.md is generated from the SQLAlchemy metadata; this keeps it from drifting."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from adapters.payments import sandbox
from adapters.persistence.er_diagram import render_mermaid
from adapters.persistence.models import Base
from entrypoints.cli import ER_DIAGRAM, er_diagram_document

REPOSITORY = Path(__file__).resolve().parents[2]


def test_the_committed_diagram_matches_the_metadata() -> None:
    committed = (REPOSITORY / ER_DIAGRAM).read_text(encoding="utf-8")
    assert committed == er_diagram_document(), (
        f"{ER_DIAGRAM} no longer matches the SQLAlchemy metadata: regenerate it with "
        f"`airbnb er-diagram --output {ER_DIAGRAM}` (from the repository root) and commit it"
    )


def test_the_diagram_shows_every_table_and_every_foreign_key() -> None:
    diagram = render_mermaid(Base.metadata, sandbox.metadata)
    for table in [*Base.metadata.tables.values(), *sandbox.metadata.tables.values()]:
        assert f"    {table.name} {{\n" in diagram
        for fk in table.foreign_key_constraints:
            assert f" {table.name} : " in diagram and fk.referred_table.name in diagram


def test_keys_and_cardinalities_follow_the_constraints() -> None:
    metadata = sa.MetaData()
    sa.Table("owners", metadata, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "things",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("owner_id", sa.ForeignKey("owners.id"), nullable=False),
        sa.Column("twin_id", sa.ForeignKey("owners.id"), nullable=True, unique=True),
        sa.Column("price", sa.Numeric(3, 2)),
    )
    diagram = render_mermaid(metadata)
    assert "integer owner_id FK\n" in diagram
    assert 'integer twin_id FK, UK "nullable"\n' in diagram
    assert 'numeric price "nullable"\n' in diagram  # Mermaid would read the comma of numeric(3,2) as a separator
    assert 'owners ||--o{ things : "owner_id"' in diagram
    assert 'owners |o--o| things : "twin_id"' in diagram
