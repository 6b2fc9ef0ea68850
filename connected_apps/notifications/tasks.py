"""The notification work the task worker (`manage.py db_worker`) runs, off the request path."""

from __future__ import annotations

from django.db import transaction
from django.tasks import task

from connected_apps.notifications.changes import changes_gather
from connected_apps.notifications.delivery import notification_send


@task
def gather_changes(*, subject: str) -> str:
    """Turn the subject's confirmed, untold changes into e-mails, and queue each to be sent."""
    with transaction.atomic():
        made = changes_gather(subject=subject)
        # Queued in the same transaction: the task table is in the same database, so an e-mail
        # is never recorded without the task that sends it.
        for notification in made:
            send_notification.enqueue(notification_id=notification.pk)
    return f"{len(made)} e-mails"


@task
def send_notification(*, notification_id: int) -> str:
    return notification_send(notification_id=notification_id)
