"""The audit trail: who acted, for whom, on which app, and what Authlete answered.

Every change is written ahead: an *attempt* row (outcome "unknown") before anything is sent to
Authlete, then a row that *completes* it once Authlete answered. A worker killed mid-change or
a database blip after the change can then never leave a change without its record: the open
attempt reads as "could not be confirmed" until a later read of the app settles it.

The trail stays append-only: completing or settling writes a new row pointing at the row it
settles (``settles``), never an update. A chain of rows tells the whole story; its last row
(the one nothing settles) is what the change came to.

Attempts refused before any use case ran (an app that is not yours, an invalid form, too many
changes, a missing reason, a registration token Authlete rejects) are recorded too, but at most
``PORTAL_AUDIT_REFUSALS_PER_MINUTE`` a minute for each person, or each address when nobody is
signed in: the first one over says that more followed, and the rest of that minute's are not
recorded one by one. A script hammering the portal then cannot flood the trail.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.forms.models import model_to_dict
from django.utils import timezone

from connected_apps import authlete
from connected_apps.models import AuditEvent
from connected_apps.services.errors import AuditUnavailable
from connected_apps.services.limits import minute_count
from connected_apps.services.locks import longest_change_seconds
from connected_apps.services.names import display_name

logger = logging.getLogger(__name__)

# Long values are cut so one odd request cannot bloat the trail.
_MAX_SCOPES = 100
_MAX_SCOPE_LENGTH = 200
_STARTED = "Sent to Authlete; not confirmed yet."
_BIGGEST_ID = 2**63


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
    refusal: str = "",
    settles: AuditEvent | None = None,
) -> AuditEvent:
    """Append one row. ``error`` (when Authlete failed) supplies the result code and reason."""
    user = actor.user if getattr(actor.user, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=user,
        actor_username=getattr(user, "username", "") or "",
        on_behalf=actor.on_behalf,
        reason=storable(actor.reason),
        ip_address=actor.ip_address,
        user_agent=storable(actor.user_agent[:512]),
        subject=storable(subject[:255]),
        client_id=client_id,
        # The trail names the app as pages show it: cleaned of hidden characters, of bounded length.
        # A row about no app at all (an account's mapping) stays without a name.
        client_name=display_name(client_name, client_id) if client_name or client_id else "",
        action=action,
        token_hash=storable(token_hash[:128]),
        scopes_before=list(scopes_before),
        scopes_after=[storable(str(s)[:_MAX_SCOPE_LENGTH]) for s in scopes_after][:_MAX_SCOPES],
        values_before=values_before or {},
        values_after=values_after or {},
        outcome=outcome,
        refusal=refusal,
        result_code=(error.result_code if error and error.result_code else result_code) or "",
        detail=storable(
            " ".join(filter(None, [f"{error.reason}: {error}" if error else "", note]))
        ),
        settles=settles,
    )


def storable(text: str) -> str:
    """Text as the database can keep it: PostgreSQL refuses NUL characters in text and JSON,
    and a refused attempt may be made of anything."""
    return text.replace("\x00", "\ufffd")


def audit_refusal(
    *,
    actor: Actor,
    action: str,
    refusal: str,
    subject: str = "",
    client_id: int = 0,
    client_name: str = "",
    **fields: Any,
) -> AuditEvent | None:
    """Record an attempt refused before anything was sent, within the per-minute cap.

    Never raises for the database: the refusal is answered all the same, and logged.
    """
    limit = settings.PORTAL_AUDIT_REFUSALS_PER_MINUTE
    seen = minute_count(f"audit-refusals:{_who(actor)}") if limit > 0 else 0
    if seen > limit + 1:
        return None
    if seen == limit + 1:
        logger.warning("audit: more than %s refused attempts a minute from %s", limit, _who(actor))
        action = AuditEvent.Action.UNRECORDED
        fields["note"] = (
            f"More than {limit} refused attempts within one minute: the rest of this minute's "
            "are not recorded one by one."
        )
    try:
        # A savepoint: a row that cannot be written leaves the request's transaction usable.
        with transaction.atomic():
            return audit_event_record(
                actor=actor,
                subject=subject,
                # A made-up id may not fit the column; the request itself is in the note.
                client_id=client_id if 0 <= client_id < _BIGGEST_ID else 0,
                client_name=client_name,
                action=action,
                outcome=AuditEvent.Outcome.REFUSED,
                refusal=refusal,
                **fields,
            )
    except DatabaseError:
        logger.exception("audit: could not record a refused %s", action)
        return None


def _who(actor: Actor) -> str:
    """Whose refusals are counted together: the person's, or the address's when signed out."""
    user = actor.user if getattr(actor.user, "is_authenticated", False) else None
    return f"user:{user.pk}" if user is not None else f"address:{actor.ip_address or 'unknown'}"


def audit_attempt(**fields: Any) -> AuditEvent:
    """Record a change about to be sent, before anything reaches Authlete.

    Raises AuditUnavailable when the row cannot be written: then nothing is sent either.
    """
    try:
        attempt = audit_event_record(outcome=AuditEvent.Outcome.UNKNOWN, note=_STARTED, **fields)
    except DatabaseError as exc:
        raise AuditUnavailable from exc
    _settle_later(attempt)
    return attempt


def _settle_later(attempt: AuditEvent) -> None:
    """Queue the read that settles this attempt if nothing completes it (a killed worker)."""
    # Imported here: the task module builds on these services, not the other way round.
    from connected_apps.tasks import settle_open_attempt

    due = attempt.created_at + timedelta(seconds=longest_change_seconds(), microseconds=1)
    try:
        settle_open_attempt.using(run_after=due).enqueue(attempt_id=attempt.pk)
    except DatabaseError:
        # The attempt is on record; the person's next visit settles it as well.
        logger.exception("audit: could not queue the settling of attempt %s", attempt.pk)


def audit_complete(attempt: AuditEvent, *, outcome: str, **fields: Any) -> AuditEvent | None:
    """Record how an attempt ended, as a row that settles it.

    A database failure here is logged and swallowed: the change has happened (or not) in
    Authlete either way, the open attempt keeps it on record, and a later read settles it.
    """
    if outcome == AuditEvent.Outcome.UNKNOWN and not fields.get("error"):
        return None  # nothing new to say: the attempt already reads "could not be confirmed"
    try:
        return _follow(attempt, outcome=outcome, **fields)
    except DatabaseError:
        logger.exception(
            "audit: could not complete attempt %s; a later read settles it", attempt.pk
        )
        return None


def _follow(event: AuditEvent, **overrides: Any) -> AuditEvent:
    """A new row for the same change as ``event``, settling it, with some fields changed."""
    same = model_to_dict(
        event,
        fields=[
            "actor_username",
            "on_behalf",
            "reason",
            "ip_address",
            "user_agent",
            "subject",
            "client_id",
            "client_name",
            "action",
            "token_hash",
            "scopes_before",
            "scopes_after",
            "values_before",
            "values_after",
        ],
    )
    error = overrides.pop("error", None)
    note = overrides.pop("note", "")
    result_code = overrides.pop("result_code", "")
    row = AuditEvent.objects.create(
        **{**same, **overrides},
        actor=event.actor,
        settles=event,
        result_code=(error.result_code if error and error.result_code else result_code) or "",
        detail=" ".join(filter(None, [f"{error.reason}: {error}" if error else "", note])),
    )
    # Every completed or settled change passes here: the one place that tells the person.
    # Imported here: the notifications build on these services, not the other way round.
    from connected_apps.notifications.changes import change_confirmed

    change_confirmed(row)
    return row


def outcome_of(error: authlete.AuthleteError) -> str:
    """Only an error answer proves Authlete did nothing; silence or a garbled answer proves
    nothing, so that outcome is unknown."""
    refused = error.never_sent or (error.status is not None and error.status >= 400)
    return AuditEvent.Outcome.FAILED if refused else AuditEvent.Outcome.UNKNOWN


def unsettled_events(*, subject: str, limit: int = 20) -> list[AuditEvent]:
    """The subject's changes whose outcome is still unknown, oldest first.

    An attempt nothing completed yet may still be running in another worker: it counts only
    once every lock it could hold has expired.
    """
    running_until = timezone.now() - timedelta(seconds=longest_change_seconds())
    leaves = AuditEvent.objects.filter(
        subject=subject, outcome=AuditEvent.Outcome.UNKNOWN, settled_by__isnull=True
    )
    finished = leaves.filter(settles__isnull=False) | leaves.filter(created_at__lt=running_until)
    return list(finished.select_related("settles").order_by("created_at", "id")[:limit])


def audit_event_settle(event: AuditEvent, *, done: bool) -> AuditEvent:
    """Record what a later read of the app showed about an unknown outcome."""
    return _follow(
        event,
        outcome=AuditEvent.Outcome.SUCCESS if done else AuditEvent.Outcome.FAILED,
        note="Later confirmed: done." if done else "Later confirmed: not done.",
        confirmed_later=True,
    )


def audit_event_list(*, subject: str, limit: int = 50) -> list[AuditEvent]:
    """What each change to the subject's apps came to (the last row of its chain), newest
    first, refused attempts included: a person sees what was tried on their account."""
    return list(
        AuditEvent.objects.outcomes().filter(subject=subject).select_related("actor")[:limit]
    )
