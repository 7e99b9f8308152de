"""Keyset pagination: a page of items and an opaque cursor to the next one."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, Protocol, TypeVar

from airbnb_core.domain.errors import InvalidInput

T = TypeVar("T")
U = TypeVar("U")

LIMIT_MAX = 100
LIMIT_DEFAULT = 20
BIGINT_MAX = 2**63 - 1
CURSOR_MAX_LENGTH = 500  # the longest cursor this API issues is far shorter
# Cursors are decoded from client input: every value is checked before it can reach a query.
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(9000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: Sequence[T]
    next_cursor: str | None

    @classmethod
    def from_overfetch(cls, rows: Sequence[T], limit: int, cursor_of: Callable[[T], str]) -> Page[T]:
        """The page of ``rows``, fetched as ``limit + 1``: a row past the limit means another page follows,
        which starts after the cursor of this page's last item."""
        if len(rows) <= limit:
            return cls(rows, None)
        items = rows[:limit]
        return cls(items, cursor_of(items[-1]))

    def map(self, convert: Callable[[T], U]) -> Page[U]:
        return Page([convert(item) for item in self.items], self.next_cursor)


def check_limit(limit: int) -> int:
    if isinstance(limit, bool) or not 1 <= limit <= LIMIT_MAX:
        raise InvalidInput.field("limit", f"must be 1 to {LIMIT_MAX}")
    return limit


def encode_cursor(key: Sequence[str | int | float | None]) -> str:
    """Opaque to clients: the sort key of the last item of the page, which the next page starts after."""
    raw = json.dumps(list(key), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> list[str | int | float | None]:
    if len(cursor) > CURSOR_MAX_LENGTH:
        raise InvalidInput.field("cursor", "is not a cursor this API issued")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (binascii.Error, ValueError, RecursionError):
        raise InvalidInput.field("cursor", "is not a cursor this API issued") from None
    if not isinstance(key, list) or len(key) != arity:
        raise InvalidInput.field("cursor", "is not a cursor this API issued")
    return key


def encode_time_key(created_at: datetime, item_id: uuid.UUID) -> str:
    """A cursor over ``(created_at, id)``, the order of users and reviews."""
    return encode_cursor([created_at.isoformat(), str(item_id)])


class TimeOrdered(Protocol):
    created_at: datetime
    id: uuid.UUID


def time_key_of(item: TimeOrdered) -> str:
    """The cursor after ``item`` in an order by ``(created_at, id)``."""
    return encode_time_key(item.created_at, item.id)


def decode_time_key(cursor: str) -> tuple[datetime, uuid.UUID]:
    created_at, item_id = decode_cursor(cursor, 2)
    try:
        return parse_instant(created_at), uuid.UUID(str(item_id))
    except (ValueError, OverflowError):
        raise InvalidInput.field("cursor", "is not a cursor this API issued") from None


def parse_instant(raw: object) -> datetime:
    """A timestamp from a cursor: ISO 8601 with an offset, within the years any row can have; else ValueError."""
    if not isinstance(raw, str) or len(raw) > 40:
        raise ValueError("not a timestamp")
    instant = datetime.fromisoformat(raw)
    if instant.tzinfo is None or not _EARLIEST <= instant <= _LATEST:
        raise ValueError("timestamp without an offset or out of range")
    return instant.astimezone(UTC)
