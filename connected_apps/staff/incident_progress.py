"""Following a disconnection from everyone: its progress, then its report and a retry.

The progress page refreshes itself with htmx every two seconds (the server sends the region
alone), or with a meta refresh without JavaScript, and becomes the report once finished.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST
from django_htmx.middleware import HtmxDetails

from connected_apps.services import sweep as sweeps
from connected_apps.staff.incident import incident_view, render_incident
from connected_apps.sweep_models import Sweep, SweepItem
from connected_apps.views.common import actor_for, page_number


@require_GET
@incident_view
def incident_sweep(request: HttpRequest, sweep_id: int) -> HttpResponse:
    """Progress while it runs, the report once it is finished; htmx gets the region alone."""
    get_object_or_404(Sweep, pk=sweep_id)
    progress = sweeps.sweep_progress(sweep_id=sweep_id)
    show = request.GET.get("show")
    if show not in (SweepItem.Status.DONE, SweepItem.Status.FAILED):
        show = SweepItem.Status.FAILED if progress.failed else SweepItem.Status.DONE
    items, page, page_count = sweeps.sweep_items(
        sweep_id=sweep_id, status=show, page=page_number(request.GET.get("page"))
    )
    template = "incident_sweep.html"
    htmx: HtmxDetails | None = getattr(request, "htmx", None)
    if htmx:
        template += "#sweep-progress"
    title = _("Disconnecting %(app)s from everyone") % {"app": progress.sweep.client_name}
    return render_incident(
        request,
        template,
        title=title,
        progress=progress,
        sweep=progress.sweep,
        items=items,
        show=show,
        page=page,
        page_count=page_count,
        self_url=reverse("admin:staff_incident_sweep", args=[sweep_id]),
    )


@require_POST
@incident_view
def incident_retry(request: HttpRequest, sweep_id: int) -> HttpResponse:
    """Try the failed people again; the audit names the staff member who asked."""
    sweep = get_object_or_404(Sweep, pk=sweep_id)
    actor = actor_for(request, staff_reason=sweep.reason)
    try:
        count = sweeps.sweep_retry_failed(sweep_id=sweep.pk, actor=actor)
    except sweeps.SweepAlreadyRunning as running:
        messages.warning(request, _("This app is already being disconnected from everyone."))
        return redirect("admin:staff_incident_sweep", running.sweep.pk)
    if count:
        messages.success(
            request,
            ngettext("Trying %(count)s person again.", "Trying %(count)s people again.", count)
            % {"count": count},
        )
    else:
        messages.info(request, _("Nobody failed, so there is nothing to try again."))
    return redirect("admin:staff_incident_sweep", sweep.pk)
