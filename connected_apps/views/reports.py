"""What a disconnect of several apps did, in one set of words for every page that does one:
disconnect all, disconnect selected, and support's disconnect all."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib import messages
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from connected_apps.services.types import ConnectedApp, RevokeReport

_LEVELS = {"success": messages.SUCCESS, "error": messages.ERROR, "warning": messages.WARNING}


def name_list(apps: Iterable[ConnectedApp]) -> str:
    """App names joined the way the person's language joins a list ("、" in Japanese)."""
    return pgettext("separator between the names of a list", ", ").join(app.name for app in apps)


def report_lines(report: RevokeReport) -> list[tuple[str, str]]:
    """One line per outcome, as (tone, text): done, still connected, could not be confirmed."""
    lines = []
    if report.revoked:
        text = _("Disconnected: %(names)s.")
        lines.append(("success", text % {"names": name_list(report.revoked)}))
    if report.failed:
        text = _("Could not disconnect: %(names)s. They still have access; try again.")
        lines.append(("error", text % {"names": name_list(report.failed)}))
    if report.unknown:
        text = _("Could not confirm: %(names)s. Check whether they are still listed.")
        lines.append(("warning", text % {"names": name_list(report.unknown)}))
    return lines


def report_messages(request: HttpRequest, report: RevokeReport) -> None:
    """The report as page messages for the page the person is sent back to; the first is tagged
    "report" and takes focus there (base.html), so the result is where the person looks."""
    for number, (tone, text) in enumerate(report_lines(report)):
        messages.add_message(request, _LEVELS[tone], text, extra_tags="" if number else "report")
