"""Reads every use case shares: paged listings, cached client and scope metadata, card building.

Per-app calls of one page go out at once on a small thread pool, so a page costs about two
Authlete round trips whatever its size.
"""

from __future__ import annotations

import contextvars
import math
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from django.conf import settings
from django.core.cache import cache

from connected_apps import authlete
from connected_apps.services import bylines, cards
from connected_apps.services.errors import TokensUnreadable
from connected_apps.services.types import ConnectedApp

# Authlete documents no maximum window for the authorized-clients list; 100 is what a
# production integration pages by (docs/authlete-behaviours.md).
LISTING_WINDOW = 100
# The token list answers an error past 20 tokens a call (Authlete KB, "Getting a list of issued
# access tokens"), so it is always read in windows of 20.
TOKEN_WINDOW = 20
# A service that refuses the token list ("not available for free plan users yet", Authlete's
# page for /auth/token/get/list) is not asked again for this long.
_TOKENS_REFUSED_KEY = "authlete:token-list-refused"
_TOKENS_REFUSED_SECONDS = 600
# Per-app calls of one page run at once: a page of 50 apps is 50 token reads, and they must go
# out in one round, not in waves of a smaller pool. The threads only wait on sockets; the
# sessions' connection pools hold as many (authlete/transport.py).
_executor = ThreadPoolExecutor(max_workers=64, thread_name_prefix="authlete")


