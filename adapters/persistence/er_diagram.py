"""A Mermaid ``erDiagram`` of SQLAlchemy metadata, so the documented schema is the one the code declares.

The renderer takes any metadata: the caller decides which (the sandbox payment provider keeps its
own, and this package must not import it).
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]
# Mermaid's attribute types are single words; these are PostgreSQL's own short names.
_SHORT_TYPES = {"timestamp with time zone": "timestamptz", "timestamp without time zone": "timestamp"}


def render_mermaid(*metadatas: sa.MetaData) -> str:
    """The tables of ``metadatas`` as a Mermaid ``erDiagram``, stable from run to run (sorted by name)."""
    tables = sorted((t for m in metadatas for t in m.tables.values()), key=lambda t: t.name)
    lines = ["erDiagram"]
    for table in tables:
        lines.append(f"    {table.name} {{")
        lines.extend(f"        {_attribute(table, column)}" for column in table.columns)
        lines.append("    }")
    relationships = sorted(_relationship(fk) for table in tables for fk in table.foreign_key_constraints)
    lines.extend(f"    {r}" for r in relationships)
    return "\n".join(lines) + "\n"


def constraint_notes(*metadatas: sa.MetaData) -> list[str]:
    """What the diagram cannot draw: CHECK and exclusion constraints, one Markdown bullet each."""
    notes = []
    for table in sorted((t for m in metadatas for t in m.tables.values()), key=lambda t: t.name):
        for constraint in sorted(table.constraints, key=lambda c: str(c.name)):
            if isinstance(constraint, postgresql.ExcludeConstraint):
                ddl = str(sa.schema.AddConstraint(constraint).compile(dialect=_DIALECT))
                exclude = " ".join(ddl.split(" ADD CONSTRAINT ", 1)[1].split()[1:])
                notes.append(f"- `{table.name}.{constraint.name}` (PostgreSQL only): {exclude}")
            elif isinstance(constraint, sa.CheckConstraint):
                condition = " ".join(str(constraint.sqltext).split())
                notes.append(f"- `{table.name}.{constraint.name}`: CHECK ({condition})")
    return notes


def _attribute(table: sa.Table, column: sa.Column[object]) -> str:
    keys = []
    if column.primary_key:
        keys.append("PK")
    if column.foreign_keys:
        keys.append("FK")
    if _unique(table, [column]) and not column.primary_key:
        keys.append("UK")
    line = f"{_type(column)} {column.name}"
    if keys:
        line += " " + ", ".join(keys)
    if column.nullable and not column.primary_key:
        line += ' "nullable"'
    return line


def _type(column: sa.Column[object]) -> str:
    try:
        compiled = column.type.compile(dialect=_DIALECT).lower()
    except sa.exc.CompileError:
        compiled = type(column.type).__name__.lower()
    compiled = _SHORT_TYPES.get(compiled, compiled)
    # A comma would end the attribute for Mermaid: numeric(3, 2) is shown as numeric.
    compiled = re.sub(r"\([^)]*,[^)]*\)", "", compiled)
    return re.sub(r"[^a-z0-9_()\[\]]+", "_", compiled)


def _unique(table: sa.Table, columns: list[sa.Column[object]]) -> bool:
    names = {c.name for c in columns}
    if len(names) == 1 and any(c.unique for c in columns):
        return True
    for constraint in table.constraints:
        if (
            isinstance(constraint, sa.UniqueConstraint | sa.PrimaryKeyConstraint)
            and {c.name for c in constraint.columns} == names
        ):
            return True
    return any(index.unique and {c.name for c in index.columns} == names for index in table.indexes)


def _relationship(fk: sa.ForeignKeyConstraint) -> str:
    child = fk.table
    parent = fk.referred_table
    columns = list(fk.columns)
    # Crow's feet: the parent side is "exactly one" unless the reference may be NULL; the child side
    # is "at most one" when the referencing columns are unique.
    parent_end = "|o" if any(c.nullable for c in columns) else "||"
    child_end = "o|" if _unique(child, columns) else "o{"
    label = ", ".join(c.name for c in columns)
    return f'{parent.name} {parent_end}--{child_end} {child.name} : "{label}"'
