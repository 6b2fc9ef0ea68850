"""A person's connected apps: list, look at one, narrow its permissions, disconnect it or all.

Nothing here trusts a client id until Authlete confirms that the subject holds tokens for it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from django.conf import settings

from connected_apps import authlete
from connected_apps.models import AuditEvent
from connected_apps.services import reads
from connected_apps.services.audit import Actor, audit_event_record
from connected_apps.services.errors import AppNotConnected, ScopeChangeRefused
from connected_apps.services.rules import kept_in_order, narrowing_problem
from connected_apps.services.types import AppDetail, AppPage, ConnectedApp, RevokeReport


def connected_app_list(*, subject: str, page: int = 1, query: str = "") -> AppPage:
    """One page of the subject's apps. A search reads the whole list and filters by name."""
    client = authlete.get_client()
    size = max(1, settings.PORTAL_PAGE_SIZE)
    query = query.strip()
    if query:
        summaries = reads.all_authorized_clients(subject)
        names = reads.fan_out(lambda s: reads.client_details(s.client_id), summaries)
        needle = query.casefold()
        matches = [
            s
            for s, d in zip(summaries, names, strict=True)
            if needle in reads.localized(d.name, d.names).casefold()
        ]
        total = len(matches)
        page, page_count = reads.clamp_page(page, total, size)
        chosen = matches[(page - 1) * size : page * size]
    else:
        listing = client.authorization_list(
            subject=subject, start=(page - 1) * size, end=page * size
        )
        total = listing.total_count
        wanted = page
        page, page_count = reads.clamp_page(page, total, size)
        if page != wanted:
            # The asked-for page was past the end (or before the start): show the nearest one.
            listing = client.authorization_list(
                subject=subject, start=(page - 1) * size, end=page * size
            )
        chosen = list(listing.clients)
    apps = reads.apps_for(subject, [summary.client_id for summary in chosen])
    return AppPage(
        apps=tuple(app for app in apps if app is not None),
        page=page,
        page_count=page_count,
        total_count=total,
        query=query,
    )


def connected_app_get(*, subject: str, client_id: int) -> ConnectedApp:
    """One of the subject's apps, or AppNotConnected."""
    (app,) = reads.apps_for(subject, [client_id])
    if app is None:
        raise AppNotConnected(client_id)
    return app


def connected_app_names(*, subject: str) -> list[str]:
    """The names of all the subject's apps, from the listing alone (for confirmations)."""
    return [reads.localized(s.name, s.names) for s in reads.all_authorized_clients(subject)]


def connected_app_detail(*, subject: str, client_id: int) -> AppDetail:
    details, tokens, granted = reads.fan_out(
        lambda call: call(),
        [
            lambda: reads.client_details_or_none(client_id),
            lambda: reads.all_tokens(subject, client_id),
            lambda: reads.granted_scopes(subject, client_id),
        ],
    )
    if details is None or not tokens:
        raise AppNotConnected(client_id)
    now = datetime.now(UTC)
    return AppDetail(
        app=reads.build_app(details, tokens),
        latest_granted=reads.permissions(granted.latest) if granted.latest is not None else None,
        merged_granted=reads.permissions(granted.merged) if granted.merged is not None else None,
        tokens=tuple(reads.token_summary(t, now) for t in tokens),
    )


