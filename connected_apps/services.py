"""Use cases of the connected-apps pages: list, detail, narrow and revoke, each change audited.

Views call these functions with a subject already resolved for the signed-in person; nothing here
trusts a client id until Authlete confirms that subject holds tokens for it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import translation

from connected_apps import authlete
from connected_apps.models import AuditEvent

# Authlete documents no maximum page size; 100 is what Authlete's own reference server uses.
_FETCH_PAGE = 100
# Per-app calls of one page run at once; a page never holds more apps than this pool serves.
_executor = ThreadPoolExecutor(max_workers=16, thread_name_prefix="authlete")
_SERVICE_CACHE_KEY = "authlete:service"


class AppNotConnected(Exception):
    """The subject holds no tokens for this client: not theirs to see or change."""


class ScopeChangeRefused(Exception):
    """The requested scopes are not a strict, non-empty subset of what the app holds."""


# --- What the pages show ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Permission:
    """One scope, in the words the consent screen used, with its raw name at hand."""

    scope: str
    description: str


@dataclass(frozen=True, slots=True)
class ConnectedApp:
    client_id: int
    name: str
    description: str
    developer: str
    logo_uri: str
    client_uri: str
    policy_uri: str
    tos_uri: str
    permissions: tuple[Permission, ...]
    connected_at: datetime | None
    last_used_at: datetime | None
    long_lived: bool
    token_count: int

    @property
    def scopes(self) -> tuple[str, ...]:
        return tuple(p.scope for p in self.permissions)

    @property
    def initial(self) -> str:
        return (self.name[:1] or "?").upper()


@dataclass(frozen=True, slots=True)
class AppPage:
    apps: tuple[ConnectedApp, ...]
    page: int
    page_count: int
    total_count: int
    query: str


@dataclass(frozen=True, slots=True)
class TokenSummary:
    access_token_hash: str
    created_at: datetime | None
    expires_at: datetime | None
    last_refreshed_at: datetime | None
    refresh_expires_at: datetime | None
    scopes: tuple[str, ...]
    active: bool


@dataclass(frozen=True, slots=True)
class AppDetail:
    app: ConnectedApp
    latest_granted: tuple[Permission, ...] | None
    merged_granted: tuple[Permission, ...] | None
    tokens: tuple[TokenSummary, ...]

    @property
    def active_tokens(self) -> tuple[TokenSummary, ...]:
        return tuple(t for t in self.tokens if t.active)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asked for a change, from where; staff acting for someone give a reason."""

    user: object
    ip_address: str | None = None
    user_agent: str = ""
    on_behalf: bool = False
    reason: str = ""


@dataclass(frozen=True, slots=True)
class RevokeReport:
    revoked: tuple[ConnectedApp, ...]
    failed: tuple[ConnectedApp, ...]


# --- Reads ------------------------------------------------------------------------------------


def connected_app_list(*, subject: str, page: int = 1, query: str = "") -> AppPage:
    """One page of the subject's apps. A search reads the whole list and filters by name."""
    client = authlete.get_client()
    size = max(1, settings.PORTAL_PAGE_SIZE)
    query = query.strip()
    if query:
        summaries = _all_authorized_clients(subject)
        names = _map(lambda s: _details(s.client_id), summaries)
        needle = query.casefold()
        matches = [
            s
            for s, d in zip(summaries, names, strict=True)
            if needle in _localized(d.name, d.names).casefold()
        ]
        total = len(matches)
        page, page_count = _clamp_page(page, total, size)
        chosen = matches[(page - 1) * size : page * size]
    else:
        listing = client.authorization_list(
            subject=subject, start=(page - 1) * size, end=page * size
        )
        total = listing.total_count
        wanted = page
        page, page_count = _clamp_page(page, total, size)
        if page != wanted:
            # The asked-for page was past the end (or before the start): show the nearest one.
            listing = client.authorization_list(
                subject=subject, start=(page - 1) * size, end=page * size
            )
        chosen = list(listing.clients)
    apps = _apps_for(subject, [summary.client_id for summary in chosen])
    return AppPage(
        apps=tuple(app for app in apps if app is not None),
        page=page,
        page_count=page_count,
        total_count=total,
        query=query,
    )


