"""A notifier that keeps what it was asked to send, for tests and scripts."""

from __future__ import annotations

from airbnb_core.domain.events import BookingEvent


class RecordingNotifier:
    """Keeps every notification it was asked to send, in order."""

    def __init__(self) -> None:
        self.sent: list[BookingEvent] = []

    def notify(self, event: BookingEvent) -> None:
        self.sent.append(event)