def connected_app_narrow(
    *, subject: str, app: ConnectedApp, keep: Sequence[str], actor: Actor
) -> ConnectedApp:
    """Keep only ``keep`` of the app's scopes: a strict, non-empty subset, never a new scope.

    ``app`` must come from :func:`connected_app_get` for this subject in the same request, so the
    subset is checked against what Authlete holds now. Authlete's update rewrites the scopes of
    every token of the pair. The remembered consent is cleared as well, so the app has to ask
    again before it can regain what was removed.
    """
    record = _recorder(actor, subject, app, AuditEvent.Action.NARROW)
    if narrowing_problem(app.scopes, keep):
        record(outcome=AuditEvent.Outcome.REFUSED, scopes_after=keep)
        raise ScopeChangeRefused(app.client_id)
    kept = kept_in_order(app.scopes, keep)
    consent_note = ""
    try:
        consent_note = _forget_consent(subject, app.client_id)
        outcome = authlete.get_client().authorization_update(
            client_id=app.client_id, subject=subject, scopes=kept
        )
    except authlete.AuthleteError as exc:
        record(outcome=AuditEvent.Outcome.FAILED, scopes_after=kept, error=exc, note=consent_note)
        raise
    record(
        outcome=AuditEvent.Outcome.SUCCESS,
        scopes_after=kept,
        result_code=outcome.result_code,
        note=consent_note,
    )
    # Authlete confirmed the new scopes; the card shows them without asking again.
    return replace(app, permissions=tuple(p for p in app.permissions if p.scope in kept))


def connected_app_revoke(*, subject: str, app: ConnectedApp, actor: Actor) -> None:
    """End the app's access: every token of the pair and the remembered consent.

    ``app`` must come from :func:`connected_app_get` for this subject in the same request.
    """
    result = _revoke_upstream(subject, app)
    _audit_revoke(subject, result, actor)
    if result.error:
        raise result.error


def connected_app_revoke_all(*, subject: str, actor: Actor) -> RevokeReport:
    """Revoke every app of the subject, at once, and say exactly which succeeded."""
    summaries = reads.all_authorized_clients(subject)
    apps = [app for app in reads.apps_for(subject, [s.client_id for s in summaries]) if app]
    results = reads.fan_out(lambda app: _revoke_upstream(subject, app), apps)
    # Audit rows are written here, on the request's own thread and database connection.
    for result in results:
        _audit_revoke(subject, result, actor)
    return RevokeReport(
        revoked=tuple(r.app for r in results if r.error is None),
        failed=tuple(r.app for r in results if r.error is not None),
    )


@dataclass(frozen=True, slots=True)
class _RevokeResult:
    app: ConnectedApp
    outcome: authlete.ResultOutcome | None
    error: authlete.AuthleteError | None
    consent_note: str


def _revoke_upstream(subject: str, app: ConnectedApp) -> _RevokeResult:
    """The Authlete side of a revoke; safe to run on the pool (it touches no database)."""
    consent_note = ""
    try:
        consent_note = _forget_consent(subject, app.client_id)
        outcome = authlete.get_client().authorization_delete(
            client_id=app.client_id, subject=subject
        )
    except authlete.AuthleteError as exc:
        return _RevokeResult(app, None, exc, consent_note)
    return _RevokeResult(app, outcome, None, consent_note)


def _audit_revoke(subject: str, result: _RevokeResult, actor: Actor) -> None:
    record = _recorder(actor, subject, result.app, AuditEvent.Action.REVOKE)
    record(
        outcome=AuditEvent.Outcome.FAILED if result.error else AuditEvent.Outcome.SUCCESS,
        error=result.error,
        result_code=result.outcome.result_code if result.outcome else "",
        note=result.consent_note,
    )


def _recorder(actor: Actor, subject: str, app: ConnectedApp, action: str) -> Callable[..., object]:
    """The audit writer with who, whose, which app and its scopes before already filled in."""
    return functools.partial(
        audit_event_record,
        actor=actor,
        subject=subject,
        client_id=app.client_id,
        client_name=app.name,
        action=action,
        scopes_before=app.scopes,
    )


def _forget_consent(subject: str, client_id: int) -> str:
    """Clear the remembered consent so the app must ask again; say if Authlete would not.

    This runs before the token change: if the token change then fails, the person can simply
    try again, and a consent cleared early only means one more consent screen.
    Authlete rejects the call on services without the granted-scopes feature; access still
    ends with the tokens, so that is noted in the audit rather than treated as a failure.
    """
    try:
        authlete.get_client().granted_scopes_delete(client_id=client_id, subject=subject)
    except authlete.AuthleteRejected as exc:
        return f"Remembered consent not cleared ({exc.result_code or exc.status})."
    return ""
