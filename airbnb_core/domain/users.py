"""Users and their refresh-token sessions."""

from __future__ import annotations

import re
import unicodedata
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
# Surrounding line breaks and tabs are trimmed like spaces; every other control character is refused.
_TRIMMED_CONTROLS = "\t\n\r"
# Default_Ignorable_Code_Points outside category Cf (which is refused as a whole): they render as
# nothing, so "ann" and "a\u034fnn" would look identical. unicodedata does not expose the property.
_IGNORABLE = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0"
    + "".join(map(chr, range(0x180B, 0x1810)))  # Mongolian free variation selectors
    + "".join(map(chr, range(0xFE00, 0xFE10)))  # variation selectors
    + "".join(map(chr, range(0xE0100, 0xE01F0)))  # variation selectors supplement
)
# The scripts whose letters are confusable with each other at a glance (Latin a, Cyrillic а, Greek α).
_CONFUSABLE_SCRIPTS = frozenset({"LATIN", "GREEK", "CYRILLIC"})


def normalize_email(email: str) -> str:
    """The one spelling of an address that accounts are stored and looked up under.

    What is folded, so that variants are the same account:
    - compatibility forms, by NFKC: fullwidth ``ａｎｎ＠ｅｘａｍｐｌｅ．ｃｏｍ``, ligatures (``ﬁ``), mathematical
      and circled letters, and canonical equivalents: ``e`` + U+0301 and ``é`` are one address;
    - case, fully, by casefold: ``ß`` becomes ``ss`` and ``ς`` becomes ``σ``. A consequence we accept: a
      mailbox at ``faß.de`` and one at ``fass.de`` (two domains under IDNA2008) count as one address, so
      the second would be told it is taken; the other choice would let two accounts differ by ``ß``/``ss``;
    - NFKC again, since case folding can leave a string unnormalized, then ``lower``: casefold maps
      Cherokee small letters to capitals, and the database requires ``email = lower(email)``;
    - surrounding whitespace, trimmed.

    What is not folded: letters of different scripts that look alike (Cyrillic ``а`` and Latin ``a``),
    Turkish dotless ``ı`` and ``i``. ``validate_email`` refuses the mixes of Latin, Greek and Cyrillic
    that such look-alikes need; an address wholly in one script is a real, different mailbox.

    This maps only; it does not refuse anything. Input from outside goes through ``validate_email``.
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", email).casefold())
    return folded.lower().strip()


def _is_invisible(char: str) -> bool:
    """Control (Cc), format (Cf: U+200B, U+200C, U+200D, U+2060, U+FEFF, bidi controls), surrogate and
    private-use code points, and others that render as nothing. Unassigned code points too: a later
    Unicode version could give one a folding, and a stored address would then no longer find itself."""
    return unicodedata.category(char).startswith("C") or char in _IGNORABLE


def _mixes_confusable_scripts(part: str) -> bool:
    scripts: set[str] = set()
    for char in part:
        if unicodedata.category(char).startswith("L"):
            scripts.add(unicodedata.name(char, "").partition(" ")[0])
    return len(scripts & _CONFUSABLE_SCRIPTS) > 1


def validate_name(name: str, errors: list[FieldError]) -> str:
    return clean_text(name, "name", errors, max_length=NAME_MAX)


def validate_email(email: str, errors: list[FieldError]) -> str:
    """The normalized address (see ``normalize_email``), or an error on ``email``.

    Invisible and control characters are refused rather than dropped: an address that differs from
    what the person sees cannot receive their mail. Within the local part and within each domain
    label, Latin, Greek and Cyrillic letters may not mix (``pаypal`` with a Cyrillic ``а``).
    """
    trimmed = email.strip(_TRIMMED_CONTROLS + " ")
    if any(_is_invisible(char) for char in trimmed):
        errors.append(FieldError("email", "must not contain invisible or control characters"))
        return ""
    # Bounds the work: NFKC can turn one character into eighteen.
    normalized = normalize_email(trimmed) if len(trimmed) <= 4 * EMAIL_MAX else trimmed
    if len(normalized) > EMAIL_MAX or not _EMAIL.match(normalized):
        errors.append(FieldError("email", "must be a valid email address"))
    else:
        local, _, domain = normalized.rpartition("@")
        if any(_mixes_confusable_scripts(part) for part in (local, *domain.split("."))):
            errors.append(FieldError("email", "must not mix Latin, Greek and Cyrillic letters in one part"))
    return normalized


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
    # Access tokens carry the version they were issued under; raising it ends every one of them.
    # Repositories raise it atomically (``bump_session_version``); ``update`` never writes it.
    session_version: int = 0

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
