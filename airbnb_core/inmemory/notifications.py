"""A notifier that keeps what it was asked to send, and a delivery log of one process."""

from __future__ import annotations

import threading

from airbnb_core.domain.notifications import Notification


class RecordingNotifier:
    """Keeps every notification it was asked to send, in order."""

    def __init__(self) -> None:
        self.sent: list[Notification] = []

    def send(self, notification: Notification) -> None:
        self.sent.append(notification)


class InMemoryDeliveryLog:
    """The messages sent by this process (one process: the embedded defaults, tests)."""

    def __init__(self) -> None:
        self._sent: set[str] = set()
        self._lock = threading.Lock()

    def was_sent(self, message_id: str) -> bool:
        with self._lock:
            return message_id in self._sent

    def remember_sent(self, message_id: str) -> None:
        with self._lock:
            self._sent.add(message_id)
