"""The background work of disconnecting one app from everyone: list who holds it, then take it
from each person through the same path a person's own disconnect takes, paced and resumable.

A run works on a sweep for one slice of time, holding the sweep's lease, then queues the next
run. Each run first queues a guard due just after its lease ends: if the worker dies, the guard
takes the sweep over there, and people claimed by the dead run are claimed again once their
claim is older than the longest a change can last. A person whose app is already gone by then
is recorded as such, never disconnected twice.
"""

from __future__ import annotations

import logging
import secrets
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F, Q
from django.utils import timezone

from connected_apps import authlete
from connected_apps.authlete.pacing import Pacer
from connected_apps.services import revoke
from connected_apps.services.audit import Actor
from connected_apps.services.errors import (
    AppNotConnected,
    AuditUnavailable,
    ChangeInProgress,
    ChangeNotConfirmed,
    OutcomeUnknown,
)
from connected_apps.services.locks import longest_change_seconds
from connected_apps.sweep_models import Sweep, SweepItem

logger = logging.getLogger(__name__)

# The token list answers an error past 20 tokens a call (Authlete KB, "Getting a list of issued
# access tokens"), so the app's holders are read 20 tokens at a time.
TOKEN_WINDOW = 20
# Transient trouble (Authlete away, the person's app busy) is tried this many times per person.
_ATTEMPTS = 3
# Pause after trouble Authlete gave no Retry-After for.
_BACKOFF_SECONDS = 1.0
# The list is read again at the end, to catch tokens issued meanwhile, at most this many times.
_RESCANS = 3

Item = SweepItem.Status
Outcome = SweepItem.Outcome


def lease_seconds() -> float:
    """How long a run may hold a sweep: its slice, plus the longest the change it is in the
    middle of may last."""
    return settings.PORTAL_SWEEP_SLICE_SECONDS + longest_change_seconds() + 1


def sweep_run(*, sweep_id: int) -> str:
    """Work on the sweep for one slice, if no other run holds it; say what became of it."""
    owner = secrets.token_hex(8)
    sweep = _take_lease(sweep_id, owner)
    if sweep is None:
        return "not due: finished, or another run holds it"
    _queue(sweep_id, at=sweep.lease_until + timedelta(seconds=1))  # the guard
    started = time.monotonic()
    with authlete.paced(sweep.requests_per_second) as pacer:
        try:
            next_run = _work(sweep, owner, pacer, stop_at=started + _slice())
        finally:
            Sweep.objects.filter(pk=sweep_id, lease_owner=owner).update(
                lease_owner="",
                lease_until=None,
                authlete_calls=F("authlete_calls") + pacer.calls,
                working_seconds=F("working_seconds") + (time.monotonic() - started),
                waited_seconds=F("waited_seconds") + pacer.held,
            )
    if next_run is None:
        return "finished"
    _queue(sweep_id, at=next_run)
    return "continues"


def _slice() -> float:
    return float(settings.PORTAL_SWEEP_SLICE_SECONDS)


def _take_lease(sweep_id: int, owner: str) -> Sweep | None:
    """The sweep, leased to this run, if it is active and nobody else holds a live lease.

    One conditional UPDATE: the database lets exactly one of two runs racing for it win.
    """
    now = timezone.now()
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    taken = Sweep.objects.filter(free, pk=sweep_id, status__in=Sweep.ACTIVE).update(
        lease_owner=owner, lease_until=now + timedelta(seconds=lease_seconds())
    )
    return (
        Sweep.objects.select_related("started_by", "retried_by").get(pk=sweep_id) if taken else None
    )


def _queue(sweep_id: int, *, at: datetime) -> None:
    # Imported here: the task module builds on these services, not the other way round.
    from connected_apps.tasks import run_sweep

    try:
        run_sweep.using(run_after=at).enqueue(sweep_id=sweep_id)
    except DatabaseError:
        # The guard queued at the start of a run takes the sweep over once its lease ends.
        logger.exception("sweep %s: could not queue its next run", sweep_id)


def _work(sweep: Sweep, owner: str, pacer: Pacer, *, stop_at: float) -> datetime | None:
    """Do the sweep's work until ``stop_at``; when to run next, or None once it is finished."""
    while time.monotonic() < stop_at:
        if sweep.status == Sweep.Status.FINISHED:
            return None
        if sweep.status == Sweep.Status.LISTING:
            if not _list_holders(sweep, pacer, stop_at):
                return timezone.now()
            continue
        item = _claim(sweep, owner)
        if item is not None:
            _disconnect(sweep, item, owner, pacer)
            continue
        in_progress = sweep.items.filter(status=Item.CLAIMED).order_by("claimed_at").first()
        if in_progress is not None:
            # A dead run's claim: it can be claimed again once the change it was in has ended.
            return in_progress.claimed_at + timedelta(seconds=longest_change_seconds() + 1)
        if sweep.rescans >= _RESCANS:
            _finish(sweep)
            return None
        # Read the list again: anyone who got a token meanwhile is disconnected too.
        sweep.status, sweep.listed_through, sweep.rescans = (
            Sweep.Status.LISTING,
            0,
            sweep.rescans + 1,
        )
        Sweep.objects.filter(pk=sweep.pk).update(
            status=sweep.status, listed_through=0, rescans=sweep.rescans
        )
    return timezone.now()


