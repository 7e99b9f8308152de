"""Every error becomes an RFC 9457 problem response, mapped in one place."""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY, HTTP_500_INTERNAL_SERVER_ERROR

from adapters.http.inputs import PATTERN_MESSAGES
from adapters.http.schemas import FieldProblem, Problem
from airbnb_core.domain.errors import DomainError, ErrorKind, InvalidInput

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

STATUS_BY_KIND = {
    ErrorKind.INVALID_INPUT: 422,
    ErrorKind.UNAUTHENTICATED: 401,
    ErrorKind.FORBIDDEN: 403,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.CONFLICT: 409,
    ErrorKind.PAYMENT_DECLINED: 402,
    ErrorKind.RATE_LIMITED: 429,
    ErrorKind.UNAVAILABLE: 503,
}


def problem_response(
    status: int,
    *,
    code: str,
    title: str,
    detail: str,
    errors: list[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Problem]:
    body = Problem(
        type=f"urn:problem:airbnb:{code}",
        title=title,
        status=status,
        detail=detail,
        code=code,
        errors=errors or [],
    )
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def domain_error_handler(_: Request[Any, Any, Any], exc: DomainError) -> Response[Problem]:
    return domain_problem(exc)


# Input refused before it could be read as fields: a webhook whose signature or format cannot be trusted.
STATUS_BY_CODE = {"bad_signature": 400, "bad_webhook_payload": 400}


def domain_problem(exc: DomainError) -> Response[Problem]:
    status = STATUS_BY_CODE.get(exc.code) or STATUS_BY_KIND[exc.kind]
    headers: dict[str, str] = {}
    errors = None
    if isinstance(exc, InvalidInput):
        errors = [FieldProblem(e.field, e.message) for e in exc.errors]
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer error="invalid_token"' if exc.code != "unauthenticated" else "Bearer"
    if exc.retry_after_seconds is not None:
        headers["Retry-After"] = str(exc.retry_after_seconds)
    return problem_response(status, code=exc.code, title=exc.title, detail=exc.detail, errors=errors, headers=headers)


def validation_error_handler(_: Request[Any, Any, Any], exc: ValidationException) -> Response[Problem]:
    """Well-formed input of the wrong shape: a missing, unknown or mistyped field."""
    extra = exc.extra if isinstance(exc.extra, list) else []
    errors = [
        FieldProblem(_field_name(item), _readable(str(item.get("message", ""))))
        for item in extra
        if isinstance(item, dict)
    ]
    detail = "; ".join(f"{e.field}: {e.message}" for e in errors) or exc.detail
    return problem_response(
        HTTP_422_UNPROCESSABLE_ENTITY,
        code="invalid_input",
        title="Invalid input",
        detail=detail,
        errors=errors,
    )


def _field_name(item: dict[str, Any]) -> str:
    message = str(item.get("message", ""))
    # msgspec names a missing field only in its message: "Object missing required field `name`".
    missing = _MISSING_FIELD.search(message)
    if missing:
        return missing.group(1)
    return str(item.get("key") or item.get("source") or "body")


_MISSING_FIELD = re.compile(r"(?:missing required|unknown) field `([^`]+)`")
_REGEX_MESSAGE = re.compile(r"^Expected `str` matching regex '(.*)'$", re.DOTALL)


def _readable(message: str) -> str:
    """msgspec names the regular expression a string failed; clients get the rule in words."""
    found = _REGEX_MESSAGE.match(message)
    if found is None:
        return message
    by_pattern = {repr(pattern)[1:-1]: words for pattern, words in PATTERN_MESSAGES.items()}
    return by_pattern.get(found[1], "has an invalid format")


_CODES = {
    400: "malformed_request",  # validation failures are 422; a bare 400 means the body could not be decoded
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def http_error_handler(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Problem]:
    code = _CODES.get(exc.status_code, "http_error")
    return problem_response(
        exc.status_code,
        code=code,
        title=HTTPStatus(exc.status_code).phrase,
        detail=str(exc.detail),
        headers=dict(exc.headers or {}),
    )


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(
        HTTP_500_INTERNAL_SERVER_ERROR,
        code="internal_error",
        title="Internal server error",
        detail="Something went wrong on our side; it has been logged.",
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    DomainError: domain_error_handler,
    ValidationException: validation_error_handler,
    HTTPException: http_error_handler,
    Exception: internal_error_handler,
}
