"""A real SMTP server on loopback for the tests (aiosmtpd), the portal's mail pointed at it, and
the task worker that sends to it."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from django.core.management import call_command

from tests.support import free_port

BASE = "https://apps.example.test"
WEBHOOK_SECRET = "test-webhook-secret-0123456789"


@dataclass
class _Keeper:
    """aiosmtpd's handler: accept every message and keep it."""

    received: list[tuple[list[str], bytes]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((list(envelope.rcpt_tos), bytes(envelope.original_content)))
        return "250 Message accepted for delivery"


class SmtpServer:
    """An SMTP server on 127.0.0.1 that can be stopped and started again on the same port,
    to play a mail server that is down for a while."""

    def __init__(self) -> None:
        self.port = free_port()
        self.keeper = _Keeper()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.keeper, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def mailers(self) -> dict[str, Any]:
        """A MAILERS setting that sends through this server."""
        return {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": self.port, "timeout": 5},
            }
        }

    @property
    def messages(self) -> list[EmailMessage]:
        return [
            email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[misc]
            for _, raw in self.keeper.received
        ]

    @property
    def recipients(self) -> list[list[str]]:
        return [rcpt for rcpt, _ in self.keeper.received]


def parts(message: EmailMessage) -> tuple[str, str]:
    """The plain text and the HTML of a message."""
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None, "the message needs both parts"
    return text.get_content(), html.get_content()


def serving_mail(settings: Any) -> Iterator[SmtpServer]:
    """Body of an ``smtp`` fixture: a running server the portal's mail goes to, with links
    from BASE and the worker sending as soon as it runs; stopped after the test."""
    server = SmtpServer()
    server.start()
    settings.MAILERS = server.mailers()
    settings.DEFAULT_FROM_EMAIL = "Connected apps <portal@example.test>"
    settings.PORTAL_BASE_URL = BASE
    # Coalescing waits for changes made together; the tests run the worker after them instead.
    settings.PORTAL_NOTIFY_DELAY_SECONDS = 0
    settings.PORTAL_WEBHOOK_SECRET = WEBHOOK_SECRET
    try:
        yield server
    finally:
        server.stop()


def run_worker() -> None:
    """The real task worker, draining every task that is due, then exiting."""
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)


def no_remote_images(html: str) -> None:
    assert "<img" not in html.lower()
    assert not re.search(r"url\(\s*['\"]?https?:", html)


def links(text: str) -> set[str]:
    return set(re.findall(r"https?://[^\s\"<>]+", text))
