"""Users and their refresh-token sessions."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from airbnb_core.domain.errors import Conflict, FieldError, raise_if_any
from airbnb_core.domain.text import clean_text

NAME_MAX = 100
EMAIL_MAX = 254
PASSWORD_MIN = 8
# argon2 hashes whatever it is given; an upper bound keeps a login from being a CPU-burning request.
PASSWORD_MAX = 128
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalize_email(email: str) -> str:
    """Emails are unique case-insensitively, so they are kept in one case."""
    return email.strip().lower()


def validate_name(name: str, errors: list[FieldError]) -> str:
    return clean_text(name, "name", errors, max_length=NAME_MAX)


def validate_email(email: str, errors: list[FieldError]) -> str:
    email = normalize_email(email)
    if len(email) > EMAIL_MAX or not _EMAIL.match(email):
        errors.append(FieldError("email", "must be a valid email address"))
    return email


def validate_password(password: str, errors: list[FieldError], field: str = "password") -> None:
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        errors.append(FieldError(field, f"must be {PASSWORD_MIN} to {PASSWORD_MAX} characters"))


@dataclass(slots=True)
class User:
    id: uuid.UUID
    name: str
    email: str
    password_hash: str
    created_at: datetime
    is_host: bool = False
    is_admin: bool = False
    is_active: bool = True

    def rename(self, name: str) -> None:
        errors: list[FieldError] = []
        self.name = validate_name(name, errors)
        raise_if_any(errors)

    def become_host(self) -> None:
        self.is_host = True

    def deactivate(self, by: User) -> None:
        if by.id == self.id:
            raise Conflict("an admin cannot deactivate their own account", code="cannot_deactivate_self")
        self.is_active = False


@dataclass(slots=True)
class RefreshToken:
    """One link of a rotation chain. Only the SHA-256 of the opaque token is ever stored.

    A family is every token descended from one login; presenting a token that was already
    rotated means it leaked, so the whole family is revoked.
    """

    id: uuid.UUID
    user_id: uuid.UUID
    family_id: uuid.UUID
    token_hash: str
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    revoked_at: datetime | None = None

    def is_usable(self, now: datetime) -> bool:
        return self.used_at is None and self.revoked_at is None and now < self.expires_at


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = field(default="bearer")
