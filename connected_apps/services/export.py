"""A person's data to download: their connected apps and the changes on record, page by page.

Apps are read one list page at a time (``PORTAL_PAGE_SIZE``) and changes in batches from the
database, so a large account streams instead of being built in memory first. Records are
JSON-ready dicts: their keys are stable English identifiers (a machine format), their values in
words are in the language active while they are built, and their dates are ISO 8601 in UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import batched

from django.conf import settings
from django.utils.translation import gettext as _

from connected_apps import authlete
from connected_apps.models import AuditEvent
from connected_apps.services import reads
from connected_apps.services.history import HistoryEntry, change_entries
from connected_apps.services.types import ConnectedApp, Permission

# Changes are read from the trail this many at a time: enough to keep queries few, small
# enough that a long history never sits in memory whole.
_ACTIVITY_BATCH = 200

type Record = dict[str, object]


@dataclass(frozen=True, slots=True)
class ExportStart:
    """The first page of a person's apps, read before the download begins, and how many the
    list held then: an Authlete that cannot answer gets an error page, not a file that stops."""

    subject: str
    generated_at: datetime
    first_page: tuple[ConnectedApp, ...]
    total_count: int


def export_start(*, subject: str) -> ExportStart:
    """Read the subject's first page of apps; raises AuthleteError when Authlete cannot say."""
    generated_at = datetime.now(UTC)
    first_page, total_count = _app_page(subject, start=0)
    return ExportStart(
        subject=subject,
        generated_at=generated_at,
        first_page=first_page,
        total_count=total_count,
    )


def export_app_pages(start: ExportStart) -> Iterator[tuple[ConnectedApp, ...]]:
    """Every app of the subject, one list page at a time, the first one already read.

    Each later page has a whole ``AUTHLETE_DEADLINE`` of its own, as a page of the list does:
    the file is written after the request's own budget has ended. A page that cannot be read
    raises AuthleteError; the pages before it have been sent already.
    """
    yield start.first_page
    size = _page_size()
    for offset in range(size, start.total_count, size):
        with authlete.deadline(settings.AUTHLETE_DEADLINE):
            apps, _total = _app_page(start.subject, start=offset)
        yield apps


def export_activity(*, subject: str) -> Iterator[tuple[HistoryEntry, ...]]:
    """Every change on the subject's record (what each came to), newest first, in batches."""
    events = AuditEvent.objects.outcomes().filter(subject=subject).order_by("-created_at", "-id")
    for batch in batched(
        events.iterator(chunk_size=_ACTIVITY_BATCH), _ACTIVITY_BATCH, strict=False
    ):
        # Only the service's words for scopes come from Authlete, cached; without them the
        # scope names stand in (history.change_entries), so the batch still has its deadline.
        with authlete.deadline(settings.AUTHLETE_DEADLINE):
            yield tuple(change_entries(batch))


def app_record(app: ConnectedApp) -> Record:
    """One app: who it is, what it may do, since when, and whether it renews itself."""
    known = app.permissions_known
    return {
        "client_id": app.client_id,
        "name": app.name,
        "permissions_known": known,
        "permissions": [_permission(p) for p in app.permissions_by_consequence],
        "connected_at": iso(app.connected_at),
        "last_active_at": iso(app.last_used_at),
        # Unknown (None) where the service does not show tokens, rather than a false "no".
        "works_while_away": app.works_while_away if known else None,
        "works_while_away_until": iso(app.renewal.until) if app.renewal else None,
    }


def activity_record(entry: HistoryEntry) -> Record:
    """One change as the activity page tells it: what, to which app, by whom, what it came to."""
    event = entry.event
    assert event is not None, "connections are in the app records"
    return {
        "at": iso(entry.at),
        "client_id": entry.client_id or None,
        "app": entry.name,
        "action": event.action,
        "action_label": event.get_action_display(),
        "outcome": event.outcome,
        "outcome_label": event.get_outcome_display(),
        "confirmed_later": event.confirmed_later,
        "by": "support" if event.on_behalf else "you",
        "by_label": _("Support") if event.on_behalf else _("You"),
        "refusal": event.refusal,
        "refusal_label": event.get_refusal_display() if event.refusal else "",
        # The page shows a reason only for support's changes: it is what staff wrote to them.
        "reason": event.reason if event.on_behalf else "",
        "removed": [_permission(p) for p in entry.removed],
        "kept": [_permission(p) for p in entry.kept],
    }


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC to the second, with a Z: what spreadsheets and scripts both read."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _permission(permission: Permission) -> Record:
    return {
        "scope": permission.scope,
        "description": permission.description,
        "kind": str(permission.tier),
        "kind_label": permission.tier.label,
    }


def _app_page(subject: str, *, start: int) -> tuple[tuple[ConnectedApp, ...], int]:
    """The apps in one window of the subject's list, each read with its tokens at once, and
    how many apps the list holds."""
    listing = authlete.get_client().authorization_list(
        subject=subject, start=start, end=start + _page_size()
    )
    apps = reads.apps_for(subject, listing.clients)
    return tuple(app for app in apps if app is not None), listing.total_count


def _page_size() -> int:
    return max(1, settings.PORTAL_PAGE_SIZE)
