"""The use cases over a unit of work a test chooses (a database, an outage), through the one builder."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from airbnb_core.inmemory import HmacTokenService, ScryptPasswordHasher
from airbnb_core.ports.clock import Clock
from airbnb_core.ports.unit_of_work import UnitOfWork
from airbnb_core.services import Services, build_services


def services_on(uow: Callable[[], UnitOfWork], *, clock: Clock, **ports: Any) -> Services:
    """``build_services`` with cheap password hashes and a fixed token key, unless ``ports`` says otherwise."""
    cheap: dict[str, Any] = {"hasher": ScryptPasswordHasher(n=2**8), "tokens": HmacTokenService(b"k" * 32)}
    return build_services(uow, clock=clock, **{**cheap, **ports})
