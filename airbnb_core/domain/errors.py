"""The one error hierarchy of the core.

Every failure a caller can cause is a ``DomainError``, and so is the one outage the platform
expects, a database it cannot reach (``ServiceUnavailable``). Each carries a ``kind`` (which the web
adapters map to an HTTP status or a GraphQL ``extensions.code``) and a stable, specific ``code``
that clients may branch on.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class ErrorKind(enum.Enum):
    INVALID_INPUT = "BAD_USER_INPUT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    PAYMENT_DECLINED = "PAYMENT_DECLINED"
    RATE_LIMITED = "RATE_LIMITED"
    UNAVAILABLE = "SERVICE_UNAVAILABLE"


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str


class DomainError(Exception):
    kind: ErrorKind = ErrorKind.CONFLICT
    code: str = "domain_error"
    title: str = "Request could not be completed"
    retry_after_seconds: int | None = None  # when the same request may succeed if sent again

    def __init__(self, detail: str, *, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code


class InvalidInput(DomainError):
    kind = ErrorKind.INVALID_INPUT
    code = "invalid_input"
    title = "Invalid input"

    def __init__(self, detail: str, *, errors: list[FieldError] | None = None, code: str | None = None) -> None:
        super().__init__(detail, code=code)
        self.errors = errors or []

    @classmethod
    def field(cls, field: str, message: str) -> InvalidInput:
        return cls.of([FieldError(field, message)])

    @classmethod
    def of(cls, errors: list[FieldError]) -> InvalidInput:
        return cls("; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors)


def raise_if_any(errors: list[FieldError]) -> None:
    if errors:
        raise InvalidInput.of(errors)


class Unauthenticated(DomainError):
    kind = ErrorKind.UNAUTHENTICATED
    code = "unauthenticated"
    title = "Authentication required"


class InvalidCredentials(Unauthenticated):
    code = "invalid_credentials"
    title = "Invalid credentials"


class Forbidden(DomainError):
    kind = ErrorKind.FORBIDDEN
    code = "forbidden"
    title = "Forbidden"


class NotFound(DomainError):
    kind = ErrorKind.NOT_FOUND
    code = "not_found"
    title = "Not found"


class Conflict(DomainError):
    kind = ErrorKind.CONFLICT
    code = "conflict"
    title = "Conflict"


class EmailTaken(Conflict):
    code = "email_taken"


class DatesUnavailable(Conflict):
    code = "booking_conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class PaymentDeclined(DomainError):
    kind = ErrorKind.PAYMENT_DECLINED
    code = "payment_declined"
    title = "Payment declined"


class RateLimited(DomainError):
    kind = ErrorKind.RATE_LIMITED
    code = "rate_limited"
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after_seconds: int) -> None:
        super().__init__(detail)
        self.retry_after_seconds = retry_after_seconds


class ServiceUnavailable(DomainError):
    """A service the platform depends on (the database) cannot be reached: nothing the caller did;
    the same request may succeed after ``retry_after_seconds``."""

    kind = ErrorKind.UNAVAILABLE
    code = "service_unavailable"
    title = "Service unavailable"

    def __init__(self, detail: str, *, retry_after_seconds: int = 5) -> None:
        super().__init__(detail)
        self.retry_after_seconds = retry_after_seconds