def _list_holders(sweep: Sweep, pacer: Pacer, stop_at: float) -> bool:
    """Add everyone holding a token of the app, a window at a time; True once all are listed.

    The window read last is saved, so a run that dies resumes from there.
    """
    client = authlete.get_client()
    start = sweep.listed_through
    while time.monotonic() < stop_at:
        try:
            page = client.token_list(
                subject=None, client_id=sweep.client_id, start=start, end=start + TOKEN_WINDOW
            )
        except authlete.AuthleteError as exc:
            if _transient(exc):
                pacer.hold(exc.retry_after or _BACKOFF_SECONDS)
                continue
            # The list cannot be read (a plan without it, a gone client): say so and stop.
            _finish(sweep, problem=str(exc))
            return True
        _add_items(sweep, {t.subject for t in page.tokens if t.subject})
        start += TOKEN_WINDOW
        sweep.listed_through = start
        Sweep.objects.filter(pk=sweep.pk).update(listed_through=start)
        if start >= page.total_count:
            if sweep.items.filter(status=Item.PENDING).exists():
                sweep.status = Sweep.Status.RUNNING
                Sweep.objects.filter(pk=sweep.pk).update(status=sweep.status)
            else:
                _finish(sweep)
            return True
    return False


def _add_items(sweep: Sweep, subjects: set[str]) -> None:
    SweepItem.objects.bulk_create(
        [SweepItem(sweep=sweep, subject=subject) for subject in sorted(subjects)],
        ignore_conflicts=True,
    )
    if sweep.rescans:
        # Disconnected earlier, holding a token again: it was issued after (an unlocked app).
        sweep.items.filter(subject__in=subjects, status=Item.DONE).update(
            status=Item.PENDING, outcome="", detail="", finished_at=None
        )


def _finish(sweep: Sweep, problem: str = "") -> None:
    sweep.status = Sweep.Status.FINISHED
    Sweep.objects.filter(pk=sweep.pk).update(
        status=sweep.status, finished_at=timezone.now(), problem=problem[:1000]
    )


def _claim(sweep: Sweep, owner: str) -> SweepItem | None:
    """The next person to disconnect, claimed by this run alone.

    PostgreSQL locks the row, skipping rows another run holds; SQLite takes the database's write
    lock when the transaction begins (``transaction_mode`` IMMEDIATE), so claims run one at a
    time. Either way the UPDATE checks the row is still claimable.
    """
    now = timezone.now()
    stale = now - timedelta(seconds=longest_change_seconds())
    claimable = Q(status=Item.PENDING) | Q(status=Item.CLAIMED, claimed_at__lt=stale)
    with transaction.atomic():
        ids = list(
            sweep.items.filter(claimable)
            .select_for_update(skip_locked=True)
            .order_by("pk")
            .values_list("pk", flat=True)[:1]
        )
        if not ids:
            return None
        SweepItem.objects.filter(claimable, pk__in=ids).update(
            status=Item.CLAIMED, claimed_by=owner, claimed_at=now, attempts=F("attempts") + 1
        )
    return SweepItem.objects.filter(pk__in=ids, claimed_by=owner, status=Item.CLAIMED).first()


def _disconnect(sweep: Sweep, item: SweepItem, owner: str, pacer: Pacer) -> None:
    """Disconnect the app from one person, as support would one by one: audited with the reason,
    told to the person, confirmed by reading back."""
    actor = Actor(
        user=sweep.retried_by or sweep.started_by,
        ip_address=sweep.ip_address,
        on_behalf=True,
        reason=sweep.reason,
    )
    try:
        revoke.connected_app_revoke(subject=item.subject, client_id=sweep.client_id, actor=actor)
    except AppNotConnected:
        _settle(item, owner, Item.DONE, Outcome.ALREADY_GONE)
    except ChangeNotConfirmed:
        _settle(item, owner, Item.FAILED, Outcome.STILL_LISTED)
    except OutcomeUnknown as exc:
        _settle(item, owner, Item.FAILED, Outcome.UNKNOWN, str(exc.__cause__ or ""))
    except ChangeInProgress:
        _again_or_fail(item, owner, Outcome.BUSY, "")
    except AuditUnavailable:
        _again_or_fail(item, owner, Outcome.AUDIT, "")
    except authlete.AuthleteError as exc:
        if not _transient(exc):
            _settle(item, owner, Item.FAILED, Outcome.REJECTED, str(exc))
            return
        pacer.hold(exc.retry_after or _BACKOFF_SECONDS)
        if exc.status == 429:
            # Authlete asked us to slow down: the person waits their turn again, at no cost.
            _release_claim(item, owner, refund=True)
            return
        _again_or_fail(item, owner, Outcome.UNAVAILABLE, str(exc))
    else:
        _settle(item, owner, Item.DONE, Outcome.REVOKED)


def _transient(exc: authlete.AuthleteError) -> bool:
    """Trouble that waiting cures: a 429, Authlete away, an open circuit."""
    return isinstance(exc, authlete.AuthleteUnavailable) or exc.status == 429


def _settle(item: SweepItem, owner: str, status: str, outcome: str, detail: str = "") -> None:
    SweepItem.objects.filter(pk=item.pk, claimed_by=owner).update(
        status=status,
        outcome=outcome,
        detail=detail[:1000],
        finished_at=timezone.now(),
        claimed_by="",
    )


def _again_or_fail(item: SweepItem, owner: str, outcome: str, detail: str) -> None:
    if item.attempts >= _ATTEMPTS:
        _settle(item, owner, Item.FAILED, outcome, detail)
    else:
        _release_claim(item, owner)


def _release_claim(item: SweepItem, owner: str, *, refund: bool = False) -> None:
    SweepItem.objects.filter(pk=item.pk, claimed_by=owner).update(
        status=Item.PENDING,
        claimed_by="",
        claimed_at=None,
        attempts=F("attempts") - 1 if refund else F("attempts"),
    )
