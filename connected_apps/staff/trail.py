"""Who did what: the audit trail for support, filtered, paged, and exported as CSV.

Each change appears once, as what it came to (the last row of its chain), refused attempts
included. The CSV holds exactly the rows the filters select, streamed, never cached, and with
every cell a spreadsheet could read as a formula made inert.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime, time, timedelta

from django import forms
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from connected_apps.models import AuditEvent
from connected_apps.staff.common import console_context, console_view

_PAGE_SIZE = 50
# A cell starting with one of these is a formula to a spreadsheet (OWASP "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class TrailFilter(forms.Form):
    """The trail's filters; every one optional, all of them combined."""

    subject = forms.CharField(label=gettext_lazy("Subject"), required=False, max_length=255)
    client_id = forms.IntegerField(
        label=gettext_lazy("App (client ID)"), required=False, min_value=0, max_value=2**63 - 1
    )
    actor = forms.CharField(
        label=gettext_lazy("Who acted (username)"), required=False, max_length=150
    )
    action = forms.ChoiceField(
        label=gettext_lazy("Action"),
        required=False,
        choices=[("", gettext_lazy("Any action")), *AuditEvent.Action.choices],
    )
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"),
        required=False,
        choices=[("", gettext_lazy("Any outcome")), *AuditEvent.Outcome.choices],
    )
    date_from = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, object]:
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(
                gettext_lazy("The “From” date is after the “To” date."), code="dates_reversed"
            )
        return cleaned

    def events(self) -> QuerySet[AuditEvent]:
        """The rows the valid filters select, newest first."""
        found = AuditEvent.objects.outcomes().select_related("actor")
        data = self.cleaned_data
        if data["subject"].strip():
            found = found.filter(subject=data["subject"].strip())
        if data["client_id"] is not None:
            found = found.filter(client_id=data["client_id"])
        if data["actor"].strip():
            found = found.filter(actor_username__iexact=data["actor"].strip())
        if data["action"]:
            found = found.filter(action=data["action"])
        if data["outcome"]:
            found = found.filter(outcome=data["outcome"])
        # Whole days in the server's time zone, both ends included.
        if data["date_from"]:
            found = found.filter(created_at__gte=_start_of(data["date_from"]))
        if data["date_to"]:
            found = found.filter(created_at__lt=_start_of(data["date_to"] + timedelta(days=1)))
        return found


def _start_of(day: datetime) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@require_GET
@console_view()
def trail(request: HttpRequest) -> HttpResponse:
    form = TrailFilter(request.GET or None)
    context = console_context(request, title=_("Who did what"), form=form, console_section="audit")
    if form.is_bound and not form.is_valid():
        return TemplateResponse(
            request, "admin/connected_apps/console/trail.html", context, status=400
        )
    events = (
        form.events() if form.is_bound else AuditEvent.objects.outcomes().select_related("actor")
    )
    page = Paginator(events, _PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context.update(page=page, filters=query.urlencode())
    return TemplateResponse(request, "admin/connected_apps/console/trail.html", context)


@require_GET
@console_view()
def trail_csv(request: HttpRequest) -> HttpResponse:
    form = TrailFilter(request.GET or None)
    if form.is_bound and not form.is_valid():
        # Nothing half-filtered leaves the building: the page says what is wrong.
        return trail(request)
    events = form.events() if form.is_bound else AuditEvent.objects.outcomes()
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response = StreamingHttpResponse(_csv_lines(events), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response


_COLUMNS = (
    "time",
    "actor",
    "on_behalf",
    "reason",
    "subject",
    "client_id",
    "app",
    "action",
    "outcome",
    "why_refused",
    "result_code",
    "token_hash",
    "detail",
)


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_lines(events: QuerySet[AuditEvent]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(_COLUMNS)
    for event in events.iterator(chunk_size=500):
        yield writer.writerow(
            [
                _inert(cell)
                for cell in (
                    event.created_at.isoformat(),
                    event.actor_username,
                    "yes" if event.on_behalf else "no",
                    event.reason,
                    event.subject,
                    str(event.client_id),
                    event.client_name,
                    event.action,
                    event.outcome,
                    event.refusal,
                    event.result_code,
                    event.token_hash,
                    event.detail,
                )
            ]
        )


def _inert(cell: str) -> str:
    """A cell no spreadsheet runs: a leading formula character gets a quote before it."""
    return f"'{cell}" if cell.startswith(_FORMULA_STARTS) else cell
