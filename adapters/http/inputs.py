"""The constrained input types of the REST API, declared once from the core's own bounds.

The OpenAPI document states every bound a request must meet, so a client (or a fuzzer) that
follows the schema is refused only for rules a schema cannot express. The core still checks
everything itself; these types make the edge say the same thing up front.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from litestar.params import Parameter
from msgspec import Meta

from airbnb_core.domain.money import CURRENCIES
from airbnb_core.domain.properties import AMENITIES, COUNTRIES, GUESTS_MAX, NIGHTS_MAX, PRICE_MAX, known_timezones
from airbnb_core.domain.users import EMAIL_MAX, PASSWORD_MAX, PASSWORD_MIN

# Control characters are refused (NUL cannot be stored in PostgreSQL text); one-line text also
# refuses line breaks and must hold something besides whitespace, which the core trims.
_CONTROLS = r"\x00-\x1f\x7f-\x9f"
_TEXT_CONTROLS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
ONE_LINE_PATTERN = f"^[^{_CONTROLS}]*$"
NON_BLANK_PATTERN = rf"^[^{_CONTROLS}]*[^\s{_CONTROLS}][^{_CONTROLS}]*$"
MULTILINE_PATTERN = f"^[^{_TEXT_CONTROLS}]*$"


def text(max_length: int, *, required: bool = True, description: str | None = None) -> Meta:
    """One line of text, for `Annotated[str, text(...)]`: at most `max_length` characters, not blank if `required`."""
    pattern = NON_BLANK_PATTERN if required else ONE_LINE_PATTERN
    return Meta(max_length=max_length, pattern=pattern, description=description)


def multiline_text(max_length: int, *, description: str | None = None) -> Meta:
    return Meta(max_length=max_length, pattern=MULTILINE_PATTERN, description=description)


def text_parameter(max_length: int, *, description: str | None = None) -> Any:
    """A one-line query parameter, for `Annotated[str | None, text_parameter(...)]`."""
    return Parameter(max_length=max_length, pattern=ONE_LINE_PATTERN, description=description)


if TYPE_CHECKING:
    # What mypy can check of the enumerations below (a Literal cannot be built from a computed tuple for it).
    Country = str
    Currency = str
    TimeZone = str
    Amenity = str
else:
    Country = Annotated[Literal[tuple(sorted(COUNTRIES))], Meta(description="ISO 3166-1 alpha-2, upper case")]
    Currency = Annotated[Literal[tuple(sorted(CURRENCIES))], Meta(description="ISO 4217")]
    TimeZone = Annotated[Literal[tuple(sorted(known_timezones()))], Meta(description="IANA time zone")]
    Amenity = Literal[tuple(sorted(AMENITIES))]

MinorUnits = Annotated[int, Meta(ge=0, le=PRICE_MAX, description="Minor units of the currency (cents)")]
Guests = Annotated[int, Meta(ge=1, le=GUESTS_MAX)]
Nights = Annotated[int, Meta(ge=1, le=NIGHTS_MAX)]
Percent = Annotated[int, Meta(ge=0, le=100)]
Latitude = Annotated[float, Meta(ge=-90, le=90)]
Longitude = Annotated[float, Meta(ge=-180, le=180)]
Amenities = Annotated[list[Amenity], Meta(max_length=len(AMENITIES), description="From the amenity vocabulary")]
# The core folds emails (NFKC: a fullwidth ＠ is an @) before it checks their shape, so the edge
# bounds only their length and characters; a log-in with an impossible email is a wrong password.
NewEmail = Annotated[
    str, Meta(max_length=EMAIL_MAX, pattern=ONE_LINE_PATTERN, description="Unique whatever its case or width")
]
Email = Annotated[str, Meta(max_length=EMAIL_MAX)]
Password = Annotated[str, Meta(max_length=PASSWORD_MAX)]
NewPassword = Annotated[str, Meta(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)]

# What a client reads instead of a regular expression when text breaks these patterns.
PATTERN_MESSAGES = {
    NON_BLANK_PATTERN: "must not be blank or contain control characters or line breaks",
    ONE_LINE_PATTERN: "must not contain control characters or line breaks",
    MULTILINE_PATTERN: "must not contain control characters",
}
