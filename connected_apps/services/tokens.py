"""One token at a time: staff narrow, move the expiry of, or label a token; anyone ends their own.

Each change is checked against a fresh token list and written to the audit with the values
before and after.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NoReturn

from connected_apps import authlete
from connected_apps.models import AuditEvent
from connected_apps.services import cards, names, reads
from connected_apps.services.apps import connected_app_detail
from connected_apps.services.audit import (
    Actor,
    audit_attempt,
    audit_complete,
    audit_event_record,
    outcome_of,
)
from connected_apps.services.errors import (
    AppNotConnected,
    OutcomeUnknown,
    TokenChangeRefused,
    TokenNotFound,
    TokensUnreadable,
    TokenUpdateFailed,
)
from connected_apps.services.rules import (
    TOKEN_REF_LENGTH,
    holds_any,
    kept_in_order,
    narrowing_problem,
    token_expiry_allowed,
)
from connected_apps.services.types import OwnedToken, TokenEnded


def token_list(*, subject: str, client_ids: Sequence[int]) -> dict[int, list[authlete.TokenInfo]]:
    """The subject's tokens of each client, fetched at once; none where tokens are unreadable."""
    try:
        lists = reads.fan_out(lambda cid: reads.all_tokens(subject, cid), client_ids)
    except TokensUnreadable:
        return {cid: [] for cid in client_ids}
    return dict(zip(client_ids, lists, strict=True))


def token_get(*, subject: str, client_id: int, token_hash: str) -> OwnedToken:
    """The subject's token for the client with this hash, checked against a fresh list.

    A unique prefix of at least TOKEN_REF_LENGTH characters names a token as well as its hash.
    """
    try:
        details, tokens = reads.fan_out(
            lambda call: call(),
            [
                lambda: reads.client_details_or_none(client_id),
                lambda: reads.all_tokens(subject, client_id),
            ],
        )
    except TokensUnreadable:
        # No token can be shown to be this person's: the same answer as an unknown one.
        raise TokenNotFound(token_hash) from None
    exact = [t for t in tokens if token_hash and t.access_token_hash == token_hash]
    prefixed = [
        t
        for t in tokens
        if len(token_hash) >= TOKEN_REF_LENGTH and t.access_token_hash.startswith(token_hash)
    ]
    found = exact or prefixed
    if len(found) != 1:
        raise TokenNotFound(token_hash)
    name = cards.localized(details.name, details.names) if details else ""
    return OwnedToken(
        client_id=client_id,
        app_name=names.display_name(name, client_id),
        record_name=names.display_name(details.name if details else "", client_id),
        token=found[0],
    )


def token_narrow(*, subject: str, owned: OwnedToken, keep: Sequence[str], actor: Actor) -> bool:
    """Keep only ``keep`` of one token's scopes: a strict, non-empty subset of what it holds.

    The token is read back: if its refresh token still holds a removed scope (Authlete may
    leave refresh scopes as issued), the app could regain it at its next refresh, so the token
    is ended. Returns True when that happened.
    """
    held = owned.token.scopes
    before = {"scopes": list(held)}
    if narrowing_problem(held, keep):
        after = {"scopes": [str(s)[:200] for s in keep][:100]}
        _refuse(actor, subject, owned, AuditEvent.Action.TOKEN_NARROW, before, after)
    kept = kept_in_order(held, keep)
    _token_update(
        actor, subject, owned, AuditEvent.Action.TOKEN_NARROW, before, {"scopes": kept}, scopes=kept
    )
    removed = set(held) - set(kept)
    now = reads.all_tokens(subject, owned.client_id)
    token = next((t for t in now if t.access_token_hash == owned.token.access_token_hash), None)
    if token is None or not holds_any(token.refresh_token_scopes, removed):
        return False
    token_delete(subject=subject, owned=owned, actor=actor)
    return True


def token_expiry_set(
    *, subject: str, owned: OwnedToken, expires_at: datetime, actor: Actor
) -> authlete.TokenUpdateResult:
    """Move one token's expiry: earlier always, later only up to the configured lifetime."""
    token = owned.token
    current = token.access_token_expires_at
    before = {"expires_at": _iso(current)}
    after = {"expires_at": expires_at.isoformat()}
    if not token_expiry_allowed(current, token.created_at, expires_at):
        _refuse(actor, subject, owned, AuditEvent.Action.TOKEN_EXPIRY, before, after)
    return _token_update(
        actor, subject, owned, AuditEvent.Action.TOKEN_EXPIRY, before, after, expires_at=expires_at
    )


def token_properties_set(
    *,
    subject: str,
    owned: OwnedToken,
    properties: Sequence[authlete.TokenProperty],
    actor: Actor,
) -> authlete.TokenUpdateResult:
    """Replace one token's custom properties with ``properties`` (an empty list removes all)."""
    return _token_update(
        actor,
        subject,
        owned,
        AuditEvent.Action.TOKEN_PROPERTIES,
        {"properties": _audited_properties(owned.token.properties)},
        {"properties": _audited_properties(properties)},
        properties=list(properties),
    )


