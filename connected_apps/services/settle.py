"""Settling unknown outcomes: the next read of an app tells whether a lost change happened."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from connected_apps import authlete
from connected_apps.models import AuditEvent
from connected_apps.services import reads
from connected_apps.services.audit import audit_event_settle, unsettled_events
from connected_apps.services.errors import TokensUnreadable
from connected_apps.services.locks import longest_change_seconds
from connected_apps.services.rules import holds_any


def settle_unknown(*, subject: str) -> None:
    """Read the apps whose last change could not be confirmed, and record what they hold.

    Cheap when nothing is unsettled (one database query); an Authlete failure leaves the events
    for another read.
    """
    events = unsettled_events(subject=subject)
    if not events:
        return
    client_ids = sorted({event.client_id for event in events})
    try:
        held = reads.fan_out(lambda cid: reads.all_tokens(subject, cid), client_ids)
    except TokensUnreadable:
        _settle_by_listing(subject, events)
        return
    except authlete.AuthleteError:
        return
    tokens_of = dict(zip(client_ids, held, strict=True))
    for event in events:
        done = _done(event, tokens_of[event.client_id])
        if done or (done is False and _could_not_land_anymore(event)):
            audit_event_settle(event, done=done)


def _could_not_land_anymore(event: AuditEvent) -> bool:
    """Seeing a change done is conclusive at once; seeing it not done only once a write that
    timed out can no longer be carried out late (Authlete may still be working on it)."""
    started = event.settles.created_at if event.settles_id else event.created_at
    return timezone.now() - started > timedelta(seconds=longest_change_seconds())


def _settle_by_listing(subject: str, events: list[AuditEvent]) -> None:
    """Without the token list only a disconnect can be told: is the app still listed?"""
    try:
        listed = {s.client_id for s in reads.all_authorized_clients(subject)}
    except authlete.AuthleteError:
        return
    for event in events:
        if event.action != AuditEvent.Action.REVOKE:
            continue
        done = event.client_id not in listed
        if done or _could_not_land_anymore(event):
            audit_event_settle(event, done=done)


def _done(event: AuditEvent, tokens: list[authlete.TokenInfo]) -> bool | None:
    """Whether Authlete now holds what the change asked for; None when a read cannot tell."""
    if event.action == AuditEvent.Action.REVOKE:
        return not tokens
    if event.action == AuditEvent.Action.NARROW:
        removed = set(event.scopes_before) - set(event.scopes_after)
        return not any(
            holds_any(t.scopes, removed) or holds_any(t.refresh_token_scopes, removed)
            for t in tokens
        )
    token = next((t for t in tokens if t.access_token_hash == event.token_hash), None)
    if event.action == AuditEvent.Action.TOKEN_DELETE:
        return token is None
    if event.action == AuditEvent.Action.TOKEN_NARROW and token is not None:
        return set(token.scopes) <= set(event.scopes_after)
    return None
