"""The use cases, grouped by capability, and the bundle the edges (REST, GraphQL, scripts) receive."""

from __future__ import annotations

from dataclasses import dataclass

from airbnb_core.services.accounts import Accounts
from airbnb_core.services.listings import Listings


@dataclass(frozen=True, slots=True)
class Services:
    accounts: Accounts
    listings: Listings


__all__ = ["Accounts", "Listings", "Services"]
