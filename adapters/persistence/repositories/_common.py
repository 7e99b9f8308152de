"""What every repository shares: row and entity conversion, keyset pagination, one session."""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Sequence
from dataclasses import fields
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from adapters.persistence.models import (
    Base,
)

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

E = TypeVar("E")
R = TypeVar("R", bound=Base)


def _column_value(value: Any) -> Any:
    # Enum members go in as their values: psycopg would otherwise write an Enum's *name*.
    if isinstance(value, enum.Enum):
        return value.value
    return list(value) if isinstance(value, tuple) else value


@functools.cache
def _field_names(entity: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(entity))


def _to_row(model: type[R], entity: DataclassInstance) -> R:
    return model(**{name: _column_value(getattr(entity, name)) for name in _field_names(type(entity))})


def _to_entity(row: Base | sa.Row[Any], entity: Callable[..., E], **convert: Callable[[Any], Any]) -> E:
    """Build ``entity`` from the row's columns of the same names, passing some through ``convert``."""
    values = {name: getattr(row, name) for name in _field_names(entity)}
    return entity(**{name: convert[name](v) if name in convert else v for name, v in values.items()})


def _optional(convert: Callable[[Any], E]) -> Callable[[Any], E | None]:
    return lambda value: None if value is None else convert(value)


def _after(columns: Sequence[Any], key: Sequence[Any], *, rising: bool) -> sa.ColumnElement[bool]:
    """Keyset pagination: rows strictly after ``key`` in the order of ``columns``, as one row-value comparison.

    Each value is bound with its column's type: inferred from the Python value instead, a datetime
    would skip the UTC normalization and a UUID the hex form SQLite stores.
    """
    bound = (sa.bindparam(None, value, type_=column.type) for column, value in zip(columns, key, strict=True))
    row, start = sa.tuple_(*columns), sa.tuple_(*bound)
    return row > start if rising else row < start


def _parameter(name: str, type_: Any = None) -> sa.BindParameter[Any]:
    """A named parameter of a statement built once and run with each call's values.

    Not required at compile time: adapters/persistence/queries.py renders such statements' SQL text once,
    without values, for the psycopg driver to send with each call's own.
    """
    return sa.bindparam(name, type_=type_, required=False)


def _constant(value: str) -> sa.ColumnElement[str]:
    # Inlined rather than bound: PostgreSQL proves a partial index's predicate only from constants.
    return sa.literal(value, literal_execute=True)


class _Repository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def _insert(self, row: Base) -> None:
        # Rows have no ORM relationships, so the flush would not know that a booking's user must be
        # inserted first; inserting as they are added keeps parent-before-child in any use case.
        self._session.add(row)
        self._session.flush()

    @property
    def _postgres(self) -> bool:
        return self._session.get_bind().dialect.name == "postgresql"
