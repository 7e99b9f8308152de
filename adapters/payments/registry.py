"""Payment providers by name, from Python entry points: a third-party package adds one without touching us.

A provider is an entry point in the group ``airbnb.payment_providers`` whose name is what
``AIRBNB_PAYMENT_PROVIDER`` says and whose object is a factory ``(ProviderContext) -> PaymentGateway``::

    [project.entry-points."airbnb.payment_providers"]
    acme = "acme_payments:gateway"

This package registers ``sandbox`` and ``stripe`` the same way (pyproject.toml).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import sqlalchemy as sa

from airbnb_core.ports.clock import Clock
from airbnb_core.ports.payments import PaymentGateway

ENTRY_POINT_GROUP = "airbnb.payment_providers"


@dataclass(frozen=True)
class ProviderContext:
    """What a provider may build itself from: the application's database (the sandbox keeps its state
    there), its clock, and the settings (``stripe_api_key``…, as ``bootstrap.Settings`` names them)."""

    engine: sa.Engine
    clock: Clock
    settings: Mapping[str, Any]


ProviderFactory = Callable[[ProviderContext], PaymentGateway]


class UnknownProvider(LookupError):
    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"no payment provider is named {name!r}; the known ones are: {', '.join(known) or 'none'}")
        self.known = known


def known_providers() -> dict[str, EntryPoint]:
    """The installed providers by name, read from the installed packages' metadata on each call."""
    return {entry.name: entry for entry in entry_points(group=ENTRY_POINT_GROUP)}


def load_provider(name: str, context: ProviderContext) -> PaymentGateway:
    """The gateway of the provider ``name``, built from ``context``; ``UnknownProvider`` lists the known ones."""
    found = known_providers()
    if name not in found:
        raise UnknownProvider(name, sorted(found))
    factory: ProviderFactory = found[name].load()
    return factory(context)
