"""Credentials: password hashing and access tokens."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool:
        """True only if ``password`` matches; never raises for a wrong password."""

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with weaker parameters than the current ones."""


@dataclass(frozen=True, slots=True)
class AccessClaims:
    """What an access token vouches for: a user, as of one of their session versions."""

    user_id: uuid.UUID
    session_version: int


class TokenService(Protocol):
    access_token_ttl_seconds: int

    def issue_access_token(self, claims: AccessClaims, now: datetime) -> str: ...

    def verify_access_token(self, token: str, now: datetime) -> AccessClaims:
        """The claims the token was issued with; raises ``Unauthenticated`` if invalid or expired."""
