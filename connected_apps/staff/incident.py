"""Incident response: find an app, see who holds it, and disconnect it from everyone.

Only staff whose role includes incident response reach these pages (``incident_view``).
Starting is a confirmation with a reason (POST/redirect/GET); ``incident_progress`` follows the
sweep it starts.
"""

from __future__ import annotations

import functools
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from connected_apps import authlete
from connected_apps.forms import IncidentStartForm
from connected_apps.models import AuditEvent
from connected_apps.services import sweep as sweeps
from connected_apps.services.audit import audit_refusal
from connected_apps.staff.common import ConsoleView, console_context, console_view, person_for
from connected_apps.staff.find import person_search
from connected_apps.staff.pages import authlete_trouble
from connected_apps.sweep_models import Sweep
from connected_apps.views.common import actor_for, page_number

_TEMPLATES = "admin/connected_apps/"


def incident_view(view: ConsoleView) -> ConsoleView:
    """Acting staff whose role includes incident response; a kind 403 for anyone else."""

    @console_view(acting=True)
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.console_role.can_disconnect_everywhere:  # type: ignore[attr-defined]
            context = console_context(request, title=_("Not allowed"))
            return TemplateResponse(
                request, _TEMPLATES + "incident_forbidden.html", context, status=403
            )
        return view(request, *args, **kwargs)

    return wrapper


def render_incident(
    request: HttpRequest, template: str, status: int = 200, **context: Any
) -> HttpResponse:
    context = console_context(request, console_section="incident", **context)
    return TemplateResponse(request, _TEMPLATES + template, context, status=status)


def _trouble(request: HttpRequest, exc: authlete.AuthleteError) -> HttpResponse:
    return render_incident(
        request,
        "incident_trouble.html",
        503,
        title=_("Authlete is not answering"),
        error=authlete_trouble(exc),
    )


@require_GET
@incident_view
def incident_find(request: HttpRequest) -> HttpResponse:
    """Find an app by its client id or its name; an id that exists opens it at once."""
    query = request.GET.get("q", "").strip()[:255]
    found: list[authlete.ClientSummary] = []
    if query:
        try:
            found = sweeps.app_find(query=query)
        except authlete.AuthleteError as exc:
            return _trouble(request, exc)
        if len(found) == 1 and query == str(found[0].client_id):
            return redirect("admin:staff_incident_app", found[0].client_id)
    recent = Sweep.objects.all()[:10]
    return render_incident(
        request,
        "incident_find.html",
        title=_("Disconnect an app from everyone"),
        query=query,
        found=found,
        recent=recent,
    )


@require_GET
@incident_view
def incident_app(request: HttpRequest, client_id: int) -> HttpResponse:
    """The app, who holds its tokens (a page, or the people a search names), and its sweeps."""
    query = request.GET.get("q", "").strip()[:255]
    subjects = _subjects_named(query)
    try:
        holders = sweeps.app_holders(
            client_id=client_id, page=page_number(request.GET.get("page")), subjects=subjects
        )
    except sweeps.AppUnknown:
        return render_incident(request, "incident_unknown.html", 404, title=_("No such app"))
    except authlete.AuthleteError as exc:
        return _trouble(request, exc)
    people = [(holder, person_for(holder.subject)) for holder in holders.holders]
    return render_incident(
        request,
        "incident_app.html",
        title=holders.name,
        holders=holders,
        people=people,
        query=query,
        sweeps=sweeps.sweeps_of_app(client_id=client_id),
    )


def _subjects_named(query: str) -> list[str]:
    """The subject typed, and those of the accounts whose username or e-mail matches."""
    if not query:
        return []
    found = person_search(query)
    return [query, *(match.subject for match in found.matches if match.subject)]


@require_http_methods(["GET", "POST"])
@incident_view
def incident_start(request: HttpRequest, client_id: int) -> HttpResponse:
    """The confirmation: what happens, the reason, the lock; POST starts the sweep."""
    try:
        holders = sweeps.app_holders(client_id=client_id, census=False)
    except sweeps.AppUnknown:
        return render_incident(request, "incident_unknown.html", 404, title=_("No such app"))
    except authlete.AuthleteError as exc:
        return _trouble(request, exc)
    form = IncidentStartForm(request.POST if request.method == "POST" else None)
    audited = {
        "action": AuditEvent.Action.REVOKE,
        "client_id": client_id,
        "client_name": holders.client.name,
    }
    if request.method == "POST" and form.is_valid():
        actor = actor_for(request, staff_reason=form.cleaned_data["reason"])
        try:
            sweep = sweeps.sweep_start(
                client_id=client_id, actor=actor, lock=form.cleaned_data["lock"]
            )
        except sweeps.SweepAlreadyRunning as running:
            audit_refusal(
                actor=actor,
                refusal=AuditEvent.Refusal.INVALID,
                note="A disconnection of this app from everyone is already running.",
                **audited,
            )
            messages.warning(request, _("This app is already being disconnected from everyone."))
            return redirect("admin:staff_incident_sweep", running.sweep.pk)
        except authlete.AuthleteError as exc:
            messages.error(
                request,
                _("The app could not be locked, so nothing was started: %(error)s")
                % {"error": exc},
            )
            return redirect("admin:staff_incident_start", client_id)
        return redirect("admin:staff_incident_sweep", sweep.pk)
    if form.is_bound:
        audit_refusal(
            actor=actor_for(request, staff_reason=""),
            refusal=AuditEvent.Refusal.NO_REASON,
            **audited,
        )
    status = 400 if form.is_bound else 200
    title = _("Disconnect %(app)s from everyone?") % {"app": holders.name}
    return render_incident(
        request, "incident_confirm.html", status, title=title, holders=holders, form=form
    )
