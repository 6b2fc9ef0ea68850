"""Each e-mail written out: subject, plain text and HTML, in the person's language, with links
that work from a mail client (absolute, from ``PORTAL_BASE_URL``).

The words for what changed come from the same places as the pages: the app's name as the trail
kept it (or as Authlete has it, for a new app) and the service's descriptions of its scopes.
Authlete being down costs an e-mail those words, never the e-mail.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from connected_apps import authlete
from connected_apps.models import AuditEvent
from connected_apps.notifications.models import Notification
from connected_apps.notifications.recipients import address_for
from connected_apps.services import cards, reads
from connected_apps.services.names import display_name

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ToldChange:
    """One change as the e-mail tells it."""

    at: datetime
    app: str
    action: str
    removed: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()
    expires_at: datetime | None = None
    reason: str = ""
    ended_sign_ins: bool = False


def absolute(view_name: str, *args: object) -> str:
    return f"{settings.PORTAL_BASE_URL}{reverse(view_name, args=args)}"


def compose(notification: Notification) -> EmailMultiAlternatives:
    """The e-mail of ``notification``, in its person's language."""
    user = notification.user
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject, context = _WRITERS[notification.kind](notification)
        context |= {
            "subject": subject,
            "person": user.get_full_name() or user.get_username(),
            "activity_url": absolute("connected_apps:activity"),
            "settings_url": absolute("connected_apps:notification_settings"),
            "password_url": absolute("account_change_password"),
            "email_url": absolute("account_email"),
            "security_url": absolute("mfa_index"),
            "portal_url": absolute("connected_apps:list"),
            "LANGUAGE_CODE": translation.get_language(),
        }
        template = f"notifications/email/{notification.kind}"
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[address_for(user)]
    )
    message.attach_alternative(html, "text/html")
    # Automatic mail: auto-responders should not answer it (RFC 3834).
    message.extra_headers["Auto-Submitted"] = "auto-generated"
    return message


def _support_acted(notification: Notification) -> tuple[str, dict[str, Any]]:
    changes = _told(notification)
    subject = _("Our support team changed an app's access to your account")
    return subject, {"changes": changes}


def _access_removed(notification: Notification) -> tuple[str, dict[str, Any]]:
    changes = _told(notification)
    apps = list(dict.fromkeys(change.app for change in changes))
    count = len(apps)
    # Disconnected says it all; otherwise some access went (permissions, a sign-in). One app is
    # named; several are counted (each plural form with the same placeholder, for translators).
    if all(change.action == AuditEvent.Action.REVOKE for change in changes):
        subject = (
            _("%(app)s was disconnected from your account") % {"app": apps[0]}
            if count == 1
            else ngettext(
                "%(count)d app was disconnected from your account",
                "%(count)d apps were disconnected from your account",
                count,
            )
            % {"count": count}
        )
    else:
        subject = (
            _("%(app)s has less access to your account") % {"app": apps[0]}
            if count == 1
            else ngettext(
                "%(count)d app has less access to your account",
                "%(count)d apps have less access to your account",
                count,
            )
            % {"count": count}
        )
    return subject, {"changes": changes, "apps": apps}


def _app_connected(notification: Notification) -> tuple[str, dict[str, Any]]:
    details = notification.details
    client_id = int(details["client_id"])
    app = app_name(client_id)
    subject = _("A new app can access your account: %(app)s") % {"app": app}
    context = {
        "app": app,
        "permissions": _words(details.get("scopes") or []),
        "issued_at": parse_datetime(details.get("issued_at") or ""),
        "review_url": absolute("connected_apps:detail", client_id),
        "disconnect_url": absolute("connected_apps:revoke", client_id),
    }
    return subject, context


_WRITERS = {
    Notification.Kind.SUPPORT_ACTED: _support_acted,
    Notification.Kind.ACCESS_REMOVED: _access_removed,
    Notification.Kind.APP_CONNECTED: _app_connected,
}


def app_name(client_id: int) -> str:
    """The app's name as Authlete has it now, or "App <id>" when Authlete cannot say."""
    try:
        details = reads.client_details_or_none(client_id)
    except authlete.AuthleteError:
        logger.warning("notifications: app %s unreadable; named by its id", client_id)
        details = None
    raw = cards.localized(details.name, details.names) if details else ""
    return display_name(raw, client_id)


def _told(notification: Notification) -> list[ToldChange]:
    events = [
        change.event
        for change in notification.changes.select_related("event").order_by("event__created_at")
    ]
    scopes = list(dict.fromkeys(s for e in events for s in (*e.scopes_before, *e.scopes_after)))
    words = dict(zip(scopes, _words(scopes), strict=True))
    return [_change(event, words) for event in events]


def _change(event: AuditEvent, words: dict[str, str]) -> ToldChange:
    removed: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()
    if event.action in {AuditEvent.Action.NARROW, AuditEvent.Action.TOKEN_NARROW}:
        removed = tuple(words[s] for s in event.scopes_before if s not in event.scopes_after)
        kept = tuple(words[s] for s in event.scopes_after)
    expires = event.values_after.get("expires_at") if event.values_after else None
    return ToldChange(
        at=event.created_at,
        app=event.client_name or display_name("", event.client_id),
        action=event.action,
        removed=removed,
        kept=kept,
        expires_at=parse_datetime(expires) if isinstance(expires, str) else None,
        reason=event.reason if event.on_behalf else "",
        ended_sign_ins=bool((event.values_after or {}).get("ended_tokens")),
    )


def _words(scopes: Iterable[str]) -> list[str]:
    """Each scope in the service's words for the current language; its name when unreadable."""
    scopes = list(scopes)
    try:
        return [permission.description for permission in cards.permissions(scopes)]
    except authlete.AuthleteError:
        return scopes