def connected_app_get(*, subject: str, client_id: int) -> ConnectedApp:
    """One of the subject's apps, or AppNotConnected."""
    (app,) = _apps_for(subject, [client_id])
    if app is None:
        raise AppNotConnected(client_id)
    return app


def connected_app_names(*, subject: str) -> list[str]:
    """The names of all the subject's apps, from the listing alone (for confirmations)."""
    return [_localized(s.name, s.names) for s in _all_authorized_clients(subject)]


def connected_app_detail(*, subject: str, client_id: int) -> AppDetail:
    details, tokens, granted = _map(
        lambda call: call(),
        [
            lambda: _details_or_none(client_id),
            lambda: _all_tokens(subject, client_id),
            lambda: _granted_scopes(subject, client_id),
        ],
    )
    if details is None or not tokens:
        raise AppNotConnected(client_id)
    app = _build_app(details, tokens)
    now = datetime.now(UTC)
    return AppDetail(
        app=app,
        latest_granted=_permissions(granted.latest) if granted.latest is not None else None,
        merged_granted=_permissions(granted.merged) if granted.merged is not None else None,
        tokens=tuple(_token_summary(t, now) for t in tokens),
    )


# --- Changes ----------------------------------------------------------------------------------


def connected_app_narrow(
    *, subject: str, app: ConnectedApp, keep: Sequence[str], actor: Actor
) -> ConnectedApp:
    """Keep only ``keep`` of the app's scopes: a strict, non-empty subset, never a new scope.

    ``app`` must come from :func:`connected_app_get` for this subject in the same request, so the
    subset is checked against what Authlete holds now. Authlete's update rewrites the scopes of
    every token of the pair. The remembered consent is cleared as well, so the app has to ask
    again before it can regain what was removed.
    """
    client_id = app.client_id
    kept = [scope for scope in app.scopes if scope in set(keep)]
    if set(keep) - set(app.scopes) or not kept or len(kept) == len(app.scopes):
        _audit(
            actor, subject, app, AuditEvent.Action.NARROW, AuditEvent.Outcome.REFUSED, after=keep
        )
        raise ScopeChangeRefused(client_id)
    consent_note = ""
    try:
        consent_note = _forget_consent(subject, client_id)
        outcome = authlete.get_client().authorization_update(
            client_id=client_id, subject=subject, scopes=kept
        )
    except authlete.AuthleteError as exc:
        _audit(
            actor,
            subject,
            app,
            AuditEvent.Action.NARROW,
            AuditEvent.Outcome.FAILED,
            kept,
            exc,
            note=consent_note,
        )
        raise
    _audit(
        actor,
        subject,
        app,
        AuditEvent.Action.NARROW,
        AuditEvent.Outcome.SUCCESS,
        kept,
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
    summaries = _all_authorized_clients(subject)
    apps = [app for app in _apps_for(subject, [s.client_id for s in summaries]) if app]

    results = _map(lambda app: _revoke_upstream(subject, app), apps)
    # Audit rows are written here, on the request's own thread and database connection.
    for result in results:
        _audit_revoke(subject, result, actor)
    return RevokeReport(
        revoked=tuple(r.app for r in results if r.error is None),
        failed=tuple(r.app for r in results if r.error is not None),
    )


def audit_events_for_subject(*, subject: str, limit: int = 50) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(subject=subject)
        .exclude(outcome=AuditEvent.Outcome.REFUSED)
        .select_related("actor")[:limit]
    )


