"""A person's history of their apps: when each app got in, and every change since, newest first.

The changes come from the audit trail, which the portal holds itself; when each app was
connected comes from Authlete (its oldest token). Authlete being unreachable costs the page its
connection dates and links, never the changes: those are the person's record of what was done.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from connected_apps import authlete
from connected_apps.models import AuditEvent
from connected_apps.services import cards, reads
from connected_apps.services.audit import audit_event_list
from connected_apps.services.types import ConnectedApp, Permission

logger = logging.getLogger(__name__)

# Rows about one app that the person can follow to it; a probe names an app that was never
# theirs, and the rest (a mapping, "more refused attempts") name no app at all.
_ABOUT_ONE_APP = frozenset(AuditEvent.Action.values) - {
    AuditEvent.Action.PROBE,
    AuditEvent.Action.UNRECORDED,
    AuditEvent.Action.MAPPING_CHANGE,
}


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One line of the history: an app's connection (``event`` is None) or a recorded change."""

    at: datetime
    client_id: int
    name: str
    # Whether the app is connected now: None when that could not be read, or for a line about
    # no app of the person's.
    connected: bool | None
    event: AuditEvent | None = None
    kept: tuple[Permission, ...] = ()
    removed: tuple[Permission, ...] = ()

    @property
    def marked_gone(self) -> bool:
        """Whether the line needs saying that its app is gone: a done disconnect says it already."""
        done_disconnect = (
            self.event is not None
            and self.event.action == AuditEvent.Action.REVOKE
            and self.event.outcome == AuditEvent.Outcome.SUCCESS
        )
        return self.connected is False and not done_disconnect


@dataclass(frozen=True, slots=True)
class History:
    entries: tuple[HistoryEntry, ...]
    # False when some connection dates could not be read: the page says so in one quiet line.
    connections_complete: bool

    @property
    def has_changes(self) -> bool:
        return any(entry.event is not None for entry in self.entries)


def app_history(*, subject: str, limit: int = 50) -> History:
    """The subject's latest changes merged with every current app's connection, by date."""
    events = audit_event_list(subject=subject, limit=limit)
    apps = _current_apps(subject)
    connected = {app.client_id: app for app in apps} if apps is not None else None
    words = _permission_words(
        scope for event in events for scope in (*event.scopes_before, *event.scopes_after)
    )
    entries = [_change(event, connected, words) for event in events]
    entries += [
        HistoryEntry(at=app.connected_at, client_id=app.client_id, name=app.name, connected=True)
        for app in apps or ()
        if app.connected_at is not None
    ]
    entries.sort(key=lambda entry: entry.at, reverse=True)
    complete = apps is not None and all(app.connected_at is not None for app in apps)
    return History(entries=tuple(entries), connections_complete=complete)


def change_entries(events: Sequence[AuditEvent]) -> list[HistoryEntry]:
    """These changes as history lines in the service's words, without reading the person's
    apps: each keeps the name the trail recorded, and ``connected`` stays unknown (None)."""
    words = _permission_words(
        scope for event in events for scope in (*event.scopes_before, *event.scopes_after)
    )
    return [_change(event, None, words) for event in events]


def _current_apps(subject: str) -> list[ConnectedApp] | None:
    """Every app of the subject, as the list reads them; None when Authlete cannot say."""
    try:
        listed = reads.all_authorized_clients(subject)
        return [app for app in reads.apps_for(subject, listed) if app is not None]
    except authlete.AuthleteError as exc:
        # The transport has logged the failure itself; this says what the page made of it.
        logger.warning("history: apps unreadable (%s); showing the changes only", exc)
        return None


def _permission_words(scopes: Iterable[str]) -> dict[str, Permission]:
    """The service's words for these scopes; each scope's own name where they cannot be read."""
    unique = list(dict.fromkeys(scopes))
    try:
        return {permission.scope: permission for permission in cards.permissions(unique)}
    except authlete.AuthleteError:
        return {scope: Permission(scope=scope, description=scope) for scope in unique}


def _change(
    event: AuditEvent, connected: dict[int, ConnectedApp] | None, words: dict[str, Permission]
) -> HistoryEntry:
    about_an_app = bool(event.client_id) and event.action in _ABOUT_ONE_APP
    app = connected.get(event.client_id) if about_an_app and connected is not None else None
    kept: tuple[Permission, ...] = ()
    removed: tuple[Permission, ...] = ()
    if event.action == AuditEvent.Action.NARROW and event.outcome == AuditEvent.Outcome.SUCCESS:
        kept = tuple(words[scope] for scope in event.scopes_after)
        removed = tuple(
            words[scope] for scope in event.scopes_before if scope not in event.scopes_after
        )
    return HistoryEntry(
        at=event.created_at,
        client_id=event.client_id,
        # An app still connected is named as the list names it, so its lines read as one app;
        # a gone one by the name the trail kept.
        name=app.name if app is not None else event.client_name,
        connected=app is not None if about_an_app and connected is not None else None,
        event=event,
        kept=kept,
        removed=removed,
    )
