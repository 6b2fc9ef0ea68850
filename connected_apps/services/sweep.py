"""Disconnecting one app from everyone (incident response): who holds it, locking it, starting
the sweep, retrying its failures, and the report.

The work itself runs in the task worker (``sweep_run``); these use cases answer staff pages.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from connected_apps import authlete
from connected_apps.models import AuditEvent
from connected_apps.services import names, reads
from connected_apps.services.audit import Actor, audit_event_record, outcome_of
from connected_apps.services.errors import PortalError
from connected_apps.services.sweep_run import TOKEN_WINDOW
from connected_apps.sweep_models import Sweep, SweepItem

# The holders' count is exact up to this many tokens (read at once); past it, a lower bound.
_COUNTED_WINDOWS = 10
# A name search reads the service's clients this many at a time, this many times at most.
_CLIENT_WINDOW = 100
_CLIENT_WINDOWS = 5


class AppUnknown(PortalError):
    """Authlete knows no client with this id."""


class SweepAlreadyRunning(PortalError):
    """The app is being disconnected from everyone already; a second sweep would run twice."""

    def __init__(self, sweep: Sweep) -> None:
        super().__init__(sweep.pk)
        self.sweep = sweep


@dataclass(frozen=True, slots=True)
class Holder:
    subject: str
    token_count: int


@dataclass(frozen=True, slots=True)
class AppHolders:
    """One app and who holds its tokens: a page of them, or those a search named."""

    client: authlete.ClientDetails
    name: str
    token_count: int
    people_count: int
    # False when there were more tokens than were read to count people: a lower bound.
    people_exact: bool
    holders: tuple[Holder, ...]
    page: int
    page_count: int
    searched: bool


def app_find(*, query: str) -> list[authlete.ClientSummary]:
    """Apps by id (exactly) or by name (contains, as pages show names), at most a few hundred
    read from the service's client list."""
    query = query.strip()
    client = authlete.get_client()
    if query.isascii() and query.isdigit() and len(query) < 19:
        try:
            return [client.client_get(int(query))]
        except authlete.AuthleteRejected as exc:
            if not reads.is_unknown_id(exc):
                raise
    needle = names.comparison_key(query)
    found: list[authlete.ClientSummary] = []
    for window in range(_CLIENT_WINDOWS):
        start = window * _CLIENT_WINDOW
        page = client.client_list(start=start, end=start + _CLIENT_WINDOW)
        found += [c for c in page.clients if needle and needle in names.comparison_key(c.name)]
        if start + _CLIENT_WINDOW >= page.total_count:
            break
    return found


def app_holders(
    *, client_id: int, page: int = 1, subjects: Iterable[str] = (), census: bool = True
) -> AppHolders:
    """The app, how many people hold its tokens, and one page of them (20 tokens a page), or
    only ``subjects`` among them when a search named some. Without ``census`` people are
    counted in the first window alone (a confirmation needs only the token count)."""
    client = _client(client_id)
    api = authlete.get_client()
    first = api.token_list(subject=None, client_id=client_id, start=0, end=TOKEN_WINDOW)
    total = first.total_count
    counted = min(total, TOKEN_WINDOW * (_COUNTED_WINDOWS if census else 1))
    windows = reads.fan_out(
        lambda start: api.token_list(
            subject=None, client_id=client_id, start=start, end=start + TOKEN_WINDOW
        ),
        range(TOKEN_WINDOW, counted, TOKEN_WINDOW),
    )
    everyone = {t.subject for w in (first, *windows) for t in w.tokens if t.subject}
    subjects = sorted(set(subjects))
    if subjects:
        pages = reads.fan_out(
            lambda subject: api.token_list(
                subject=subject, client_id=client_id, start=0, end=TOKEN_WINDOW
            ),
            subjects,
        )
        holders = [Holder(s, p.total_count) for s, p in zip(subjects, pages, strict=True)]
        shown, page, page_count = [h for h in holders if h.token_count], 1, 1
    else:
        page, page_count = reads.clamp_page(page, total, TOKEN_WINDOW)
        start = (page - 1) * TOKEN_WINDOW
        window = (
            first
            if page == 1
            else api.token_list(
                subject=None, client_id=client_id, start=start, end=start + TOKEN_WINDOW
            )
        )
        held = Counter(t.subject for t in window.tokens if t.subject)
        shown = [Holder(subject, count) for subject, count in sorted(held.items())]
    return AppHolders(
        client=client,
        name=names.display_name(client.name, client_id),
        token_count=total,
        people_count=len(everyone),
        people_exact=counted >= total,
        holders=tuple(shown),
        page=page,
        page_count=page_count,
        searched=bool(subjects),
    )


def _client(client_id: int) -> authlete.ClientDetails:
    """The app as Authlete holds it now (never the cache: the lock flag must be current)."""
    try:
        return authlete.get_client().client_get(client_id)
    except authlete.AuthleteRejected as exc:
        if reads.is_unknown_id(exc):
            raise AppUnknown(client_id) from exc
        raise