def fan_out[T, R](function: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """Apply ``function`` to every item at once on the Authlete pool, keeping the order."""
    items = list(items)
    if len(items) <= 1:
        return [function(item) for item in items]
    # Each call runs in a copy of the caller's context, so the page's Authlete deadline holds.
    contexts = [contextvars.copy_context() for _ in items]
    return list(_executor.map(lambda c, item: c.run(function, item), contexts, items))


def submit[R](call: Callable[[], R]) -> Future[R]:
    """Start one call on the Authlete pool, in a copy of the caller's context, and go on.

    Only for a call that starts no calls of its own: one waiting on the pool from inside it
    could wait for a thread that never comes.
    """
    return _executor.submit(contextvars.copy_context().run, call)


def clamp_page(page: int, total: int, size: int) -> tuple[int, int]:
    """The nearest real page to the one asked for, and how many pages there are."""
    page_count = max(1, math.ceil(total / size))
    return min(max(1, page), page_count), page_count


def all_authorized_clients(subject: str) -> list[authlete.ClientSummary]:
    client = authlete.get_client()
    first = client.authorization_list(subject=subject, start=0, end=LISTING_WINDOW)
    summaries = list(first.clients)
    starts = range(LISTING_WINDOW, first.total_count, LISTING_WINDOW)
    pages = fan_out(
        lambda start: client.authorization_list(
            subject=subject, start=start, end=start + LISTING_WINDOW
        ),
        starts,
    )
    for page in pages:
        summaries.extend(page.clients)
    return summaries


def all_tokens(subject: str, client_id: int) -> list[authlete.TokenInfo]:
    """Every token of the subject for the client; none when Authlete knows no such pair."""
    return tokens_and_client(subject, client_id)[0]


def tokens_and_client(
    subject: str, client_id: int
) -> tuple[list[authlete.TokenInfo], authlete.ClientSummary | None]:
    """Every token of the pair, and what the token list says of the client (its name).

    Raises TokensUnreadable where the service refuses the token list.
    """
    if token_list_refused():
        raise TokensUnreadable(client_id)
    client = authlete.get_client()
    try:
        first = client.token_list(subject=subject, client_id=client_id, start=0, end=TOKEN_WINDOW)
    except authlete.AuthleteRejected as exc:
        if is_unknown_id(exc):
            return [], None
        if exc.status == 403:
            cache.set(_TOKENS_REFUSED_KEY, True, _TOKENS_REFUSED_SECONDS)
            raise TokensUnreadable(client_id) from exc
        raise
    starts = range(TOKEN_WINDOW, first.total_count, TOKEN_WINDOW)
    pages = fan_out(
        lambda start: client.token_list(
            subject=subject, client_id=client_id, start=start, end=start + TOKEN_WINDOW
        ),
        starts,
    )
    tokens = [token for page in (first, *pages) for token in page.tokens]
    # Authlete answers for the subject asked; anything else is not this person's.
    mine = [t for t in tokens if t.subject == subject and t.client_id == client_id]
    return mine, first.client


def subject_token_window(subject: str, start: int) -> authlete.TokenPage:
    """One window of the subject's tokens for every client at once (no client named), so that
    a person's whole list costs one call per 20 tokens rather than one per app.

    Raises TokensUnreadable where the service refuses the token list.
    """
    if token_list_refused():
        raise TokensUnreadable(0)
    try:
        return authlete.get_client().token_list(
            subject=subject, client_id=None, start=start, end=start + TOKEN_WINDOW
        )
    except authlete.AuthleteRejected as exc:
        if exc.status == 403:
            cache.set(_TOKENS_REFUSED_KEY, True, _TOKENS_REFUSED_SECONDS)
            raise TokensUnreadable(0) from exc
        raise


def token_list_refused() -> bool:
    """Whether this service was seen refusing the token list lately."""
    return bool(cache.get(_TOKENS_REFUSED_KEY))


def is_unknown_id(exc: authlete.AuthleteError) -> bool:
    """Whether Authlete's refusal means "no such client or token".

    Where the spec lists no 404, Authlete may answer an unknown id with 404 or 400 (both are
    modelled, docs/authlete-behaviours.md). The portal only sends well-formed requests within
    the documented windows, so a 400 on a call about one id says that id is unknown.
    """
    return isinstance(exc, authlete.AuthleteNotFound) or exc.status == 400


def client_details(client_id: int) -> authlete.ClientDetails:
    """Client display metadata, cached: it changes rarely and every card needs it."""
    key = _client_cache_key(client_id)
    details = cache.get(key)
    if details is None:
        details = authlete.get_client().client_get(client_id)
        cache.set(key, details, settings.PORTAL_CLIENT_CACHE_SECONDS)
    return details


def client_details_or_none(client_id: int) -> authlete.ClientDetails | None:
    try:
        return client_details(client_id)
    except authlete.AuthleteRejected as exc:
        if is_unknown_id(exc):
            return None
        raise


def client_display(
    client_id: int, summary: authlete.ClientSummary | None
) -> authlete.ClientDetails:
    """The client's metadata for a card; what a list said of it when the client can't be read.

    A token without client-view rights (403), or a client gone from client/get, costs the card
    its logo and links, not the whole page: the lists already carry the name.
    """
    try:
        return client_details(client_id)
    except authlete.AuthleteRejected:
        return cards.details_from_summary(summary, client_id)


def cached_client_details(client_ids: Iterable[int]) -> dict[int, authlete.ClientDetails]:
    """The clients' metadata the cache holds now, in one cache round; the rest are left out."""
    keys = {_client_cache_key(cid): cid for cid in client_ids}
    return {keys[key]: details for key, details in cache.get_many(list(keys)).items()}


def forget_client_details(client_id: int) -> None:
    """Cards show the cached metadata; a changed or deleted client must not linger there."""
    cache.delete(_client_cache_key(client_id))


def granted_scopes(subject: str, client_id: int) -> authlete.GrantedScopes | None:
    """The remembered consent, or None where the service will not show it."""
    try:
        return authlete.get_client().granted_scopes_get(client_id=client_id, subject=subject)
    except authlete.AuthleteRejected:
        # Remembered consent is a feature of dedicated Authlete servers (shared ones answer 403);
        # without it the page says nothing about consent rather than "none is remembered".
        return None


def apps_for(
    subject: str, clients: Sequence[int | authlete.ClientSummary]
) -> list[ConnectedApp | None]:
    """Build the cards of these clients with every Authlete call of the batch in flight at once.

    ``clients`` are ids, or the listing's summaries (whose names stand in for a client that
    cannot be read). A client the subject holds no tokens for comes back as None.
    """
    summaries = [c if isinstance(c, authlete.ClientSummary) else None for c in clients]
    ids = [c.client_id if isinstance(c, authlete.ClientSummary) else int(c) for c in clients]
    if token_list_refused():
        return _apps_without_tokens(subject, ids, summaries)
    # Cached metadata is taken in one cache round; only what is missing joins the token reads.
    known: dict[int, object] = dict(cached_client_details(ids))
    missing = [cid for cid in dict.fromkeys(ids) if cid not in known]
    calls: list[Callable[[], object]] = [
        lambda cid=cid: client_details_or_refusal(cid) for cid in missing
    ]
    calls += [lambda cid=cid: tokens_and_client(subject, cid) for cid in ids]
    try:
        results = fan_out(lambda call: call(), calls)
    except TokensUnreadable:
        return _apps_without_tokens(subject, ids, summaries)
    known.update(zip(missing, results[: len(missing)], strict=True))
    developers = bylines.confirmed_developers(ids)
    apps: list[ConnectedApp | None] = []
    for cid, summary, (tokens, listed) in zip(ids, summaries, results[len(missing) :], strict=True):
        details = known[cid]
        if not tokens:
            apps.append(None)
            continue
        if not isinstance(details, authlete.ClientDetails):
            details = cards.details_from_summary(summary or listed, cid)
        apps.append(cards.build_app(details, tokens, developers=developers))
    return apps


def listed_client(subject: str, client_id: int) -> authlete.ClientSummary | None:
    """The client as the subject's authorized-clients list shows it, or None if not listed.

    Without the token list, this listing is the only proof that an app is the person's.
    """
    return next((s for s in all_authorized_clients(subject) if s.client_id == client_id), None)


def _apps_without_tokens(
    subject: str, ids: list[int], summaries: list[authlete.ClientSummary | None]
) -> list[ConnectedApp | None]:
    """Cards from the listing and the clients' metadata alone: who each app is, not what it
    may do."""
    if any(summary is None for summary in summaries):
        listed = {s.client_id: s for s in all_authorized_clients(subject)}
        summaries = [listed.get(cid) for cid in ids]
    details = fan_out(client_details_or_refusal, ids)
    return [
        cards.unread_app(
            d if isinstance(d, authlete.ClientDetails) else cards.details_from_summary(s, cid)
        )
        if s is not None
        else None
        for cid, s, d in zip(ids, summaries, details, strict=True)
    ]


def client_details_or_refusal(
    client_id: int,
) -> authlete.ClientDetails | authlete.AuthleteRejected:
    """The client's metadata, or Authlete's refusal as a value, so that calls running at once
    can go on and the card fall back to the listed name."""
    try:
        return client_details(client_id)
    except authlete.AuthleteRejected as exc:
        return exc


def _client_cache_key(client_id: int) -> str:
    return f"authlete:client:{client_id}"
