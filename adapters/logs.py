"""How the processes write their logs: one JSON object a line for log shippers, or text for a terminal."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import msgspec

from adapters.http.headers import LOG_FORMAT as TEXT_FORMAT
from adapters.http.headers import log_request_ids

LOG_FORMATS = ("json", "text")

# What every LogRecord has; anything else on a record was passed in ``extra`` and belongs in the line.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """A record as one line of JSON: time, level, logger, message, request id and the ``extra`` fields.

    Every request writes a line (the access log), so this is on the hot path: msgspec encodes (values it
    does not know as their ``str``) and the time's whole seconds are formatted once a second.
    """

    _encode = msgspec.json.Encoder(enc_hook=str).encode
    _second: tuple[int, str] = (-1, "")

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": self._time(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and key not in line:
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return self._encode(line).decode()

    def _time(self, created: float) -> str:
        """``created`` as ISO 8601 in UTC to the millisecond, as ``datetime.isoformat(timespec="milliseconds")``."""
        whole = int(created)
        second, text = self._second
        if whole != second:
            text = datetime.fromtimestamp(whole, UTC).strftime("%Y-%m-%dT%H:%M:%S")
            self._second = (whole, text)
        return f"{text}.{int((created - whole) * 1000):03d}+00:00"


def configure_logging(log_format: str, level: int = logging.INFO) -> None:
    """Send every logger's records, the ASGI server's included, to stderr in ``log_format``."""
    log_request_ids()
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        # uvicorn's own handlers would write its lines in its own format; let them reach the root's.
        server_logger = logging.getLogger(name)
        server_logger.handlers.clear()
        server_logger.propagate = True


__all__ = ["LOG_FORMATS", "JsonFormatter", "configure_logging"]
