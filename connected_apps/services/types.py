"""What the pages show: frozen projections of Authlete's records, in the person's language.

Authlete's own types (``authlete.ClientDetails``, ``authlete.TokenInfo``, ...) describe what the
API says; these say what a person sees: one card per app, with words instead of scope names.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from connected_apps import authlete
from connected_apps.services.rules import token_ref, token_short_hash


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
    # False where the service does not let the portal read tokens: no permissions, no dates.
    permissions_known: bool = True
    # Where the app says it lives (its website, else where it signs people in), to tell apps
    # with the same name apart; look_alike marks an app whose name another on the page shares.
    host: str = ""
    look_alike: bool = False
    # The name the audit keeps: the client's default name, the same whatever language the
    # person who acted reads, so one app reads as one app in the trail.
    record_name: str = ""

    @property
    def scopes(self) -> tuple[str, ...]:
        return tuple(p.scope for p in self.permissions)

    @property
    def initial(self) -> str:
        return (self.name[:1] or "?").upper()

    @property
    def logo_digest(self) -> str:
        """Names this logo URI in the logo cache and in the logo's URL: a new logo is a new URL."""
        return hashlib.sha256(self.logo_uri.encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class AppPage:
    apps: tuple[ConnectedApp, ...]
    page: int
    page_count: int
    total_count: int
    query: str

    @property
    def permissions_known(self) -> bool:
        return all(app.permissions_known for app in self.apps)


@dataclass(frozen=True, slots=True)
class TokenSummary:
    access_token_hash: str
    created_at: datetime | None
    expires_at: datetime | None
    last_refreshed_at: datetime | None
    refresh_expires_at: datetime | None
    scopes: tuple[str, ...]
    active: bool

    @property
    def ref(self) -> str:
        return token_ref(self.access_token_hash)


@dataclass(frozen=True, slots=True)
class AppDetail:
    app: ConnectedApp
    latest_granted: tuple[Permission, ...] | None
    merged_granted: tuple[Permission, ...] | None
    tokens: tuple[TokenSummary, ...]
    # False where the service keeps no remembered consent we may read (shared servers: 403).
    consent_known: bool = True

    @property
    def active_tokens(self) -> tuple[TokenSummary, ...]:
        return tuple(t for t in self.tokens if t.active)


@dataclass(frozen=True, slots=True)
class RevokeReport:
    revoked: tuple[ConnectedApp, ...]
    failed: tuple[ConnectedApp, ...]
    # Authlete may or may not have acted on these: a timeout, or no read could confirm it.
    unknown: tuple[ConnectedApp, ...] = ()


@dataclass(frozen=True, slots=True)
class NarrowResult:
    """What a narrowing left, as read back from Authlete.

    ``app`` is None when no access is left at all. ``ended_tokens`` counts the tokens that had
    to end because Authlete would have kept a removed permission on them (their refresh token
    still held it, or nothing else was left): the app must ask the person again.
    """

    app: ConnectedApp | None
    ended_tokens: int


@dataclass(frozen=True, slots=True)
class OwnedToken:
    """A token of the subject for one client, with the app's name for pages and the audit."""

    client_id: int
    app_name: str
    token: authlete.TokenInfo
    # The default name, which the audit keeps (see ConnectedApp.record_name).
    record_name: str = ""

    @property
    def short_hash(self) -> str:
        return token_short_hash(self.token.access_token_hash)

    @property
    def ref(self) -> str:
        return token_ref(self.token.access_token_hash)


@dataclass(frozen=True, slots=True)
class TokenEnded:
    """A token Authlete confirmed ended. ``detail`` is the app read afterwards, None when that
    read failed (``app_left``) or found no access left (not ``app_left``)."""

    detail: AppDetail | None
    app_left: bool


@dataclass(frozen=True, slots=True)
class DeveloperClientPage:
    clients: tuple[authlete.ClientDetails, ...]
    page: int
    page_count: int
    total_count: int
