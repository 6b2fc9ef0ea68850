"""New grants the authorization server reports: remembered once by event id, then told."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from django.db import IntegrityError, transaction

from connected_apps.notifications.models import Notification, ReceivedGrant
from connected_apps.notifications.recipients import people_with_subject


@dataclass(frozen=True, slots=True)
class ReportedGrant:
    event_id: str
    subject: str
    client_id: int
    scopes: tuple[str, ...]
    issued_at: datetime


class Receipt(StrEnum):
    ACCEPTED = "accepted"
    # The same event delivered again (the server retried): answered, told no second time.
    DUPLICATE = "duplicate"
    # The same event id with another body: not a retry, so refused.
    CONFLICT = "conflict"


def grant_received(*, grant: ReportedGrant, body: bytes) -> Receipt:
    """Remember the grant and queue an e-mail to each person of its subject (none may have an
    account here: then it is only remembered)."""
    # Imported here: the tasks module builds on the notification services.
    from connected_apps.notifications.tasks import send_notification

    digest = hashlib.sha256(body).hexdigest()
    try:
        with transaction.atomic():
            ReceivedGrant.objects.create(
                event_id=grant.event_id,
                body_sha256=digest,
                subject=grant.subject,
                client_id=grant.client_id,
                scopes=list(grant.scopes),
                issued_at=grant.issued_at,
            )
            for person in people_with_subject(grant.subject):
                notification = Notification.objects.create(
                    user=person,
                    kind=Notification.Kind.APP_CONNECTED,
                    details={
                        "event_id": grant.event_id,
                        "client_id": grant.client_id,
                        "scopes": list(grant.scopes),
                        "issued_at": grant.issued_at.isoformat(),
                    },
                )
                # Same database, same transaction: the e-mail and the task that sends it are
                # recorded together or not at all.
                send_notification.enqueue(notification_id=notification.pk)
    except IntegrityError:
        known = ReceivedGrant.objects.filter(event_id=grant.event_id).first()
        if known is None:
            raise
        return Receipt.DUPLICATE if known.body_sha256 == digest else Receipt.CONFLICT
    return Receipt.ACCEPTED
