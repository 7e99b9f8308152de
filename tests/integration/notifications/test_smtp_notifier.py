"""The SMTP notifier against a real SMTP server: one message per notification, text and HTML, stable ids."""

from __future__ import annotations

import pytest

from adapters.notifications import SmtpNotifier, SmtpServer
from airbnb_core.domain.notifications import Notification
from tests.support.smtp import Mailbox, smtp_server

NOTIFICATION = Notification(
    message_id="3f2a.guest",
    to_name="Ana Lima",
    to_email="ana@example.com",
    subject="Booking confirmed: Loft <by the quay>",
    lines=("Hello Ana Lima,", "Your stay at Loft <by the quay> is confirmed.", "Booking 42"),
)


def test_a_notification_arrives_as_one_email_with_text_and_html() -> None:
    mailbox = Mailbox()
    with smtp_server(mailbox) as url:
        SmtpNotifier(SmtpServer.from_url(url), "Stays <stays@example.org>").send(NOTIFICATION)
    [message] = mailbox.messages
    assert message["To"] == "Ana Lima <ana@example.com>" and message["From"] == "Stays <stays@example.org>"
    assert message["Subject"] == NOTIFICATION.subject
    assert message["Message-ID"] == "<3f2a.guest@example.org>"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and "is confirmed." in text.get_content()
    assert html is not None and "<p>Your stay at Loft &lt;by the quay&gt; is confirmed.</p>" in html.get_content()


def test_the_smtp_url_gives_the_server_its_credentials_and_tls() -> None:
    server = SmtpServer.from_url("smtps://mail%40x:p%2Fw@mail.example.org?starttls=0")
    assert (server.host, server.port, server.username, server.password, server.implicit_tls) == (
        "mail.example.org",
        465,
        "mail@x",
        "p/w",
        True,
    )
    assert SmtpServer.from_url("smtp://localhost:2525?starttls=1").starttls
    with pytest.raises(ValueError, match="SMTP URL"):
        SmtpServer.from_url("http://localhost")


def test_a_server_that_is_down_fails_the_send_so_the_job_is_retried() -> None:
    mailbox = Mailbox()
    with smtp_server(mailbox) as url:
        pass
    with pytest.raises(OSError):
        SmtpNotifier(SmtpServer.from_url(url)).send(NOTIFICATION)