def token_delete(*, subject: str, owned: OwnedToken, actor: Actor) -> None:
    """End one token (and its refresh token) without touching the app's other tokens."""
    before = {
        "scopes": list(owned.token.scopes),
        "expires_at": _iso(owned.token.access_token_expires_at),
    }
    change = _Change(actor, subject, owned, AuditEvent.Action.TOKEN_DELETE, before, {})
    change.begin()
    note = ""
    try:
        authlete.get_client().token_delete(token_identifier=owned.token.access_token_hash)
    except authlete.AuthleteRejected as exc:
        if not reads.is_unknown_id(exc):
            change.fail(exc)
        # Gone between our check and the delete (it expired, or was ended elsewhere): the
        # person's wish holds, so this is not a failure.
        note = "Authlete no longer had this token."
    except authlete.AuthleteError as exc:
        change.fail(exc)
    change.record(note=note)


def token_end(*, subject: str, owned: OwnedToken, actor: Actor) -> TokenEnded:
    """End one token, then read the app again for the page.

    The token's end is confirmed by Authlete's answer; a failed read afterwards only leaves the
    page stale, never turns the change into a failure.
    """
    token_delete(subject=subject, owned=owned, actor=actor)
    try:
        detail = connected_app_detail(subject=subject, client_id=owned.client_id)
    except AppNotConnected:
        return TokenEnded(detail=None, app_left=False)
    except authlete.AuthleteError:
        return TokenEnded(detail=None, app_left=True)
    return TokenEnded(detail=detail, app_left=True)


def _token_update(
    actor: Actor,
    subject: str,
    owned: OwnedToken,
    action: str,
    before: dict[str, Any],
    after: dict[str, Any],
    **changes: Any,
) -> authlete.TokenUpdateResult:
    change = _Change(actor, subject, owned, action, before, after)
    change.begin()
    try:
        result = authlete.get_client().token_update(
            access_token_hash=owned.token.access_token_hash, **changes
        )
    except authlete.AuthleteError as exc:
        change.fail(exc)
    if result.action != "OK":
        # Only OK means Authlete changed the token; every other action changed nothing.
        change.record(
            outcome=AuditEvent.Outcome.FAILED,
            result_code=result.result_code,
            note=f"Authlete answered {result.action}.",
        )
        raise TokenUpdateFailed(result.action, result.result_code)
    change.record(result_code=result.result_code)
    return result


def _refuse(
    actor: Actor,
    subject: str,
    owned: OwnedToken,
    action: str,
    before: dict[str, Any],
    after: dict[str, Any],
) -> NoReturn:
    """Record the refusal, then raise it: nothing is sent to Authlete."""
    _Change(actor, subject, owned, action, before, after).record(outcome=AuditEvent.Outcome.REFUSED)
    raise TokenChangeRefused(owned.token.access_token_hash)


class _Change:
    """The audit rows of one change to one token: its attempt, then how it ended."""

    def __init__(
        self,
        actor: Actor,
        subject: str,
        owned: OwnedToken,
        action: str,
        before: dict[str, Any],
        after: dict[str, Any],
    ) -> None:
        token = owned.token
        self.fields = {
            "actor": actor,
            "subject": subject,
            "client_id": owned.client_id,
            "client_name": owned.record_name,
            "action": action,
            "token_hash": token.access_token_hash,
            "scopes_before": token.scopes,
            "scopes_after": after.get("scopes", token.scopes),
            "values_before": before,
            "values_after": after,
        }
        self.client_id = owned.client_id
        self.attempt: AuditEvent | None = None

    def begin(self) -> None:
        """Record the attempt before anything is sent (raises AuditUnavailable if it cannot)."""
        self.attempt = audit_attempt(**self.fields)

    def record(
        self,
        *,
        outcome: str = AuditEvent.Outcome.SUCCESS,
        error: authlete.AuthleteError | None = None,
        result_code: str = "",
        note: str = "",
    ) -> None:
        result = {"outcome": outcome, "error": error, "result_code": result_code, "note": note}
        if self.attempt is None:
            audit_event_record(**self.fields, **result)
        else:
            audit_complete(self.attempt, **result)

    def fail(self, error: authlete.AuthleteError) -> NoReturn:
        """Record a change Authlete did not confirm; an unknown outcome is said as such."""
        outcome = outcome_of(error)
        self.record(outcome=outcome, error=error)
        if outcome == AuditEvent.Outcome.UNKNOWN:
            raise OutcomeUnknown(self.client_id) from error
        raise error


def _audited_properties(properties: Iterable[authlete.TokenProperty]) -> list[dict[str, object]]:
    # A hidden property is kept from the app's own view of its token; keep it out of the trail.
    return [
        {"key": p.key, "value": "(hidden)" if p.hidden else p.value, "hidden": p.hidden}
        for p in properties
    ]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
