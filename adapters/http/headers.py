"""Headers every response carries, and the request id that ties a response to its log lines."""

from __future__ import annotations

import contextvars
import logging
import re
import uuid

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

REQUEST_ID_HEADER = "x-request-id"
# A client's id is echoed only when it is short, visible ASCII: it lands in logs and headers.
_SAFE_REQUEST_ID = re.compile(r"^[\x21-\x7e]{1,128}$")
_STATE_KEY = "request_id"

current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
# Sent only on responses that went out over TLS: browsers ignore it over plain HTTP, and an HSTS header
# a client could trigger with a forged X-Forwarded-Proto would say nothing true. ProxyHeadersMiddleware
# sets the scheme from trusted proxies only.
HSTS = "max-age=31536000; includeSubDomains"


def request_id_of(scope: Scope) -> str:
    """The id of this request: the client's ``X-Request-ID`` when it is safe to repeat, else a new one."""
    state = scope.setdefault("state", {})
    request_id: str | None = state.get(_STATE_KEY)
    if request_id is None:
        sent = next((v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"x-request-id"), "")
        request_id = state[_STATE_KEY] = sent if _SAFE_REQUEST_ID.match(sent) else uuid.uuid4().hex
    return request_id


async def add_response_headers(message: Message, scope: Scope) -> None:
    """A ``before_send`` hook: it also sees the responses no route handled (404, 405), which middleware does not."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    headers[REQUEST_ID_HEADER] = request_id_of(scope)
    if scope.get("method") == "OPTIONS" and "allow" in headers:
        headers["allow"] = _allowed_methods(scope)
    for name, value in SECURITY_HEADERS.items():
        if name not in headers:  # a page may set a stricter policy of its own
            headers[name] = value
    if scope.get("scheme") in ("https", "wss"):
        headers["Strict-Transport-Security"] = HSTS


def _allowed_methods(scope: Scope) -> str:
    """Every method of the requested path (OPTIONS is rare enough to look them up each time).

    Litestar's automatic OPTIONS answer lists only the methods of the handlers registered before
    it was made (``DELETE, OPTIONS`` for a path that also has GET and PATCH).
    """
    template = scope.get("path_template")
    methods = {
        m for route in scope["app"].routes if route.path_format == template for m in getattr(route, "methods", ())
    }
    return ", ".join(sorted(methods | {"OPTIONS"}))


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"


def log_request_ids() -> None:
    """Give every log record a ``request_id`` (``-`` outside a request), so ``LOG_FORMAT`` can name it."""
    make_record = logging.getLogRecordFactory()
    if getattr(make_record, "adds_request_id", False):
        return

    def record_with_request_id(*args: object, **kwargs: object) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        record.request_id = current_request_id.get()
        return record

    record_with_request_id.adds_request_id = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(record_with_request_id)
