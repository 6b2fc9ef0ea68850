"""The two download formats, written as chunks of text: one chunk per page of apps or batch of
changes, so the first bytes leave before the later pages are read.

A page of apps that cannot be read midway (the status line has gone already) does not cut the
file short silently: the file ends saying it is incomplete and why, in the person's language.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Iterable, Iterator

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from connected_apps import authlete
from connected_apps.services import export
from connected_apps.services.export import Record

logger = logging.getLogger(__name__)

FORMAT = "connected-apps-export"
VERSION = 1

# One header row for both kinds of line, so the file opens as a single table that a
# spreadsheet can filter by its first column; each kind leaves the other's columns empty.
CSV_COLUMNS = (
    ("record", gettext_lazy("Record")),
    ("app", gettext_lazy("App")),
    ("client_id", gettext_lazy("Client ID")),
    ("permissions", gettext_lazy("What it can do")),
    ("scopes", gettext_lazy("Permission codes")),
    ("works_while_away", gettext_lazy("Works while you’re away")),  # noqa: RUF001
    ("works_while_away_until", gettext_lazy("Works while you’re away until")),  # noqa: RUF001
    ("connected_at", gettext_lazy("Connected")),
    ("last_active_at", gettext_lazy("Last active")),
    ("at", gettext_lazy("Date")),
    ("action", gettext_lazy("What happened")),
    ("outcome", gettext_lazy("Outcome")),
    ("by", gettext_lazy("By")),
    ("removed", gettext_lazy("Permissions removed")),
    ("kept", gettext_lazy("Permissions kept")),
    ("refusal", gettext_lazy("Why refused")),
    ("reason", gettext_lazy("Reason given")),
)

# A cell starting with one of these is read as a formula by spreadsheets (OWASP, "CSV
# Injection"); app names are written by third parties. Full-width forms are included, which
# Japanese input turns into formulas too.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def incomplete_message() -> str:
    return _(
        "The account service stopped answering, so this download is incomplete: some of your "
        "apps are missing. Please download it again later."
    )


# --- JSON ----------------------------------------------------------------------------------------


def json_chunks(start: export.ExportStart, language: str) -> Iterator[str]:
    """One JSON object: a header, ``apps``, ``activity``, then ``complete`` (and ``problem``)."""
    head = {
        "format": FORMAT,
        "version": VERSION,
        "generated_at": export.iso(start.generated_at),
        "language": language,
    }
    yield _json(head)[:-1] + ',\n"apps": ['
    first = True
    interrupted = False
    try:
        for page in export.export_app_pages(start):
            records = [export.app_record(app) for app in page]
            if records:
                yield ("\n" if first else ",\n") + ",\n".join(_json(r) for r in records)
                first = False
    except authlete.AuthleteError as exc:
        interrupted = _interrupted(exc)
    yield '\n],\n"activity": ['
    first = True
    for batch in export.export_activity(subject=start.subject):
        records = [export.activity_record(entry) for entry in batch]
        if records:
            yield ("\n" if first else ",\n") + ",\n".join(_json(r) for r in records)
            first = False
    tail: Record = {"complete": not interrupted}
    if interrupted:
        tail["problem"] = incomplete_message()
    yield "\n],\n" + _json(tail)[1:] + "\n"


def _json(value: object) -> str:
    # Names in any script stay readable in the file (UTF-8), not \u escapes.
    return json.dumps(value, ensure_ascii=False)


# --- CSV -----------------------------------------------------------------------------------------


def csv_chunks(start: export.ExportStart, language: str) -> Iterator[str]:
    """A header row, a row per app, a row per change; the last row says when it is incomplete.

    UTF-8 with a byte order mark: Excel reads a CSV without one in the computer's legacy code
    page, which garbles Japanese (and every accented) name; other readers skip the mark.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def rows(records: Iterable[dict[str, str]]) -> str:
        writer.writerows(
            [_safe(record.get(key, "")) for key, _label in CSV_COLUMNS] for record in records
        )
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield "\ufeff" + rows([{key: str(label) for key, label in CSV_COLUMNS}])
    interrupted = False
    try:
        for page in export.export_app_pages(start):
            yield rows(_app_cells(export.app_record(app)) for app in page)
    except authlete.AuthleteError as exc:
        interrupted = _interrupted(exc)
    for batch in export.export_activity(subject=start.subject):
        yield rows(_activity_cells(export.activity_record(entry)) for entry in batch)
    if interrupted:
        yield rows([{"record": incomplete_message()}])


def _app_cells(record: Record) -> dict[str, str]:
    permissions: list[dict[str, str]] = record["permissions"]  # type: ignore[assignment]
    known = record["permissions_known"]
    return {
        "record": _("Connected app"),
        "app": str(record["name"]),
        "client_id": str(record["client_id"]),
        "permissions": _words(permissions) if known else _("Not shown by the account service"),
        "scopes": " ".join(p["scope"] for p in permissions),
        "works_while_away": _yes_no(record["works_while_away"]),
        "works_while_away_until": str(record["works_while_away_until"] or ""),
        "connected_at": str(record["connected_at"] or ""),
        "last_active_at": str(record["last_active_at"] or ""),
    }


def _activity_cells(record: Record) -> dict[str, str]:
    return {
        "record": _("Change"),
        "app": str(record["app"]),
        "client_id": str(record["client_id"] or ""),
        "at": str(record["at"]),
        "action": str(record["action_label"]),
        "outcome": str(record["outcome_label"]),
        "by": str(record["by_label"]),
        "removed": _words(record["removed"]),  # type: ignore[arg-type]
        "kept": _words(record["kept"]),  # type: ignore[arg-type]
        "refusal": str(record["refusal_label"]),
        "reason": str(record["reason"]),
    }


def _words(permissions: list[dict[str, str]]) -> str:
    return "; ".join(p["description"] for p in permissions)


def _yes_no(value: object) -> str:
    if value is None:
        return ""
    return _("Yes") if value else _("No")


def _safe(cell: str) -> str:
    """A cell a spreadsheet shows as text: a leading apostrophe defuses a would-be formula."""
    return f"'{cell}" if cell.startswith(_FORMULA_STARTS) else cell


def _interrupted(exc: authlete.AuthleteError) -> bool:
    # Nothing personal in the log: no subject, no app names; the transport logged the call.
    logger.warning(
        "export: a later page of apps could not be read (%s); file marked incomplete",
        type(exc).__name__,
    )
    return True
