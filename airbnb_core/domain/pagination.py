"""Keyset pagination: a page of items and an opaque cursor to the next one."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from airbnb_core.domain.errors import InvalidInput

T = TypeVar("T")

LIMIT_MAX = 100
LIMIT_DEFAULT = 20


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: Sequence[T]
    next_cursor: str | None


def check_limit(limit: int) -> int:
    if isinstance(limit, bool) or not 1 <= limit <= LIMIT_MAX:
        raise InvalidInput.field("limit", f"must be 1 to {LIMIT_MAX}")
    return limit


def encode_cursor(key: Sequence[str | int | float | None]) -> str:
    """Opaque to clients: the sort key of the last item of the page, which the next page starts after."""
    raw = json.dumps(list(key), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> list[str | int | float | None]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (binascii.Error, ValueError):
        raise InvalidInput.field("cursor", "is not a cursor this API issued") from None
    if not isinstance(key, list) or len(key) != arity:
        raise InvalidInput.field("cursor", "is not a cursor this API issued")
    return key


def encode_time_key(created_at: datetime, item_id: uuid.UUID) -> str:
    """A cursor over ``(created_at, id)``, the order of users and reviews."""
    return encode_cursor([created_at.isoformat(), str(item_id)])


def decode_time_key(cursor: str) -> tuple[datetime, uuid.UUID]:
    created_at, item_id = decode_cursor(cursor, 2)
    try:
        return datetime.fromisoformat(str(created_at)), uuid.UUID(str(item_id))
    except ValueError:
        raise InvalidInput.field("cursor", "is not a cursor this API issued") from None
