"""What the pages show: frozen projections of Authlete's records, in the person's language.

Authlete's own types (``authlete.ClientDetails``, ``authlete.TokenInfo``, ...) describe what the
API says; these say what a person sees: one card per app, with words instead of scope names.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.utils.timesince import timesince

from connected_apps import authlete
from connected_apps.services.filters import FilterOption, filter_options, query_params
from connected_apps.services.renewal import Renewal, token_renews
from connected_apps.services.rules import STALE_AFTER, token_ref, token_short_hash
from connected_apps.services.tiers import Tier, by_consequence, spends, tiers_of


@dataclass(frozen=True, slots=True)
class Permission:
    """One scope, in the words the consent screen used, with its raw name at hand."""

    scope: str
    description: str
    # How much it lets the app do (see services/tiers.py), and the operator's scope attributes.
    tier: Tier = Tier.SEE
    attributes: tuple[tuple[str, str], ...] = ()


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
    # Whether, and until when, it can renew its own access while the person is away.
    renewal: Renewal | None = None
    # The operator marked it as the service's own app (services/bylines.py): "Made by …".
    first_party: bool = False

    @property
    def scopes(self) -> tuple[str, ...]:
        return tuple(p.scope for p in self.permissions)

    @property
    def permissions_by_consequence(self) -> tuple[Permission, ...]:
        return by_consequence(self.permissions)

    @property
    def can_act(self) -> bool:
        return Tier.ACT in tiers_of(self.permissions)

    @property
    def works_while_away(self) -> bool:
        """It can renew its own access now: a live refresh token, not merely the permission."""
        return self.renewal is not None

    @property
    def can_pay(self) -> bool:
        return any(p.tier is Tier.ACT and spends(p.scope) for p in self.permissions)

    @property
    def idle_for(self) -> timedelta | None:
        """How long since the app was last active; None when that is unknown."""
        return datetime.now(UTC) - self.last_used_at if self.last_used_at else None

    @property
    def last_active_ago(self) -> str:
        """One unit ("2 hours", "4 months"), short enough for a row on a phone."""
        return timesince(self.last_used_at, depth=1) if self.last_used_at else ""

    @property
    def idle_months(self) -> int:
        idle = self.idle_for
        return idle.days // 30 if idle else 0

    @property
    def stale(self) -> bool:
        idle = self.idle_for
        return idle is not None and idle >= STALE_AFTER

    @property
    def review_weight(self) -> int:
        """2 when it can act for the person and is stale, 1 for either, 0 when neither."""
        return int(self.can_act) + int(self.stale)

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
    # The ListOrder value the page is in (services/apps.py).
    order: str = "review"
    # The ListFilter values it is narrowed by (services/filters.py), and how many apps the
    # person has in all, before search and filters ("3 of 14 apps").
    filters: tuple[str, ...] = ()
    overall_count: int = 0

    @property
    def link_params(self) -> str:
        """The search, order and filters as a query string, for links to other pages of the
        same list."""
        return query_params(self.query, self.order, self.filters)

    @property
    def filter_options(self) -> tuple[FilterOption, ...]:
        return filter_options(self.query, self.order, self.filters)

    @property
    def unfiltered_params(self) -> str:
        """The same search and order with no filter: the way back to the whole list."""
        return query_params(self.query, self.order, ())

    @property
    def state_params(self) -> str:
        """Everything that makes this page what it is, the page number too: where a change made
        from it comes back to."""
        return query_params(self.query, self.order, self.filters, self.page)

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
    # Its access token still works now; it can renew itself (a live refresh token).
    access_live: bool = False
    renews: bool = False

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

    @property
    def permission_groups(self) -> tuple[tuple[Tier, tuple[Permission, ...]], ...]:
        """The app's permissions by tier, weightiest first. "Works while you're away" is there
        whenever the app can renew itself, whether or not it was granted offline_access."""
        ordered = self.app.permissions_by_consequence
        groups = []
        for tier in Tier:
            held = tuple(p for p in ordered if p.tier is tier)
            if held or (tier is Tier.AWAY and self.app.renewal):
                groups.append((tier, held))
        return tuple(groups)

    @property
    def allowed_before(self) -> tuple[Permission, ...]:
        """What the person once agreed to that the app cannot do now: consent history says
        only what the permission list above it does not."""
        held = set(self.app.scopes)
        return tuple(p for p in self.merged_granted or () if p.scope not in held)


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
    def access_live(self) -> bool:
        expires = self.token.access_token_expires_at
        return expires is None or expires > datetime.now(UTC)

    @property
    def renews(self) -> bool:
        return token_renews(self.token, datetime.now(UTC))

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
