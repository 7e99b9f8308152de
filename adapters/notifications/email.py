"""Notifications as email, through an SMTP server, with the standard library only."""

from __future__ import annotations

import html
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from urllib.parse import parse_qs, unquote, urlsplit

from airbnb_core.domain.notifications import Notification

DEFAULT_EMAIL_FROM = "Airbnb clone <no-reply@localhost>"


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to hand mail over, read from ``smtp://user:pass@host:port`` (``smtps://``: implicit TLS;
    ``?starttls=1``: upgrade a plain connection)."""

    host: str
    port: int
    username: str | None = None
    password: str | None = None
    implicit_tls: bool = False
    starttls: bool = False
    timeout_seconds: float = 10.0

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("an SMTP URL reads smtp://user:pass@host:port or smtps://…")
        options = parse_qs(parts.query)
        try:
            port = parts.port
        except ValueError:
            raise ValueError("the SMTP URL's port is not a port number") from None
        implicit_tls = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=port or (465 if implicit_tls else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            implicit_tls=implicit_tls,
            starttls=options.get("starttls", ["0"])[0] in ("1", "true", "yes"),
        )


class SmtpNotifier:
    """One connection per message: notifications are few and a worker may sit idle for hours."""

    def __init__(self, server: SmtpServer, sender: str = DEFAULT_EMAIL_FROM) -> None:
        self._server = server
        self._sender = sender

    def send(self, notification: Notification) -> None:
        server = self._server
        smtp: smtplib.SMTP
        if server.implicit_tls:
            smtp = smtplib.SMTP_SSL(
                server.host, server.port, timeout=server.timeout_seconds, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=server.timeout_seconds)
        with smtp:
            if server.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if server.username is not None:
                smtp.login(server.username, server.password or "")
            smtp.send_message(self.message(notification))

    def message(self, notification: Notification) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = formataddr((notification.to_name, notification.to_email))
        message["Subject"] = notification.subject
        message["Date"] = formatdate(localtime=False, usegmt=True)
        # The same id each time this news is sent to this person: a copy that a crash made us send twice
        # (after the server took it, before we noted it) is recognisably the same message.
        message["Message-ID"] = f"<{notification.message_id}@{_domain(self._sender)}>"
        message.set_content("\n\n".join(notification.lines) + "\n")
        paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in notification.lines)
        message.add_alternative(f"<!doctype html><html><body>{paragraphs}</body></html>", subtype="html")
        return message


def _domain(sender: str) -> str:
    address = sender.rsplit("<", 1)[-1].rstrip(">")
    return address.rpartition("@")[2] or "localhost"
