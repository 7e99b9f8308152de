from __future__ import annotations

from typing import Protocol

from airbnb_core.domain.events import BookingEvent


class Notifier(Protocol):
    def notify(self, event: BookingEvent) -> None:
        """Tell the guest and the host; called only after the transaction that caused it committed."""
