"""A person's connected apps as they see them: the list, one app, its details.

Nothing here trusts a client id until Authlete confirms that the subject holds tokens for it.
Each read also settles changes whose outcome was unknown (``settle``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import UTC, datetime
from enum import StrEnum

from django.conf import settings

from connected_apps import authlete
from connected_apps.services import cards, index, names, reads
from connected_apps.services.errors import AppNotConnected, AppsNotConnected, TokensUnreadable
from connected_apps.services.filters import ListFilter, in_order, matching
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
    *,
    subject: str,
    page: int = 1,
    query: str = "",
    order: ListOrder = ListOrder.REVIEW,
    filters: Iterable[ListFilter] = (),
) -> AppPage:
    """One page of the subject's apps, searched by name, narrowed by ``filters`` (an app must
    match them all) and in the order asked for.

    Filters and every order but NAME depend on each app's tokens, so the page is chosen from the
    person's index of apps (``services/index.py``: kept briefly, rebuilt after any change) and
    its cards are read afresh, then ordered among themselves by what was read.
    """
    settle_unknown(subject=subject)
    size = max(1, settings.PORTAL_PAGE_SIZE)
    query = query.strip()
    filters = in_order(filters)
    try:
        return _list_by_index(subject, page, size, query, order, filters)
    except TokensUnreadable:
        return _list_app_by_app(subject, page, size, query, order, filters)


def _list_by_index(
    subject: str,
    asked: int,
    size: int,
    query: str,
    order: ListOrder,
    filters: tuple[ListFilter, ...],
) -> AppPage:
    known = index.load(subject)
    while True:
        everything = known.ordered(order, lambda apps: _ordered(apps, order, by_key=True))
        chosen = (
            matching(_searched_index(everything, query), filters)
            if query or filters
            else everything
        )
        page, page_count = reads.clamp_page(asked, len(chosen), size)
        shown = chosen[(page - 1) * size : page * size]
        try:
            apps = index.page_cards(subject, known, [app.client_id for app in shown])
        except index.IndexStale:
            # Built in this request, its cards come from its own reads: this runs at most twice.
            known = index.load(subject, rebuild=True)
            continue
        return AppPage(
            apps=names.tell_apart(_ordered(apps, order)),
            page=page,
            page_count=page_count,
            total_count=len(chosen),
            query=query,
            order=order,
            filters=tuple(f.value for f in filters),
            overall_count=len(known.apps),
        )


def _searched_index(apps: list[index.IndexedApp], query: str) -> list[index.IndexedApp]:
    if not query:
        return apps
    needle = names.comparison_key(query)
    return [app for app in apps if needle in app.name_key]


def _list_app_by_app(
    subject: str,
    page: int,
    size: int,
    query: str,
    order: ListOrder,
    filters: tuple[ListFilter, ...],
) -> AppPage:
    """The list where the token list is refused: no index, the cards say what is known."""
    summaries = reads.all_authorized_clients(subject)
    overall = len(summaries)
    summaries = _searched(summaries, query)
    total = len(summaries)
    if order is ListOrder.NAME and not filters:
        page, page_count = reads.clamp_page(page, total, size)
        shown = {s.client_id: _shown_name(s) for s in summaries}
        summaries.sort(key=lambda s: (shown[s.client_id], s.client_id))
        chosen = summaries[(page - 1) * size : page * size]
        apps = [app for app in reads.apps_for(subject, chosen) if app is not None]
    else:
        everything = [app for app in reads.apps_for(subject, summaries) if app is not None]
        if filters:
            everything = matching(everything, filters)
            total = len(everything)
        page, page_count = reads.clamp_page(page, total, size)
        apps = _ordered(everything, order)[(page - 1) * size : page * size]
    return AppPage(
        apps=names.tell_apart(apps),
        page=page,
        page_count=page_count,
        total_count=total,
        query=query,
        order=order,
        filters=tuple(f.value for f in filters),
        overall_count=overall,
    )


def _shown_name(summary: authlete.ClientSummary) -> str:
    # Names are compared as they are shown, so hidden characters cannot dodge a search or sort.
    return names.comparison_key(cards.localized(summary.name, summary.names))


def _searched(summaries: list[authlete.ClientSummary], query: str) -> list[authlete.ClientSummary]:
    if not query:
        return summaries
    needle = names.comparison_key(query)
    return [s for s in summaries if needle in _shown_name(s)]


def connected_app_count(
    *, subject: str, query: str = "", filters: Iterable[ListFilter] = ()
) -> AppPage:
    """How many apps the subject has (matching ``query`` and every filter), as a page with no
    apps on it."""
    query = query.strip()
    filters = in_order(filters)
    if filters:
        try:
            apps = index.load(subject).apps
            total = len(matching(_searched_index(apps, query), filters))
            overall = len(apps)
        except TokensUnreadable:
            summaries = reads.all_authorized_clients(subject)
            cards_ = [app for app in reads.apps_for(subject, _searched(summaries, query)) if app]
            total, overall = len(matching(cards_, filters)), len(summaries)
        return AppPage(
            apps=(),
            page=1,
            page_count=1,
            total_count=total,
            query=query,
            filters=tuple(f.value for f in filters),
            overall_count=overall,
        )
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


def _ordered[A: (ConnectedApp, index.IndexedApp)](
    apps: list[A], order: ListOrder, *, by_key: bool = False
) -> list[A]:
    """The apps in ``order``: cards, or (``by_key``) the index's entries, whose names are
    comparison keys already."""

    def since(moment: datetime | None) -> float:
        return moment.timestamp() if moment else 0.0

    def name(app: A) -> str:
        return app.name if by_key else names.comparison_key(app.name)

    by_name = sorted(apps, key=lambda app: (name(app), app.client_id))
    if order is ListOrder.NAME:
        return by_name
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


def connected_app_selection(*, subject: str, client_ids: Collection[int]) -> list[ConnectedApp]:
    """The chosen apps of the subject, in the order the listing has them, each read afresh.

    Raises AppsNotConnected naming every id that is not one of theirs (a stale page, or a
    crafted request); then none of the chosen apps is returned.
    """
    wanted = set(client_ids)
    listed = [s for s in reads.all_authorized_clients(subject) if s.client_id in wanted]
    found = reads.apps_for(subject, listed)
    held = {app.client_id for app in found if app is not None}
    if foreign := sorted(wanted - held):
        raise AppsNotConnected(foreign)
    return [app for app in found if app is not None]


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
