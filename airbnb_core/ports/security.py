"""Credentials: password hashing and access tokens."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool:
        """True only if ``password`` matches; never raises for a wrong password."""

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with weaker parameters than the current ones."""


class TokenService(Protocol):
    access_token_ttl_seconds: int

    def issue_access_token(self, user_id: uuid.UUID, now: datetime) -> str: ...

    def verify_access_token(self, token: str, now: datetime) -> uuid.UUID:
        """The user id the token was issued to; raises ``Unauthenticated`` if invalid or expired."""
