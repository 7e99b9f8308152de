from __future__ import annotations

from typing import Protocol

from airbnb_core.domain.notifications import Notification


class Notifier(Protocol):
    def send(self, notification: Notification) -> None:
        """Deliver one message; raise if it may not have been delivered (the job is then retried)."""


class DeliveryLog(Protocol):
    """Which messages went out, so that a job run twice sends once."""

    def was_sent(self, message_id: str) -> bool: ...

    def remember_sent(self, message_id: str) -> None: ...


class Unnotified:
    """Sends nothing and remembers nothing; the default where no job ever asks for a delivery."""

    def send(self, notification: Notification) -> None:
        pass

    def was_sent(self, message_id: str) -> bool:
        return False

    def remember_sent(self, message_id: str) -> None:
        pass


UNNOTIFIED = Unnotified()