# --- Helpers ----------------------------------------------------------------------------------


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
    _audit(
        actor,
        subject,
        result.app,
        AuditEvent.Action.REVOKE,
        AuditEvent.Outcome.FAILED if result.error else AuditEvent.Outcome.SUCCESS,
        [],
        result.error,
        result_code=result.outcome.result_code if result.outcome else "",
        note=result.consent_note,
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


def _actor_fields(actor: Actor) -> dict[str, object]:
    """The audit columns that say who acted, from where, and why."""
    user = actor.user if getattr(actor.user, "is_authenticated", False) else None
    return {
        "actor": user,
        "actor_username": getattr(user, "username", "") or "",
        "on_behalf": actor.on_behalf,
        "reason": actor.reason,
        "ip_address": actor.ip_address,
        "user_agent": actor.user_agent[:512],
    }


def _audit(
    actor: Actor,
    subject: str,
    app: ConnectedApp,
    action: str,
    outcome: str,
    after: Iterable[str],
    error: authlete.AuthleteError | None = None,
    *,
    result_code: str = "",
    note: str = "",
) -> None:
    AuditEvent.objects.create(
        **_actor_fields(actor),
        subject=subject,
        client_id=app.client_id,
        client_name=app.name[:255],
        action=action,
        scopes_before=list(app.scopes),
        scopes_after=[str(s)[:200] for s in after][:100],
        outcome=outcome,
        result_code=(error.result_code if error and error.result_code else result_code) or "",
        detail=" ".join(filter(None, [f"{error.reason}: {error}" if error else "", note])),
    )


def _map[T, R](function: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """Apply ``function`` to every item at once on the Authlete pool, keeping the order."""
    items = list(items)
    if len(items) <= 1:
        return [function(item) for item in items]
    return list(_executor.map(function, items))


def _clamp_page(page: int, total: int, size: int) -> tuple[int, int]:
    page_count = max(1, math.ceil(total / size))
    return min(max(1, page), page_count), page_count


def _all_authorized_clients(subject: str) -> list[authlete.ClientSummary]:
    client = authlete.get_client()
    first = client.authorization_list(subject=subject, start=0, end=_FETCH_PAGE)
    summaries = list(first.clients)
    starts = range(_FETCH_PAGE, first.total_count, _FETCH_PAGE)
    pages = _map(
        lambda start: client.authorization_list(
            subject=subject, start=start, end=start + _FETCH_PAGE
        ),
        starts,
    )
    for page in pages:
        summaries.extend(page.clients)
    return summaries


def _details(client_id: int) -> authlete.ClientDetails:
    """Client display metadata, cached: it changes rarely and every card needs it."""
    key = f"authlete:client:{client_id}"
    details = cache.get(key)
    if details is None:
        details = authlete.get_client().client_get(client_id)
        cache.set(key, details, settings.PORTAL_CLIENT_CACHE_SECONDS)
    return details


def _service_scopes() -> dict[str, authlete.ScopeDefinition]:
    scopes = cache.get(_SERVICE_CACHE_KEY)
    if scopes is None:
        service = authlete.get_client().service_get()
        scopes = {scope.name: scope for scope in service.scopes}
        cache.set(_SERVICE_CACHE_KEY, scopes, settings.PORTAL_CLIENT_CACHE_SECONDS)
    return scopes


def _localized(default: str, options: Sequence[authlete.LocalizedText]) -> str:
    """The text for the request's language: exact tag, then same language, then the default."""
    language = (translation.get_language() or settings.LANGUAGE_CODE).lower()
    primary = language.split("-")[0]
    for option in options:
        if option.tag.lower() == language and option.value:
            return option.value
    for option in options:
        if option.tag.lower().split("-")[0] == primary and option.value:
            return option.value
    return default


def _permissions(scopes: Iterable[str]) -> tuple[Permission, ...]:
    definitions = _service_scopes()
    result = []
    for scope in scopes:
        definition = definitions.get(scope)
        text = _localized(definition.description, definition.descriptions) if definition else ""
        result.append(Permission(scope=scope, description=text or scope))
    return tuple(result)


def _all_tokens(subject: str, client_id: int) -> list[authlete.TokenInfo]:
    client = authlete.get_client()
    try:
        first = client.token_list(subject=subject, client_id=client_id, start=0, end=_FETCH_PAGE)
    except authlete.AuthleteNotFound:
        return []
    tokens = list(first.tokens)
    for start in range(_FETCH_PAGE, first.total_count, _FETCH_PAGE):
        page = client.token_list(
            subject=subject, client_id=client_id, start=start, end=start + _FETCH_PAGE
        )
        tokens.extend(page.tokens)
    # Authlete answers for the subject asked; anything else is not this person's.
    return [token for token in tokens if token.subject == subject and token.client_id == client_id]


def _details_or_none(client_id: int) -> authlete.ClientDetails | None:
    try:
        return _details(client_id)
    except authlete.AuthleteNotFound:
        return None


def _granted_scopes(subject: str, client_id: int) -> authlete.GrantedScopes:
    try:
        return authlete.get_client().granted_scopes_get(client_id=client_id, subject=subject)
    except authlete.AuthleteRejected:
        # Remembered consent is a feature of dedicated Authlete servers; without it, say nothing.
        return authlete.GrantedScopes(latest=None, merged=None, modified_at=None)


def _apps_for(subject: str, client_ids: Sequence[int]) -> list[ConnectedApp | None]:
    """Build the cards of these clients with every Authlete call of the batch in flight at once.

    A client the subject holds no tokens for comes back as None.
    """
    calls = [lambda cid=cid: _details_or_none(cid) for cid in client_ids]
    calls += [lambda cid=cid: _all_tokens(subject, cid) for cid in client_ids]
    results = _map(lambda call: call(), calls)
    count = len(client_ids)
    return [
        _build_app(details, tokens) if details is not None and tokens else None
        for details, tokens in zip(results[:count], results[count:], strict=True)
    ]


def _build_app(details: authlete.ClientDetails, tokens: list[authlete.TokenInfo]) -> ConnectedApp:
    now = datetime.now(UTC)
    scopes: dict[str, None] = {}
    for token in tokens:
        for scope in (*token.scopes, *token.refresh_token_scopes):
            scopes.setdefault(scope, None)
    created = [t.created_at for t in tokens if t.created_at]
    used = [
        t.last_refreshed_at or t.created_at for t in tokens if t.last_refreshed_at or t.created_at
    ]
    long_lived = "offline_access" in scopes or any(
        t.refresh_token_hash
        and (t.refresh_token_expires_at is None or t.refresh_token_expires_at > now)
        for t in tokens
    )
    return ConnectedApp(
        client_id=details.client_id,
        name=_localized(details.name, details.names) or str(details.client_id),
        description=_localized(details.description, details.descriptions),
        developer=details.developer,
        logo_uri=_safe_url(_localized(details.logo_uri, details.logo_uris)),
        client_uri=_safe_url(_localized(details.client_uri, details.client_uris)),
        policy_uri=_safe_url(_localized(details.policy_uri, details.policy_uris)),
        tos_uri=_safe_url(_localized(details.tos_uri, details.tos_uris)),
        permissions=_permissions(scopes),
        connected_at=min(created) if created else None,
        last_used_at=max(used) if used else None,
        long_lived=long_lived,
        token_count=len(tokens),
    )


def _token_summary(token: authlete.TokenInfo, now: datetime) -> TokenSummary:
    access_live = token.access_token_expires_at is None or token.access_token_expires_at > now
    refresh_live = bool(token.refresh_token_hash) and (
        token.refresh_token_expires_at is None or token.refresh_token_expires_at > now
    )
    return TokenSummary(
        access_token_hash=token.access_token_hash,
        created_at=token.created_at,
        expires_at=token.access_token_expires_at,
        last_refreshed_at=token.last_refreshed_at,
        refresh_expires_at=token.refresh_token_expires_at if token.refresh_token_hash else None,
        scopes=token.scopes,
        active=access_live or refresh_live,
    )


def _safe_url(url: str) -> str:
    """Only http(s) links reach a page: a client's metadata is written by its developer."""
    return url if url.lower().startswith(("https://", "http://")) else ""


# --- One token at a time ------------------------------------------------------------------------


class TokenNotFound(Exception):
    """No token with this hash belongs to this subject and client, as Authlete lists them now."""


class TokenChangeRefused(Exception):
    """The change asked of a token breaks a rule of ours; nothing was sent to Authlete."""


class TokenUpdateFailed(Exception):
    """Authlete answered a token update with an action other than OK: nothing changed."""

    def __init__(self, action: str, result_code: str) -> None:
        super().__init__(action)
        self.action = action
        self.result_code = result_code


@dataclass(frozen=True, slots=True)
class OwnedToken:
    """A token of the subject for one client, with the app's name for pages and the audit."""

    client_id: int
    app_name: str
    token: authlete.TokenInfo

    @property
    def short_hash(self) -> str:
        return token_short_hash(self.token.access_token_hash)

    @property
    def ref(self) -> str:
        return self.token.access_token_hash[:TOKEN_REF_LENGTH]


def token_short_hash(access_token_hash: str) -> str:
    """Enough of Authlete's hash to tell tokens apart on a page, never the token itself."""
    return access_token_hash[:8]


def token_max_expiry(token: authlete.TokenInfo) -> datetime:
    """The latest expiry staff may set: the token's issue time plus the configured lifetime."""
    days = int(getattr(settings, "PORTAL_TOKEN_MAX_LIFETIME_DAYS", 90))
    return (token.created_at or datetime.now(UTC)) + timedelta(days=days)


def token_list(*, subject: str, client_ids: Sequence[int]) -> dict[int, list[authlete.TokenInfo]]:
    """The subject's tokens of each client, fetched at once."""
    lists = _map(lambda cid: _all_tokens(subject, cid), client_ids)
    return dict(zip(client_ids, lists, strict=True))


# Pages a person sees name a token by this much of its hash: plenty to tell their tokens apart,
# and the full identifier Authlete acts on stays off the page.
TOKEN_REF_LENGTH = 16


def token_get(*, subject: str, client_id: int, token_hash: str) -> OwnedToken:
    """The subject's token for the client with this hash, checked against a fresh list.

    A unique prefix of at least TOKEN_REF_LENGTH characters names a token as well as its hash.
    """
    details, tokens = _map(
        lambda call: call(),
        [lambda: _details_or_none(client_id), lambda: _all_tokens(subject, client_id)],
    )
    exact = [t for t in tokens if token_hash and t.access_token_hash == token_hash]
    prefixed = [
        t
        for t in tokens
        if len(token_hash) >= TOKEN_REF_LENGTH and t.access_token_hash.startswith(token_hash)
    ]
    found = exact or prefixed
    if len(found) != 1:
        raise TokenNotFound(token_hash)
    name = _localized(details.name, details.names) if details else ""
    return OwnedToken(client_id=client_id, app_name=name or str(client_id), token=found[0])


def token_narrow(
    *, subject: str, owned: OwnedToken, keep: Sequence[str], actor: Actor
) -> authlete.TokenUpdateResult:
    """Keep only ``keep`` of one token's scopes: a strict, non-empty subset of what it holds."""
    held = owned.token.scopes
    kept = [scope for scope in held if scope in set(keep)]
    before, after = {"scopes": list(held)}, {"scopes": [str(s)[:200] for s in keep][:100]}
    if set(keep) - set(held) or not kept or len(kept) == len(held):
        _token_audit(
            actor, subject, owned, AuditEvent.Action.TOKEN_NARROW, before, after, refused=True
        )
        raise TokenChangeRefused(owned.token.access_token_hash)
    return _token_update(
        actor,
        subject,
        owned,
        AuditEvent.Action.TOKEN_NARROW,
        before,
        {"scopes": kept},
        scopes=kept,
    )


def token_expiry_set(
    *, subject: str, owned: OwnedToken, expires_at: datetime, actor: Actor
) -> authlete.TokenUpdateResult:
    """Move one token's expiry: earlier always, later only up to :func:`token_max_expiry`."""
    current = owned.token.access_token_expires_at
    before = {"expires_at": current.isoformat() if current else None}
    after = {"expires_at": expires_at.isoformat()}
    shorter = current is None or expires_at <= current
    allowed = expires_at > datetime.now(UTC) and (
        shorter or expires_at <= token_max_expiry(owned.token)
    )
    if not allowed:
        _token_audit(
            actor, subject, owned, AuditEvent.Action.TOKEN_EXPIRY, before, after, refused=True
        )
        raise TokenChangeRefused(owned.token.access_token_hash)
    return _token_update(
        actor,
        subject,
        owned,
        AuditEvent.Action.TOKEN_EXPIRY,
        before,
        after,
        expires_at=expires_at,
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
    note = ""
    try:
        authlete.get_client().token_delete(token_identifier=owned.token.access_token_hash)
    except authlete.AuthleteNotFound:
        # Gone between our check and the delete (it expired, or was ended elsewhere): the
        # person's wish holds, so this is not a failure.
        note = "Authlete no longer had this token."
    except authlete.AuthleteError as exc:
        _token_audit(actor, subject, owned, AuditEvent.Action.TOKEN_DELETE, before, {}, error=exc)
        raise
    _token_audit(actor, subject, owned, AuditEvent.Action.TOKEN_DELETE, before, {}, note=note)


def _token_update(
    actor: Actor,
    subject: str,
    owned: OwnedToken,
    action: str,
    before: dict[str, object],
    after: dict[str, object],
    **changes: object,
) -> authlete.TokenUpdateResult:
    try:
        result = authlete.get_client().token_update(
            access_token_hash=owned.token.access_token_hash, **changes
        )
    except authlete.AuthleteError as exc:
        _token_audit(actor, subject, owned, action, before, after, error=exc)
        raise
    if result.action != "OK":
        # Only OK means Authlete changed the token; every other action changed nothing.
        _token_audit(
            actor,
            subject,
            owned,
            action,
            before,
            after,
            result_code=result.result_code,
            note=f"Authlete answered {result.action}.",
            failed=True,
        )
        raise TokenUpdateFailed(result.action, result.result_code)
    _token_audit(actor, subject, owned, action, before, after, result_code=result.result_code)
    return result


def _token_audit(
    actor: Actor,
    subject: str,
    owned: OwnedToken,
    action: str,
    before: dict[str, object],
    after: dict[str, object],
    *,
    error: authlete.AuthleteError | None = None,
    result_code: str = "",
    note: str = "",
    refused: bool = False,
    failed: bool = False,
) -> None:
    if refused:
        outcome = AuditEvent.Outcome.REFUSED
    elif failed or error is not None:
        outcome = AuditEvent.Outcome.FAILED
    else:
        outcome = AuditEvent.Outcome.SUCCESS
    token = owned.token
    AuditEvent.objects.create(
        **_actor_fields(actor),
        subject=subject,
        client_id=owned.client_id,
        client_name=owned.app_name[:255],
        action=action,
        token_hash=token.access_token_hash[:128],
        scopes_before=list(token.scopes),
        scopes_after=list(after.get("scopes", token.scopes)),  # type: ignore[arg-type]
        values_before=before,
        values_after=after,
        outcome=outcome,
        result_code=(error.result_code if error and error.result_code else result_code) or "",
        detail=" ".join(filter(None, [f"{error.reason}: {error}" if error else "", note])),
    )


def _audited_properties(properties: Iterable[authlete.TokenProperty]) -> list[dict[str, object]]:
    # A hidden property is kept from the app's own view of its token; keep it out of the trail.
    return [
        {"key": p.key, "value": "(hidden)" if p.hidden else p.value, "hidden": p.hidden}
        for p in properties
    ]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


# --- Dynamic client registration (RFC 7591 / 7592) -----------------------------------------------


def client_registration_create(
    *, metadata_json: str, initial_access_token: str | None
) -> authlete.RegistrationResult:
    return authlete.get_client().registration_create(
        metadata_json=metadata_json, initial_access_token=initial_access_token
    )


def client_registration_get(*, client_id: str, token: str) -> authlete.RegistrationResult:
    return authlete.get_client().registration_get(client_id=client_id, token=token)


def client_registration_update(
    *, client_id: str, token: str, metadata_json: str
) -> authlete.RegistrationResult:
    result = authlete.get_client().registration_update(
        client_id=client_id, token=token, metadata_json=metadata_json
    )
    _forget_client_details(client_id)
    return result


def client_registration_delete(*, client_id: str, token: str) -> authlete.RegistrationResult:
    result = authlete.get_client().registration_delete(client_id=client_id, token=token)
    _forget_client_details(client_id)
    return result


def _forget_client_details(client_id: str) -> None:
    # Cards show the cached metadata; a changed or deleted client must not linger there.
    if client_id.isdigit():
        cache.delete(f"authlete:client:{int(client_id)}")


# --- The developer page ---------------------------------------------------------------------------


class ClientNotYours(Exception):
    """The client does not exist or another developer registered it."""


# RFC 7592 §2.2: the client must not send these back in an update.
_SERVER_ASSIGNED_METADATA = (
    "registration_access_token",
    "registration_client_uri",
    "client_secret_expires_at",
    "client_id_issued_at",
)


@dataclass(frozen=True, slots=True)
class DeveloperClientPage:
    clients: tuple[authlete.ClientDetails, ...]
    page: int
    page_count: int
    total_count: int


def developer_client_list(*, developer: str, page: int = 1) -> DeveloperClientPage:
    """One page of the clients Authlete records under this developer name."""
    client = authlete.get_client()
    size = max(1, settings.PORTAL_PAGE_SIZE)
    listing = client.client_list(developer=developer, start=(page - 1) * size, end=page * size)
    wanted = page
    page, page_count = _clamp_page(page, listing.total_count, size)
    if page != wanted:
        listing = client.client_list(developer=developer, start=(page - 1) * size, end=page * size)
    # Authlete filters by developer; a client of anyone else is never shown, whatever it sends.
    mine = tuple(c for c in listing.clients if c.developer == developer)
    return DeveloperClientPage(
        clients=mine, page=page, page_count=page_count, total_count=listing.total_count
    )


def developer_client_get(*, developer: str, client_id: int) -> authlete.ClientDetails:
    """One of the developer's clients, fresh from Authlete, or ClientNotYours."""
    try:
        details = authlete.get_client().client_get(client_id)
    except authlete.AuthleteNotFound:
        raise ClientNotYours(client_id) from None
    if details.developer != developer:
        raise ClientNotYours(client_id)
    return details


def developer_client_update(
    *,
    developer: str,
    client: authlete.ClientDetails,
    token: str,
    changes: dict[str, object],
) -> authlete.RegistrationResult:
    """Change some of a registered client's metadata with its registration access token.

    An RFC 7592 update replaces the whole registration, so the current metadata is read with
    the same token first and only ``changes`` differ in what is sent back. A token Authlete
    does not accept fails the read, and that answer is returned as it is.
    """
    client_id = str(client.client_id)
    current = client_registration_get(client_id=client_id, token=token)
    if current.action != "OK":
        return current
    try:
        metadata = json.loads(current.response_content)
    except ValueError:
        raise authlete.AuthleteMalformed(
            "Authlete's registration metadata was not JSON.", operation="registration_get"
        ) from None
    if not isinstance(metadata, dict):
        raise authlete.AuthleteMalformed(
            "Authlete's registration metadata was not an object.", operation="registration_get"
        )
    for key in _SERVER_ASSIGNED_METADATA:
        metadata.pop(key, None)
    metadata.update(changes)
    # An emptied field is left out: an RFC 7592 update drops whatever is not sent.
    metadata = {key: value for key, value in metadata.items() if value is not None}
    metadata["client_id"] = client_id
    return client_registration_update(
        client_id=client_id, token=token, metadata_json=json.dumps(metadata)
    )
