"""Notifications written to the log: the embedded defaults, where no mail server is configured."""

from __future__ import annotations

import logging

from airbnb_core.domain.notifications import Notification

logger = logging.getLogger("airbnb.notifications")


class LoggingNotifier:
    def send(self, notification: Notification) -> None:
        logger.info(
            "notification %s to %s <%s>: %s | %s",
            notification.message_id,
            notification.to_name,
            notification.to_email,
            notification.subject,
            " / ".join(notification.lines),
        )
