"""The ASGI application factory the server workers call: ``uvicorn --factory entrypoints.asgi:create_app``."""

from __future__ import annotations

import logging

from litestar import Litestar

import bootstrap
from adapters.logs import configure_logging

APP_FACTORY = "entrypoints.asgi:create_app"


def create_app() -> Litestar:
    """Build production's application from the environment (``AIRBNB_*``)."""
    settings = bootstrap.Settings.from_env()
    if not logging.getLogger().handlers:  # a worker process uvicorn spawned: nothing set logging up
        configure_logging(settings.log_format)
    return bootstrap.build_app(settings)


__all__ = ["APP_FACTORY", "create_app"]
