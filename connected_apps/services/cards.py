"""Cards: what Authlete holds, turned into what a person reads.

Client metadata and tokens become one ``ConnectedApp``; scope names become the words the
service defines for them, in the request's language; links are kept only when they are http(s).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.utils import translation

from connected_apps import authlete
from connected_apps.services import bylines, names
from connected_apps.services.renewal import renewal_of, token_renews
from connected_apps.services.tiers import tier_of
from connected_apps.services.types import ConnectedApp, Permission, TokenSummary

# A service whose scopes cannot be read (v2 without owner credentials, a token without view
# rights) is not asked again on every page for this long; pages show scope names meanwhile.
_SCOPES_UNREADABLE_SECONDS = 60
_SERVICE_CACHE_KEY = "authlete:service"
_SERVICE_VERSION_KEY = "authlete:service:version"
_scopes_unpacked: tuple[str, dict[str, authlete.ScopeDefinition]] = ("", {})


def details_from_summary(
    summary: authlete.ClientSummary | None, client_id: int
) -> authlete.ClientDetails:
    return authlete.ClientDetails(
        client_id=client_id,
        alias=summary.alias if summary else "",
        name=summary.name if summary else "",
        names=summary.names if summary else (),
        description=summary.description if summary else "",
        descriptions=summary.descriptions if summary else (),
        client_type=summary.client_type if summary else "",
        logo_uri="",
        logo_uris=(),
        client_uri="",
        client_uris=(),
        policy_uri="",
        policy_uris=(),
        tos_uri="",
        tos_uris=(),
        developer="",
        application_type="",
        contacts=(),
        redirect_uris=(),
        dynamically_registered=False,
        created_at=None,
        modified_at=None,
    )


def localized(default: str, options: Sequence[authlete.LocalizedText]) -> str:
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


def permissions(scopes: Iterable[str]) -> tuple[Permission, ...]:
    """Scopes in the words the service defines for them, the raw name where it defines none."""
    definitions = _service_scopes()
    result = []
    for scope in scopes:
        definition = definitions.get(scope)
        text = localized(definition.description, definition.descriptions) if definition else ""
        attributes = definition.attributes if definition else ()
        result.append(
            Permission(
                scope=scope,
                description=text or scope,
                tier=tier_of(scope, dict(attributes)),
                attributes=attributes,
            )
        )
    return tuple(result)


def unread_app(details: authlete.ClientDetails) -> ConnectedApp:
    """An app whose tokens cannot be read: its identity and links, nothing it may do."""
    return replace(
        build_app(details, []), permissions=(), long_lived=False, permissions_known=False
    )


def build_app(
    details: authlete.ClientDetails,
    tokens: list[authlete.TokenInfo],
    *,
    developers: Mapping[int, str] | None = None,
) -> ConnectedApp:
    """One card; ``developers``: the page's confirmed developers, read at once (else one query)."""
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
    first_party = bylines.is_first_party(details.attributes)
    return ConnectedApp(
        client_id=details.client_id,
        name=names.display_name(localized(details.name, details.names), details.client_id),
        description=localized(details.description, details.descriptions),
        # The client's own "developer" claim is anyone's to make; only staff's confirmation shows.
        developer=bylines.shown_developer(
            details.client_id, first_party=first_party, known=developers
        ),
        first_party=first_party,
        logo_uri=_safe_url(localized(details.logo_uri, details.logo_uris)),
        client_uri=_safe_url(localized(details.client_uri, details.client_uris)),
        policy_uri=_safe_url(localized(details.policy_uri, details.policy_uris)),
        tos_uri=_safe_url(localized(details.tos_uri, details.tos_uris)),
        permissions=permissions(scopes),
        connected_at=min(created) if created else None,
        last_used_at=max(used) if used else None,
        long_lived=long_lived,
        token_count=len(tokens),
        host=names.host_of(
            localized(details.client_uri, details.client_uris), *details.redirect_uris
        ),
        record_name=names.display_name(details.name, details.client_id),
        renewal=renewal_of(tokens, now),
    )


def token_summary(token: authlete.TokenInfo, now: datetime) -> TokenSummary:
    access_live = token.access_token_expires_at is None or token.access_token_expires_at > now
    refresh_live = token_renews(token, now)
    return TokenSummary(
        access_token_hash=token.access_token_hash,
        created_at=token.created_at,
        expires_at=token.access_token_expires_at,
        last_refreshed_at=token.last_refreshed_at,
        refresh_expires_at=token.refresh_token_expires_at if token.refresh_token_hash else None,
        scopes=token.scopes,
        active=access_live or refresh_live,
        access_live=access_live,
        renews=refresh_live,
    )


def _service_scopes() -> dict[str, authlete.ScopeDefinition]:
    """The service's scope definitions; none when Authlete will not show them to us.

    Every card asks, so the cache holds them with a version, and this worker keeps the current
    version unpacked: a page costs one small cache read per card, not unpickling them all.
    """
    global _scopes_unpacked
    version = cache.get(_SERVICE_VERSION_KEY)
    unpacked = _scopes_unpacked
    if version is not None and unpacked[0] == version:
        return unpacked[1]
    kept = cache.get(_SERVICE_CACHE_KEY)
    if kept is None or kept[0] != version:
        try:
            service = authlete.get_client().service_get()
        except authlete.AuthleteRejected:
            # v2 without the owner's credentials, or a token without service-view rights:
            # scope names are still true, only less friendly.
            kept = (uuid.uuid4().hex, {})
            seconds = _SCOPES_UNREADABLE_SECONDS
        else:
            kept = (uuid.uuid4().hex, {scope.name: scope for scope in service.scopes})
            seconds = settings.PORTAL_CLIENT_CACHE_SECONDS
        cache.set(_SERVICE_CACHE_KEY, kept, seconds)
        cache.set(_SERVICE_VERSION_KEY, kept[0], seconds)
    _scopes_unpacked = kept
    return kept[1]


def _safe_url(url: str) -> str:
    """Only http(s) links reach a page: a client's metadata is written by its developer."""
    return url if url.lower().startswith(("https://", "http://")) else ""
