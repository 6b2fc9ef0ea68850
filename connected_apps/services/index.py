"""A person's whole list of apps as an index: names and the facts ordering and filters need.

Ordering ("needs review" first, recently active, connected) and the filters depend on each
app's tokens, and Authlete's authorized-clients list carries names only. Reading every app's
tokens for every page costs one call per app: 5,000 calls for 5,000 apps, however fast the
pool. So the index is read in two rounds: the listing and the subject's tokens for every client
at once (``auth/token/get/list`` without a client, 20 tokens a call), then the windows after the
first; it is kept for ``PORTAL_LIST_INDEX_SECONDS``. A page is then one round: its apps' tokens.

What keeps it true:

- Every card on a page is built from tokens read in that request, never from the index, and the
  page is ordered among itself by what was just read. The index only picks which apps the page
  shows; their order across pages may lag behind the apps not shown, never the cards.
- Every attempted change writes an audit row before it is sent and another when it is answered
  (``services/audit.py``). The index remembers the subject's latest row; a newer one rebuilds
  it, so a change made in the portal, by the person or by staff, from any worker, shows on the
  next page whatever cache it was kept in.
- An app on the page found gone (no tokens any more) rebuilds the index at once.
- While the whole listing fits one window (``reads.LISTING_WINDOW`` apps), it is read again
  beside every page's cards, at no extra round: an app connected or disconnected elsewhere shows
  at once. Beyond that, an app connected elsewhere, or changed elsewhere and not on the page,
  shows once the index expires.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import Future
from datetime import UTC, datetime
from functools import partial

from connected_apps import authlete
from connected_apps.services import bylines, cards, index_store, names, reads
from connected_apps.services.index_store import AppIndex, IndexedApp
from connected_apps.services.tiers import Tier
from connected_apps.services.types import ConnectedApp

__all__ = ["AppIndex", "IndexStale", "IndexedApp", "load", "page_cards"]


class IndexStale(Exception):
    """What a page read shows disagrees with the index: it must be built again."""


def load(subject: str, *, rebuild: bool = False) -> AppIndex:
    """The subject's index: the kept one while no change was attempted since, else a new one.

    Raises TokensUnreadable where the service refuses the token list (no index can be built).
    """
    generation = index_store.generation(subject)
    if not rebuild and (kept := index_store.kept(subject, generation)) is not None:
        return kept
    built = _build(subject, generation)
    index_store.keep(subject, built)
    return built


def page_cards(subject: str, index: AppIndex, client_ids: Sequence[int]) -> list[ConnectedApp]:
    """The cards of these apps, from tokens read in this request.

    Raises IndexStale when the reads show the index no longer holds: an app gone, or (for a
    listing of one window) apps connected or disconnected since it was built.
    """
    if index.tokens is not None:
        return _cards_from_build(index, client_ids)
    # The listing check is a leaf call beside the page's reads: one round for both.
    check: Future[authlete.AuthorizedClientPage] | None = None
    if index.listed_ids is not None:
        list_all = authlete.get_client().authorization_list
        check = reads.submit(partial(list_all, subject=subject, start=0, end=reads.LISTING_WINDOW))
    found = reads.apps_for(subject, list(client_ids))
    if check is not None:
        listing = check.result()
        if {s.client_id for s in listing.clients} != index.listed_ids:
            raise IndexStale
    if any(app is None for app in found):
        raise IndexStale
    apps = [app for app in found if app is not None]
    _refresh(subject, index, apps)
    return apps


# --- Building ------------------------------------------------------------------------------------


def _build(subject: str, generation: int) -> AppIndex:
    client = authlete.get_client()
    window = reads.LISTING_WINDOW

    def listing(start: int) -> authlete.AuthorizedClientPage:
        return client.authorization_list(subject=subject, start=start, end=start + window)

    first_listing, first_tokens = reads.fan_out(
        lambda call: call(), [partial(listing, 0), partial(reads.subject_token_window, subject, 0)]
    )
    rest = [partial(listing, start) for start in range(window, first_listing.total_count, window)]
    rest += [
        partial(reads.subject_token_window, subject, start)
        for start in range(reads.TOKEN_WINDOW, first_tokens.total_count, reads.TOKEN_WINDOW)
    ]
    pages = reads.fan_out(lambda call: call(), rest)
    summaries: dict[int, authlete.ClientSummary] = {}
    tokens: dict[int, dict[str, authlete.TokenInfo]] = {}
    for page in (first_listing, first_tokens, *pages):
        if isinstance(page, authlete.AuthorizedClientPage):
            summaries.update((s.client_id, s) for s in page.clients)
            continue
        for token in page.tokens:
            # Windows read at once may overlap by a token if one came or went meanwhile.
            if token.subject == subject:
                tokens.setdefault(token.client_id, {})[token.access_token_hash] = token
    held = {cid: list(tokens[cid].values()) for cid in summaries if cid in tokens}
    acting = _acting_scopes(t for ts in held.values() for t in ts)
    now = datetime.now(UTC)
    apps = tuple(
        _facts(cid, _name_key(summaries[cid]), held[cid], acting, now)
        for cid in summaries
        if cid in held
    )
    listed = frozenset(summaries) if first_listing.total_count <= window else None
    return AppIndex(generation, apps, listed, tokens=held, summaries=summaries)


def _cards_from_build(index: AppIndex, client_ids: Sequence[int]) -> list[ConnectedApp]:
    assert index.tokens is not None
    known: dict[int, object] = dict(reads.cached_client_details(client_ids))
    missing = [cid for cid in client_ids if cid not in known]
    known.update(zip(missing, reads.fan_out(reads.client_details_or_refusal, missing), strict=True))
    developers = bylines.confirmed_developers(client_ids)
    apps = []
    for cid in client_ids:
        details = known[cid]
        if not isinstance(details, authlete.ClientDetails):
            details = cards.details_from_summary(index.summaries.get(cid), cid)
        apps.append(cards.build_app(details, index.tokens[cid], developers=developers))
    return apps


def _refresh(subject: str, index: AppIndex, apps: Iterable[ConnectedApp]) -> None:
    """Put what the page just read into the kept index, so the order of every page catches up."""
    fresh = {app.client_id: app for app in apps}
    updated = list(index.apps)
    for position, old in enumerate(index.apps):
        app = fresh.get(old.client_id)
        if app is not None:
            updated[position] = IndexedApp(
                client_id=old.client_id,
                name_key=old.name_key,
                can_act=app.can_act,
                connected_at=index_store.exact(app.connected_at),
                last_used_at=index_store.exact(app.last_used_at),
                renews=app.renewal is not None,
                renews_until=index_store.exact(app.renewal.until) if app.renewal else None,
            )
    if updated != list(index.apps):
        index_store.keep(subject, AppIndex(index.generation, tuple(updated), index.listed_ids))


def _facts(
    client_id: int,
    name_key: str,
    tokens: list[authlete.TokenInfo],
    acting: frozenset[str],
    now: datetime,
) -> IndexedApp:
    # The same rules as cards.build_app and renewal.renewal_of, without the client's metadata.
    created = [t.created_at for t in tokens if t.created_at]
    used = [
        t.last_refreshed_at or t.created_at for t in tokens if t.last_refreshed_at or t.created_at
    ]
    renewing = [
        t
        for t in tokens
        if t.refresh_token_hash
        and (t.refresh_token_expires_at is None or t.refresh_token_expires_at > now)
    ]
    ends = [t.refresh_token_expires_at for t in renewing]
    return IndexedApp(
        client_id=client_id,
        name_key=name_key,
        can_act=any(s in acting for t in tokens for s in (*t.scopes, *t.refresh_token_scopes)),
        connected_at=index_store.exact(min(created)) if created else None,
        last_used_at=index_store.exact(max(used)) if used else None,
        renews=bool(renewing),
        renews_until=None
        if not ends or None in ends
        else index_store.exact(max(e for e in ends if e)),
    )


def _acting_scopes(tokens: Iterable[authlete.TokenInfo]) -> frozenset[str]:
    """Which of these tokens' scopes can act for the person (one look at the service's tiers)."""
    scopes = {s for t in tokens for s in (*t.scopes, *t.refresh_token_scopes)}
    return frozenset(p.scope for p in cards.permissions(sorted(scopes)) if p.tier is Tier.ACT)


def _name_key(summary: authlete.ClientSummary) -> str:
    # Names are compared as they are shown, so hidden characters cannot dodge a search or sort.
    return names.comparison_key(cards.localized(summary.name, summary.names))
