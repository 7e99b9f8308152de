"""The ASGI application factory the server workers call: ``uvicorn --factory entrypoints.asgi:create_app``."""

from __future__ import annotations

import logging

from litestar import Litestar

import bootstrap
from adapters.http.headers import LOG_FORMAT, log_request_ids

APP_FACTORY = "entrypoints.asgi:create_app"


def create_app() -> Litestar:
    """Build production's application from the environment (``AIRBNB_*``)."""
    if not logging.getLogger().handlers:  # a worker process uvicorn spawned: nothing set logging up
        log_request_ids()
        logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    return bootstrap.build_app()


__all__ = ["APP_FACTORY", "create_app"]
