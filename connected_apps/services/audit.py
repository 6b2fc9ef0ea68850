"""The audit trail: who acted, for whom, on which app, and what Authlete answered.

Every attempted change is written here, by one writer, whatever its outcome.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from connected_apps import authlete
from connected_apps.models import AuditEvent

# Long values are cut so one odd request cannot bloat the trail.
_MAX_SCOPES = 100
_MAX_SCOPE_LENGTH = 200


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asked for a change, from where; staff acting for someone give a reason."""

    user: object
    ip_address: str | None = None
    user_agent: str = ""
    on_behalf: bool = False
    reason: str = ""


def audit_event_record(
    *,
    actor: Actor,
    subject: str,
    client_id: int,
    client_name: str,
    action: str,
    outcome: str,
    scopes_before: Iterable[str] = (),
    scopes_after: Iterable[str] = (),
    token_hash: str = "",
    values_before: dict[str, Any] | None = None,
    values_after: dict[str, Any] | None = None,
    error: authlete.AuthleteError | None = None,
    result_code: str = "",
    note: str = "",
) -> AuditEvent:
    """Append one row. ``error`` (when Authlete failed) supplies the result code and reason."""
    user = actor.user if getattr(actor.user, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=user,
        actor_username=getattr(user, "username", "") or "",
        on_behalf=actor.on_behalf,
        reason=actor.reason,
        ip_address=actor.ip_address,
        user_agent=actor.user_agent[:512],
        subject=subject,
        client_id=client_id,
        client_name=client_name[:255],
        action=action,
        token_hash=token_hash[:128],
        scopes_before=list(scopes_before),
        scopes_after=[str(s)[:_MAX_SCOPE_LENGTH] for s in scopes_after][:_MAX_SCOPES],
        values_before=values_before or {},
        values_after=values_after or {},
        outcome=outcome,
        result_code=(error.result_code if error and error.result_code else result_code) or "",
        detail=" ".join(filter(None, [f"{error.reason}: {error}" if error else "", note])),
    )


def outcome_of(error: authlete.AuthleteError) -> str:
    """Only an error answer proves Authlete did nothing; silence or a garbled answer proves
    nothing, so that outcome is unknown."""
    refused = error.never_sent or (error.status is not None and error.status >= 400)
    return AuditEvent.Outcome.FAILED if refused else AuditEvent.Outcome.UNKNOWN


def unsettled_events(*, subject: str, limit: int = 20) -> list[AuditEvent]:
    """The subject's changes whose outcome is still unknown, oldest first."""
    return list(
        AuditEvent.objects.filter(
            subject=subject, outcome=AuditEvent.Outcome.UNKNOWN, settled_by__isnull=True
        ).order_by("created_at", "id")[:limit]
    )


def audit_event_settle(event: AuditEvent, *, done: bool) -> AuditEvent:
    """Record what a later read of the app showed about an unknown outcome."""
    return AuditEvent.objects.create(
        actor=event.actor,
        actor_username=event.actor_username,
        on_behalf=event.on_behalf,
        reason=event.reason,
        subject=event.subject,
        client_id=event.client_id,
        client_name=event.client_name,
        action=event.action,
        token_hash=event.token_hash,
        scopes_before=event.scopes_before,
        scopes_after=event.scopes_after,
        values_before=event.values_before,
        values_after=event.values_after,
        outcome=AuditEvent.Outcome.SUCCESS if done else AuditEvent.Outcome.FAILED,
        detail="Later confirmed: done." if done else "Later confirmed: not done.",
        settles=event,
    )


def audit_event_list(*, subject: str, limit: int = 50) -> list[AuditEvent]:
    """What was done to the subject's apps, newest first; refused attempts changed nothing."""
    return list(
        AuditEvent.objects.filter(subject=subject)
        .exclude(outcome=AuditEvent.Outcome.REFUSED)
        .select_related("actor")[:limit]
    )
