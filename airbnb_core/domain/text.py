"""Free text people type: trimmed, bounded, and free of characters no column or screen should hold."""

from __future__ import annotations

import unicodedata

from airbnb_core.domain.errors import FieldError

# Line breaks and tabs belong in descriptions and comments, never in names, titles or search words.
_LINE_BREAKS = frozenset("\t\n\r")
# Control characters (NUL breaks PostgreSQL text) and lone surrogates (not encodable as UTF-8).
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs"})


def has_forbidden_characters(value: str, *, multiline: bool = False) -> bool:
    """True when ``value`` holds a control character or a lone surrogate (line breaks allowed if ``multiline``)."""
    if value.isprintable():  # the fast path: no control, separator or unassigned characters at all
        return False
    return any(
        unicodedata.category(char) in _REFUSED_CATEGORIES and not (multiline and char in _LINE_BREAKS) for char in value
    )


def clean_text(
    value: str,
    field: str,
    errors: list[FieldError],
    *,
    max_length: int,
    required: bool = True,
    multiline: bool = False,
) -> str:
    """``value`` without surrounding whitespace, measured after trimming; problems are appended to ``errors``."""
    value = value.strip()
    if has_forbidden_characters(value, multiline=multiline):
        errors.append(FieldError(field, "must not contain control characters"))
    elif len(value) > max_length or (required and not value):
        bounds = f"1 to {max_length}" if required else f"at most {max_length}"
        errors.append(FieldError(field, f"must be {bounds} characters"))
    return value
