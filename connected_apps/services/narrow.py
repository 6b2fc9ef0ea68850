"""Narrowing an app: take some permissions back and leave every token only ever narrower.

Authlete's pair-wide update sets the given scopes on every access token of the app, so it is
used only when all tokens hold the same scopes; otherwise each token is updated to its own
scopes minus the removed ones, and a token left with nothing is ended. Afterwards Authlete is
read back: a token whose refresh token still holds a removed scope is ended too (the app could
regain the scope at its next refresh), and "done" is said only when the read confirms it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from connected_apps import authlete
from connected_apps.models import AuditEvent
from connected_apps.services import cards, reads
from connected_apps.services.apps import connected_app_get, forget_consent
from connected_apps.services.audit import (
    Actor,
    audit_attempt,
    audit_complete,
    audit_event_record,
    outcome_of,
)
from connected_apps.services.errors import (
    AppNotConnected,
    ChangeNotConfirmed,
    NarrowingUnavailable,
    OutcomeUnknown,
    ScopeChangeRefused,
    TokensUnreadable,
)
from connected_apps.services.locks import app_lock
from connected_apps.services.rules import (
    holds_any,
    kept_in_order,
    narrowed_token_scopes,
    narrowing_problem,
    token_ref,
)
from connected_apps.services.types import ConnectedApp, NarrowResult


def connected_app_narrow(
    *, subject: str, client_id: int, keep: Sequence[str], actor: Actor
) -> NarrowResult:
    """Keep only ``keep`` of the app's permissions: a strict, non-empty subset of what it holds
    now, checked against a fresh read while no other change to this app can run."""
    with app_lock(subject, client_id):
        try:
            tokens, listed = reads.tokens_and_client(subject, client_id)
        except TokensUnreadable:
            _refuse_blind(subject, client_id, keep, actor)
        if not tokens:
            raise AppNotConnected(client_id)
        details = reads.client_display(client_id, listed)
        app = cards.build_app(details, tokens)
        record = _Recorder(actor, subject, app, keep)
        if narrowing_problem(app.scopes, keep):
            record.write(AuditEvent.Outcome.REFUSED)
            raise ScopeChangeRefused(client_id)
        removed = set(app.scopes) - set(keep)
        record.before = {token_ref(t.access_token_hash): list(t.scopes) for t in tokens}
        record.begin()
        try:
            record.note = forget_consent(subject, client_id)
        except authlete.AuthleteError as exc:
            record.fail(exc, partial=False)
        _write(subject, client_id, tokens, removed, record)
        ended, tokens_now = _verify(subject, client_id, removed, record)
        record.write(AuditEvent.Outcome.SUCCESS, ended=ended)
        if not tokens_now:
            return NarrowResult(app=None, ended_tokens=ended)
        return NarrowResult(app=cards.build_app(details, tokens_now), ended_tokens=ended)


def _refuse_blind(subject: str, client_id: int, keep: Sequence[str], actor: Actor) -> NoReturn:
    """Without the token list no narrowing can be checked or verified: refuse, never send."""
    app = connected_app_get(subject=subject, client_id=client_id)
    _Recorder(actor, subject, app, keep).write(
        AuditEvent.Outcome.REFUSED,
        detail="This service does not let the portal read tokens; nothing was sent.",
    )
    raise NarrowingUnavailable(client_id)


class _Recorder:
    """The audit row of one narrowing, filled in as it goes: each token's scopes before and
    after, so the trail shows that none of them widened."""

    def __init__(self, actor: Actor, subject: str, app: ConnectedApp, keep: Sequence[str]):
        self.actor, self.subject, self.app = actor, subject, app
        self.kept = kept_in_order(app.scopes, keep) or list(keep)
        self.before: dict[str, list[str]] = {}
        self.after: dict[str, list[str]] = {}
        self.note = ""
        self.result_code = ""
        self.attempt: AuditEvent | None = None

    def begin(self) -> None:
        """Record the attempt before anything is sent (raises AuditUnavailable if it cannot)."""
        self.attempt = audit_attempt(**self._fields(), values_before={"tokens": self.before})

    def _fields(self) -> dict[str, Any]:
        return {
            "actor": self.actor,
            "subject": self.subject,
            "client_id": self.app.client_id,
            "client_name": self.app.record_name,
            "action": AuditEvent.Action.NARROW,
            "scopes_before": self.app.scopes,
            "scopes_after": self.kept,
        }

    def write(
        self,
        outcome: str,
        *,
        error: authlete.AuthleteError | None = None,
        ended: int = 0,
        detail: str = "",
    ) -> None:
        result = {
            "outcome": outcome,
            "values_after": {"tokens": self.after, "ended_tokens": ended},
            "error": error,
            "result_code": self.result_code,
            "note": " ".join(filter(None, [self.note, detail])),
        }
        if self.attempt is None:  # refused before anything was to be sent
            audit_event_record(**self._fields(), values_before={"tokens": self.before}, **result)
        else:
            audit_complete(self.attempt, **result)

    def fail(self, error: authlete.AuthleteError, *, partial: bool) -> NoReturn:
        """Record a write Authlete did not complete, and raise what the person is told."""
        outcome = AuditEvent.Outcome.UNKNOWN if partial else outcome_of(error)
        self.write(outcome, error=error)
        if outcome == AuditEvent.Outcome.UNKNOWN:
            raise OutcomeUnknown(self.app.client_id) from error
        raise error


def _write(
    subject: str,
    client_id: int,
    tokens: list[authlete.TokenInfo],
    removed: set[str],
    record: _Recorder,
) -> None:
    client = authlete.get_client()
    affected = [
        t
        for t in tokens
        if holds_any(t.scopes, removed) or holds_any(t.refresh_token_scopes, removed)
    ]
    plans = {t.access_token_hash: narrowed_token_scopes(t.scopes, removed) for t in affected}
    record.after = {token_ref(h): list(scopes) for h, scopes in plans.items()}
    same = {tuple(sorted(t.scopes)) for t in tokens}
    try:
        if len(same) == 1 and len(plans) == len(tokens) and all(plans.values()):
            # Every token holds the same scopes: one pair-wide update narrows them alike.
            (kept,) = set(plans.values())
            outcome = client.authorization_update(client_id=client_id, subject=subject, scopes=kept)
            record.result_code = outcome.result_code
            return
    except authlete.AuthleteError as exc:
        record.fail(exc, partial=False)
    # Updates at once, then endings at once: a failed update ends nothing.
    updates = [(h, kept) for h, kept in plans.items() if kept]
    endings = [h for h, kept in plans.items() if not kept]
    done = 0
    for wave in (
        [lambda h=h, kept=kept: _update(h, kept, record) for h, kept in updates],
        [lambda h=h: _end(h) for h in endings],
    ):
        errors = [e for e in reads.fan_out(_attempt, wave) if e is not None]
        if errors:
            record.fail(errors[0], partial=done + len(wave) - len(errors) > 0)
        done += len(wave)


def _attempt(call: Callable[[], None]) -> authlete.AuthleteError | None:
    """Run one write of a wave; its error as a value, so the others still finish."""
    try:
        call()
    except authlete.AuthleteError as exc:
        return exc
    return None


def _update(access_token_hash: str, kept: tuple[str, ...], record: _Recorder) -> None:
    result = authlete.get_client().token_update(access_token_hash=access_token_hash, scopes=kept)
    if result.action != "OK":
        # Only OK means Authlete changed the token; every other action changed nothing.
        raise authlete.AuthleteRejected(
            f"Authlete answered {result.action}.",
            operation="token_update",
            status=400,
            result_code=result.result_code,
        )
    record.result_code = result.result_code


def _verify(
    subject: str, client_id: int, removed: set[str], record: _Recorder
) -> tuple[int, list[authlete.TokenInfo]]:
    """Read back every token; end those whose refresh token keeps a removed scope. Returns how
    many tokens ended (those left with nothing included) and the tokens Authlete holds now."""
    ended = sum(1 for kept in record.after.values() if not kept)
    tokens = _tokens_now(subject, client_id, record)
    if any(holds_any(t.scopes, removed) for t in tokens):
        record.write(AuditEvent.Outcome.FAILED, detail="Authlete still lists a removed scope.")
        raise ChangeNotConfirmed(client_id)
    still_refreshable = [t for t in tokens if holds_any(t.refresh_token_scopes, removed)]
    wave = [lambda h=t.access_token_hash: _end(h) for t in still_refreshable]
    errors = [e for e in reads.fan_out(_attempt, wave) if e is not None]
    if errors:
        record.fail(errors[0], partial=True)
    for token in still_refreshable:
        record.after[token_ref(token.access_token_hash)] = []
    if still_refreshable:
        tokens = _tokens_now(subject, client_id, record)
        if any(holds_any(t.refresh_token_scopes, removed) for t in tokens):
            record.write(AuditEvent.Outcome.FAILED, detail="A refresh token kept a removed scope.")
            raise ChangeNotConfirmed(client_id)
        record.note = " ".join(
            filter(None, [record.note, "Tokens whose refresh token kept a removed scope ended."])
        )
    return ended + len(still_refreshable), tokens


def _tokens_now(subject: str, client_id: int, record: _Recorder) -> list[authlete.TokenInfo]:
    try:
        return reads.all_tokens(subject, client_id)
    except authlete.AuthleteError as exc:
        record.fail(exc, partial=True)


def _end(access_token_hash: str) -> None:
    try:
        authlete.get_client().token_delete(token_identifier=access_token_hash)
    except authlete.AuthleteRejected as exc:
        # Already gone (it expired, or was ended meanwhile): ending it is then done.
        if not reads.is_unknown_id(exc):
            raise
