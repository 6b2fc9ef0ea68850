"""Disconnecting apps: one, some or all of a person's at once, each confirmed by reading back.

Disconnecting ends every token of the pair (access and refresh) and clears the remembered
consent; "done" is said only once Authlete no longer lists the app's tokens.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection
from dataclasses import dataclass

from connected_apps import authlete
from connected_apps.models import AuditEvent
from connected_apps.services import reads
from connected_apps.services.apps import (
    connected_app_get,
    connected_app_selection,
    forget_consent,
)
from connected_apps.services.audit import Actor, audit_attempt, audit_complete, outcome_of
from connected_apps.services.errors import ChangeNotConfirmed, OutcomeUnknown, TokensUnreadable
from connected_apps.services.locks import app_lock
from connected_apps.services.types import ConnectedApp, RevokeReport


def connected_app_revoke(*, subject: str, client_id: int, actor: Actor) -> ConnectedApp:
    """End the app's access, checked against a fresh read; returns the app as it was."""
    with app_lock(subject, client_id):
        app = connected_app_get(subject=subject, client_id=client_id)
        attempt = _attempt(subject, app, actor)
        result = _revoke_upstream(subject, app)
        if result.error is None:
            result = _confirm(subject, result)
    _complete(attempt, result)
    if result.outcome == AuditEvent.Outcome.UNKNOWN:
        raise OutcomeUnknown(client_id) from result.error
    if result.error is not None:
        raise result.error
    if result.outcome != AuditEvent.Outcome.SUCCESS:
        raise ChangeNotConfirmed(client_id)
    return app


def connected_app_revoke_all(*, subject: str, actor: Actor) -> RevokeReport:
    """Disconnect every app of the subject at once, and say exactly which are gone."""
    summaries = reads.all_authorized_clients(subject)
    apps = [app for app in reads.apps_for(subject, summaries) if app]
    return _revoke_together(subject, apps, actor)


def connected_app_revoke_chosen(
    *, subject: str, client_ids: Collection[int], actor: Actor
) -> RevokeReport:
    """Disconnect the apps the person chose, together, and say exactly which are gone.

    Every chosen id must be one of the subject's apps, read afresh under each app's lock;
    otherwise AppsNotConnected is raised and nothing is sent. The locks are taken in client id
    order, so two such changes overlapping on some apps cannot wait for each other forever.
    """
    with contextlib.ExitStack() as locks:
        for client_id in sorted(set(client_ids)):
            locks.enter_context(app_lock(subject, client_id))
        apps = connected_app_selection(subject=subject, client_ids=client_ids)
        return _revoke_together(subject, apps, actor)


def _revoke_together(subject: str, apps: list[ConnectedApp], actor: Actor) -> RevokeReport:
    """Revoke these apps at once, each audited, and confirm them all with one listing."""
    # Audit rows are written here, on the request's own thread and database connection:
    # every attempt before anything is sent, every outcome once all have answered.
    attempts = [_attempt(subject, app, actor) for app in apps]
    results = reads.fan_out(lambda app: _revoke_upstream(subject, app), apps)
    results = _confirm_all(subject, results)
    for attempt, result in zip(attempts, results, strict=True):
        _complete(attempt, result)

    def apps_with(outcome: str) -> tuple[ConnectedApp, ...]:
        return tuple(r.app for r in results if r.outcome == outcome)

    return RevokeReport(
        revoked=apps_with(AuditEvent.Outcome.SUCCESS),
        failed=apps_with(AuditEvent.Outcome.FAILED),
        unknown=apps_with(AuditEvent.Outcome.UNKNOWN),
    )


@dataclass(frozen=True, slots=True)
class _Revoked:
    app: ConnectedApp
    outcome: str
    result_code: str = ""
    error: authlete.AuthleteError | None = None
    note: str = ""


def _revoke_upstream(subject: str, app: ConnectedApp) -> _Revoked:
    """The Authlete side of a revoke; safe to run on the pool (it touches no database)."""
    note = ""
    try:
        note = forget_consent(subject, app.client_id)
        done = authlete.get_client().authorization_delete(client_id=app.client_id, subject=subject)
    except authlete.AuthleteError as exc:
        return _Revoked(app, outcome_of(exc), error=exc, note=note)
    return _Revoked(app, AuditEvent.Outcome.SUCCESS, result_code=done.result_code, note=note)


def _confirm(subject: str, result: _Revoked) -> _Revoked:
    """Read the app's tokens back: none may be left (without the token list: not listed)."""
    try:
        try:
            left = reads.all_tokens(subject, result.app.client_id)
        except TokensUnreadable:
            left = reads.listed_client(subject, result.app.client_id)
    except authlete.AuthleteError as exc:
        return _with(result, AuditEvent.Outcome.UNKNOWN, exc, "Could not read the app back.")
    if left:
        return _with(result, AuditEvent.Outcome.FAILED, None, "Authlete still lists its tokens.")
    return result


def _confirm_all(subject: str, results: list[_Revoked]) -> list[_Revoked]:
    """One listing confirms them all: an app still listed still holds a token."""
    if not any(r.error is None for r in results):
        return results
    try:
        listed = {s.client_id for s in reads.all_authorized_clients(subject)}
    except authlete.AuthleteError as exc:
        return [
            r if r.error else _with(r, AuditEvent.Outcome.UNKNOWN, exc, "Could not read back.")
            for r in results
        ]
    return [
        _with(r, AuditEvent.Outcome.FAILED, None, "Authlete still lists its tokens.")
        if r.error is None and r.app.client_id in listed
        else r
        for r in results
    ]


def _with(
    result: _Revoked, outcome: str, error: authlete.AuthleteError | None, note: str
) -> _Revoked:
    notes = " ".join(filter(None, [result.note, note]))
    return _Revoked(result.app, outcome, result.result_code, error or result.error, notes)


def _attempt(subject: str, app: ConnectedApp, actor: Actor) -> AuditEvent:
    return audit_attempt(
        actor=actor,
        subject=subject,
        client_id=app.client_id,
        client_name=app.record_name,
        action=AuditEvent.Action.REVOKE,
        scopes_before=app.scopes,
    )


def _complete(attempt: AuditEvent, result: _Revoked) -> None:
    audit_complete(
        attempt,
        outcome=result.outcome,
        error=result.error,
        result_code=result.result_code,
        note=result.note,
    )
