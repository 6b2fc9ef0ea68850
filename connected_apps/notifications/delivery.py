"""Sending one e-mail, and trying again later when the mail server fails.

A failed send is recorded on the e-mail (attempts, last error) and retried by the task worker
after a pause that doubles each time (one minute, two, four... at most an hour), up to
``PORTAL_NOTIFY_MAX_ATTEMPTS`` tries in all. The e-mail and the changes it tells stay on record
whatever happens, so an operator can see what a person was not told.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from connected_apps.notifications import mail
from connected_apps.notifications.models import Notification

logger = logging.getLogger(__name__)

_FIRST_PAUSE = timedelta(minutes=1)
_LONGEST_PAUSE = timedelta(hours=1)
_MAX_ERROR_LENGTH = 1000


def notification_send(*, notification_id: int) -> str:
    """Send the e-mail if it is still waiting; on failure, schedule the next try."""
    notification = (
        Notification.objects.select_related("user")
        .filter(pk=notification_id, status=Notification.Status.PENDING)
        .first()
    )
    if notification is None:
        return "nothing to send"
    try:
        mail.compose(notification).send()
    except Exception as exc:  # any failure of the mail server or its connection: try later
        return _failed(notification, exc)
    Notification.objects.filter(pk=notification.pk).update(
        status=Notification.Status.SENT,
        sent_at=timezone.now(),
        attempts=F("attempts") + 1,
        next_attempt_at=None,
    )
    return "sent"


def retry_pause(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed try."""
    return min(_FIRST_PAUSE * 2 ** max(attempts - 1, 0), _LONGEST_PAUSE)


def _failed(notification: Notification, exc: Exception) -> str:
    attempts = notification.attempts + 1
    error = f"{type(exc).__name__}: {exc}"[:_MAX_ERROR_LENGTH]
    if attempts >= settings.PORTAL_NOTIFY_MAX_ATTEMPTS:
        logger.error("notifications: e-mail %s not sent after %s tries", notification.pk, attempts)
        Notification.objects.filter(pk=notification.pk).update(
            status=Notification.Status.GAVE_UP,
            attempts=attempts,
            last_error=error,
            next_attempt_at=None,
        )
        return "gave up"
    due = timezone.now() + retry_pause(attempts)
    logger.warning(
        "notifications: e-mail %s not sent (%s); next try at %s", notification.pk, error, due
    )
    # Imported here: the tasks module builds on this one.
    from connected_apps.notifications.tasks import send_notification

    # One transaction: the e-mail never waits for a try that was not queued.
    with transaction.atomic():
        Notification.objects.filter(pk=notification.pk).update(
            attempts=attempts, last_error=error, next_attempt_at=due
        )
        send_notification.using(run_after=due).enqueue(notification_id=notification.pk)
    return "will try again"
