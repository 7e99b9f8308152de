"""How the processes write their logs: one JSON object a line for log shippers, or text for a terminal."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from adapters.http.headers import LOG_FORMAT as TEXT_FORMAT
from adapters.http.headers import log_request_ids

LOG_FORMATS = ("json", "text")

# What every LogRecord has; anything else on a record was passed in ``extra`` and belongs in the line.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """A record as one line of JSON: time, level, logger, message, request id and the ``extra`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        line.update((k, v) for k, v in vars(record).items() if k not in _RECORD_ATTRIBUTES and k not in line)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


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
