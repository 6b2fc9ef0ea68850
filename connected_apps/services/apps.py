"""A person's connected apps as they see them: the list, one app, its details.

Nothing here trusts a client id until Authlete confirms that the subject holds tokens for it.
Each read also settles changes whose outcome was unknown (``settle``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from django.conf import settings

from connected_apps import authlete
from connected_apps.services import cards, names, reads
from connected_apps.services.errors import AppNotConnected, TokensUnreadable
from connected_apps.services.settle import settle_unknown
from connected_apps.services.types import (
    AppDetail,
    AppPage,
    ConnectedApp,
    Permission,
    TokenSummary,
)


class ListOrder(StrEnum):
    """How the list is ordered; REVIEW, the default, puts what most needs a look first."""

    REVIEW = "review"
    ACTIVE = "active"
    NAME = "name"
    CONNECTED = "connected"


def connected_app_list(
    *, subject: str, page: int = 1, query: str = "", order: ListOrder = ListOrder.REVIEW
) -> AppPage:
    """One page of the subject's apps, searched by name and in the order asked for.

    Every order but NAME depends on each app's tokens, so the whole list is read and ordered
    before it is cut into pages; the names alone come from the listing.
    """
    settle_unknown(subject=subject)
    size = max(1, settings.PORTAL_PAGE_SIZE)
    query = query.strip()
    summaries = reads.all_authorized_clients(subject)
    # Names are compared as they are shown, so hidden characters cannot dodge a search or sort.
    shown = {s.client_id: names.comparison_key(cards.localized(s.name, s.names)) for s in summaries}
    if query:
        needle = names.comparison_key(query)
        summaries = [s for s in summaries if needle in shown[s.client_id]]
    total = len(summaries)
    page, page_count = reads.clamp_page(page, total, size)
    if order is ListOrder.NAME:
        summaries.sort(key=lambda s: (shown[s.client_id], s.client_id))
        chosen = summaries[(page - 1) * size : page * size]
        apps = [app for app in reads.apps_for(subject, chosen) if app is not None]
    else:
        everything = [app for app in reads.apps_for(subject, summaries) if app is not None]
        apps = _ordered(everything, order)[(page - 1) * size : page * size]
    return AppPage(
        apps=names.tell_apart(apps),
        page=page,
        page_count=page_count,
        total_count=total,
        query=query,
        order=order,
    )


def connected_app_count(*, subject: str, query: str = "") -> AppPage:
    """How many apps the subject has (matching ``query``), as a page with no apps on it."""
    query = query.strip()
    if query:
        needle = names.comparison_key(query)
        total = sum(
            needle in names.comparison_key(cards.localized(s.name, s.names))
            for s in reads.all_authorized_clients(subject)
        )
    else:
        listing = authlete.get_client().authorization_list(subject=subject, start=0, end=1)
        total = listing.total_count
    return AppPage(apps=(), page=1, page_count=1, total_count=total, query=query)


def _ordered(apps: list[ConnectedApp], order: ListOrder) -> list[ConnectedApp]:
    def since(moment: datetime | None) -> float:
        return moment.timestamp() if moment else 0.0

    by_name = sorted(apps, key=lambda app: (names.comparison_key(app.name), app.client_id))
    if order is ListOrder.CONNECTED:
        return sorted(by_name, key=lambda app: -since(app.connected_at))
    recent_first = sorted(by_name, key=lambda app: -since(app.last_used_at))
    if order is ListOrder.ACTIVE:
        return recent_first
    # Needs review first, the weightiest and then the longest idle at the top; then the rest,
    # most recently active first, as they would be under ACTIVE.
    review = sorted(
        (app for app in by_name if app.review_weight),
        key=lambda app: (-app.review_weight, since(app.last_used_at)),
    )
    return review + [app for app in recent_first if not app.review_weight]


def connected_app_get(*, subject: str, client_id: int) -> ConnectedApp:
    """One of the subject's apps, or AppNotConnected."""
    (app,) = reads.apps_for(subject, [client_id])
    if app is None:
        raise AppNotConnected(client_id)
    return app


def connected_app_names(*, subject: str) -> list[str]:
    """The names of all the subject's apps, from the listing alone (for confirmations)."""
    return [
        names.display_name(cards.localized(s.name, s.names), s.client_id)
        for s in reads.all_authorized_clients(subject)
    ]


def connected_app_detail(*, subject: str, client_id: int) -> AppDetail:
    settle_unknown(subject=subject)
    try:
        details, (tokens, listed), granted = reads.fan_out(
            lambda call: call(),
            [
                lambda: reads.client_details_or_refusal(client_id),
                lambda: reads.tokens_and_client(subject, client_id),
                lambda: reads.granted_scopes(subject, client_id),
            ],
        )
    except TokensUnreadable:
        return _detail_without_tokens(subject, client_id)
    if not tokens:
        raise AppNotConnected(client_id)
    if not isinstance(details, authlete.ClientDetails):
        details = cards.details_from_summary(listed, client_id)
    now = datetime.now(UTC)
    return _detail(
        cards.build_app(details, tokens),
        granted,
        tuple(cards.token_summary(t, now) for t in tokens),
    )


def _detail_without_tokens(subject: str, client_id: int) -> AppDetail:
    """Who the app is and, where the service remembers it, what the person agreed to."""
    app = connected_app_get(subject=subject, client_id=client_id)
    return _detail(app, reads.granted_scopes(subject, client_id), ())


def _detail(
    app: ConnectedApp,
    granted: authlete.GrantedScopes | None,
    tokens: tuple[TokenSummary, ...],
) -> AppDetail:
    def words(scopes: tuple[str, ...] | None) -> tuple[Permission, ...] | None:
        return cards.permissions(scopes) if scopes is not None else None

    return AppDetail(
        app=app,
        latest_granted=words(granted.latest) if granted else None,
        merged_granted=words(granted.merged) if granted else None,
        tokens=tokens,
        consent_known=granted is not None,
    )


def forget_consent(subject: str, client_id: int) -> str:
    """Clear the remembered consent so the app must ask again; say if Authlete would not.

    This runs before the token change: if the token change then fails, the person can simply
    try again, and a consent cleared early only means one more consent screen.
    Shared Authlete servers refuse the call (403: they keep no remembered consent); access still
    ends with the tokens, so that is noted in the audit rather than treated as a failure.
    """
    try:
        authlete.get_client().granted_scopes_delete(client_id=client_id, subject=subject)
    except authlete.AuthleteRejected as exc:
        return f"Remembered consent not cleared ({exc.result_code or exc.status})."
    return ""
