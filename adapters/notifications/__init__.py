"""Delivery of notifications: email over SMTP, or the log when no mail server is configured."""

from adapters.notifications.console import LoggingNotifier
from adapters.notifications.email import SmtpNotifier, SmtpServer

__all__ = ["LoggingNotifier", "SmtpNotifier", "SmtpServer"]
