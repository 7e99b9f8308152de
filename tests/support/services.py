"""The use cases over a unit of work a test chooses (a database, an outage), through the one builder."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from airbnb_core.domain.bookings import BookingTerms
from airbnb_core.inmemory import HmacTokenService, InMemoryPaymentGateway, ScryptPasswordHasher
from airbnb_core.ports.clock import Clock
from airbnb_core.ports.unit_of_work import UnitOfWork
from airbnb_core.services import Services, build_services


def services_on(uow: Callable[[], UnitOfWork], *, clock: Clock, **ports: Any) -> Services:
    """``build_services`` with cheap password hashes, a fixed token key and the default booking terms, unless
    ``ports`` says otherwise."""
    defaults: dict[str, Any] = {
        "hasher": ScryptPasswordHasher(n=2**8),
        "tokens": HmacTokenService(b"k" * 32),
        "terms": BookingTerms(),
        "gateway": InMemoryPaymentGateway(),
    }
    return build_services(uow, clock=clock, **{**defaults, **ports})
