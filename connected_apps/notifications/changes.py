"""Confirmed changes to e-mails: queued once Authlete's state confirms a change, gathered per
person a little later, so that changes made together are told together.

The audit writer calls ``change_confirmed`` for every row that completes or settles a change;
only a change that Authlete's state confirmed (outcome "success", at once or settled later) is
told, never a refused or failed attempt. ``changes_gather`` then takes every such change of the
subject that nobody was told yet, within ``_LOOK_BACK``, and records for each person which
changes went into which e-mail (``NotifiedChange``), so none is told twice and none is skipped.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from connected_apps.models import AuditEvent
from connected_apps.notifications.models import Notification, NotifiedChange
from connected_apps.notifications.recipients import people_with_subject, wants_access_removed_mail

logger = logging.getLogger(__name__)

# What support may do for someone, each told to them; the person's own changes are told when
# an app loses access (a disconnect, fewer permissions, an ended sign-in).
SUPPORT_TOLD = frozenset(
    {
        AuditEvent.Action.NARROW,
        AuditEvent.Action.REVOKE,
        AuditEvent.Action.TOKEN_NARROW,
        AuditEvent.Action.TOKEN_EXPIRY,
        AuditEvent.Action.TOKEN_PROPERTIES,
        AuditEvent.Action.TOKEN_DELETE,
    }
)
ACCESS_REMOVED = frozenset(
    {
        AuditEvent.Action.NARROW,
        AuditEvent.Action.REVOKE,
        AuditEvent.Action.TOKEN_NARROW,
        AuditEvent.Action.TOKEN_DELETE,
    }
)
# Older confirmed changes are not told: the trail predates the e-mails, and news a week late is
# no warning. A gather that could not run for this long has bigger troubles than one e-mail.
_LOOK_BACK = timedelta(days=2)


def change_confirmed(event: AuditEvent) -> None:
    """Queue the e-mail about ``event`` once its row is committed, if it is news to tell."""
    if event.outcome != AuditEvent.Outcome.SUCCESS or event.action not in SUPPORT_TOLD:
        return
    if not event.on_behalf and event.action not in ACCESS_REMOVED:
        return
    subject = event.subject
    transaction.on_commit(lambda: _queue_gather(subject))


def _queue_gather(subject: str) -> None:
    # Imported here: the tasks build on this module.
    from connected_apps.notifications.tasks import gather_changes

    due = timezone.now() + timedelta(seconds=settings.PORTAL_NOTIFY_DELAY_SECONDS)
    try:
        gather_changes.using(run_after=due).enqueue(subject=subject)
    except DatabaseError:
        # The change stays untold on record; the subject's next gather picks it up.
        logger.exception("notifications: could not queue the e-mail about a change")


def changes_gather(*, subject: str) -> list[Notification]:
    """Turn the subject's confirmed, untold changes into e-mails; returns the e-mails to send."""
    since = timezone.now() - _LOOK_BACK
    confirmed = list(
        AuditEvent.objects.outcomes()
        .filter(
            subject=subject,
            outcome=AuditEvent.Outcome.SUCCESS,
            action__in=SUPPORT_TOLD,
            created_at__gte=since,
        )
        .order_by("created_at", "id")
    )
    if not confirmed:
        return []
    made: list[Notification] = []
    for person in people_with_subject(subject):
        try:
            with transaction.atomic():
                made += _tell(person, confirmed)
        except IntegrityError:
            # Another worker told these changes meanwhile: the unique constraint kept the
            # person from hearing twice, and this gather's rows were rolled back.
            logger.info("notifications: changes were gathered by another worker")
    return made


def _tell(person: object, confirmed: list[AuditEvent]) -> list[Notification]:
    told = set(
        NotifiedChange.objects.filter(user=person, event__in=confirmed).values_list(
            "event_id", flat=True
        )
    )
    untold = [event for event in confirmed if event.pk not in told]
    by_support = [event for event in untold if event.on_behalf]
    removed = [e for e in untold if not e.on_behalf and e.action in ACCESS_REMOVED]
    made = []
    if by_support:
        made.append(_notification(person, Notification.Kind.SUPPORT_ACTED, by_support))
    if removed and wants_access_removed_mail(person):
        made.append(_notification(person, Notification.Kind.ACCESS_REMOVED, removed))
    elif removed:
        # Turned off: recorded as dealt with, so turning it back on does not send old news.
        NotifiedChange.objects.bulk_create(
            NotifiedChange(event=event, user=person) for event in removed
        )
    return made


def _notification(person: object, kind: str, events: list[AuditEvent]) -> Notification:
    notification = Notification.objects.create(user=person, kind=kind)
    NotifiedChange.objects.bulk_create(
        NotifiedChange(event=event, user=person, notification=notification) for event in events
    )
    return notification