def sweep_start(*, client_id: int, actor: Actor, lock: bool) -> Sweep:
    """Lock the app first if asked, then queue its disconnection from everyone.

    Raises SweepAlreadyRunning when a sweep of the app is active (the database refuses a second
    one, whoever races), and AuthleteError when the lock asked for could not be set: then no
    sweep starts, and the staff member decides again.
    """
    if active := Sweep.objects.filter(client_id=client_id, status__in=Sweep.ACTIVE).first():
        raise SweepAlreadyRunning(active)
    client = _client(client_id)
    locked_at = None
    if lock:
        app_lock_set(client=client, locked=True, actor=actor)
        locked_at = timezone.now()
    user = actor.user if getattr(actor.user, "is_authenticated", False) else None
    try:
        with transaction.atomic():
            sweep = Sweep.objects.create(
                client_id=client_id,
                client_name=names.display_name(client.name, client_id),
                reason=actor.reason,
                started_by=user,
                started_by_username=getattr(user, "username", ""),
                ip_address=actor.ip_address,
                lock_requested=lock,
                locked_at=locked_at,
                requests_per_second=settings.PORTAL_SWEEP_REQUESTS_PER_SECOND,
            )
            _queue_now(sweep)
    except IntegrityError:
        raise SweepAlreadyRunning(
            Sweep.objects.get(client_id=client_id, status__in=Sweep.ACTIVE)
        ) from None
    return sweep


def app_lock_set(*, client: authlete.ClientDetails, locked: bool, actor: Actor) -> None:
    """Lock (or unlock) the app, with the staff member's reason on the audit trail."""
    values_before, values_after = {"locked": client.locked}, {"locked": locked}
    error = None
    try:
        done = authlete.get_client().client_lock_update(client_id=client.client_id, locked=locked)
    except authlete.AuthleteError as exc:
        error, outcome, result_code = exc, outcome_of(exc), ""
    else:
        outcome, result_code = AuditEvent.Outcome.SUCCESS, done.result_code
    try:
        audit_event_record(
            actor=actor,
            subject="",
            client_id=client.client_id,
            client_name=client.name,
            action=AuditEvent.Action.CLIENT_UPDATE,
            outcome=outcome,
            values_before=values_before,
            values_after=values_after,
            error=error,
            result_code=result_code,
            note="Locked the app: it can get no new tokens."
            if locked
            else "Unlocked the app: it can get tokens again.",
        )
    except DatabaseError:
        if error is None:
            raise
    if error is not None:
        raise error
    reads.forget_client_details(client.client_id)


def sweep_retry_failed(*, sweep_id: int, actor: Actor) -> int:
    """Try every failed person again, as the staff member asking; how many that is.

    Raises SweepAlreadyRunning while this sweep, or another of the app, is active.
    """
    sweep = Sweep.objects.get(pk=sweep_id)
    if sweep.is_active:
        raise SweepAlreadyRunning(sweep)
    user = actor.user if getattr(actor.user, "is_authenticated", False) else None
    try:
        with transaction.atomic():
            count = sweep.items.filter(status=SweepItem.Status.FAILED).update(
                status=SweepItem.Status.PENDING, outcome="", detail="", attempts=0
            )
            if count:
                Sweep.objects.filter(pk=sweep.pk).update(
                    status=Sweep.Status.RUNNING,
                    finished_at=None,
                    rescans=0,
                    retried_by=user,
                    retried_at=timezone.now(),
                )
                _queue_now(sweep)
    except IntegrityError:
        raise SweepAlreadyRunning(
            Sweep.objects.get(client_id=sweep.client_id, status__in=Sweep.ACTIVE)
        ) from None
    return count


def _queue_now(sweep: Sweep) -> None:
    # Imported here: the task module builds on these services, not the other way round.
    from connected_apps.tasks import run_sweep

    transaction.on_commit(lambda: run_sweep.enqueue(sweep_id=sweep.pk))


@dataclass(frozen=True, slots=True)
class SweepProgress:
    sweep: Sweep
    done: int
    failed: int
    remaining: int
    already_gone: int

    @property
    def total(self) -> int:
        return self.done + self.failed + self.remaining

    @property
    def percent(self) -> int:
        return math.floor(100 * (self.done + self.failed) / self.total) if self.total else 0

    @property
    def calls_per_second(self) -> float:
        """The pace the sweep kept, in Authlete calls a second of its working time."""
        sweep = self.sweep
        return sweep.authlete_calls / sweep.working_seconds if sweep.working_seconds else 0.0


def sweep_progress(*, sweep_id: int) -> SweepProgress:
    sweep = Sweep.objects.select_related("started_by", "retried_by").get(pk=sweep_id)
    counts = Counter(sweep.items.values_list("status", flat=True).iterator())
    return SweepProgress(
        sweep=sweep,
        done=counts[SweepItem.Status.DONE],
        failed=counts[SweepItem.Status.FAILED],
        remaining=counts[SweepItem.Status.PENDING] + counts[SweepItem.Status.CLAIMED],
        already_gone=sweep.items.filter(outcome=SweepItem.Outcome.ALREADY_GONE).count(),
    )


def sweep_items(*, sweep_id: int, status: str, page: int, size: int = 50) -> tuple[list, int, int]:
    """One page of the people with this status, and the page shown and the number of pages."""
    items = SweepItem.objects.filter(sweep_id=sweep_id, status=status).order_by("subject")
    page, page_count = reads.clamp_page(page, items.count(), size)
    return list(items[(page - 1) * size : page * size]), page, page_count


def sweeps_of_app(*, client_id: int, limit: int = 10) -> list[Sweep]:
    return list(Sweep.objects.filter(client_id=client_id)[:limit])
