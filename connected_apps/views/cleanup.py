"""Disconnecting several apps at once: the person ticks rows of the list, confirms, and it is done.

Two steps, both plain form posts so they work without JavaScript: the chosen ids go to a
confirmation that names every app (nothing changes), then one post disconnects them all. Under
htmx the confirmation opens above the list and the result takes its place, with the list and
its count read again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget

from connected_apps.models import AuditEvent
from connected_apps.services import apps, revoke
from connected_apps.services.audit import audit_refusal
from connected_apps.services.errors import AppsNotConnected
from connected_apps.services.filters import ListFilter, parse_filters, query_params
from connected_apps.views.common import (
    HtmxHttpRequest,
    actor_for,
    audit_not_yours,
    fragment_template,
    not_found,
    page_number,
    subject_required,
    writes_rate_limited,
)
from connected_apps.views.reports import report_lines, report_messages

_TEMPLATE = "connected_apps/app_disconnect_chosen.html"
# An Authlete client id, as the URL converter takes it.
_CLIENT_ID = re.compile(r"[0-9]{1,19}")
# More than any one person holds; a bigger post is a script, not a choice made on a page.
MOST_CHOSEN = 500


@dataclass(frozen=True, slots=True)
class ListState:
    """What a list address asks for, read defensively: it comes back from the browser."""

    query: str
    order: apps.ListOrder
    filters: frozenset[ListFilter]
    page: int

    @property
    def params(self) -> str:
        return query_params(self.query, self.order, self.filters, self.page)

    @property
    def url(self) -> str:
        base = reverse("connected_apps:list")
        return f"{base}?{self.params}" if self.params else base


def list_state(params: QueryDict) -> ListState:
    """The list the person came from; anything unknown falls back to the plain list."""
    try:
        order = apps.ListOrder(params.get("sort") or apps.ListOrder.REVIEW)
    except ValueError:
        order = apps.ListOrder.REVIEW
    return ListState(
        query=params.get("q", "")[:100],
        order=order,
        filters=parse_filters(params.getlist("filter"))[0],
        page=page_number(params.get("page")),
    )


def shown_list_state(request: HtmxHttpRequest) -> ListState:
    """The list an htmx request came from, as its address bar shows it."""
    url = request.htmx.current_url_abs_path or ""
    return list_state(QueryDict(urlsplit(url).query))


def _came_from(request: HtmxHttpRequest) -> ListState:
    # The list's state travels in one field of the forms, as the list wrote it.
    return list_state(QueryDict(request.POST.get("list", "")[:1000]))


def _chosen_ids(request: HtmxHttpRequest) -> list[int] | None:
    """The ticked client ids, in the order posted; None when the post is not a choice of apps."""
    raw = request.POST.getlist("client_id")
    if len(raw) > MOST_CHOSEN or not all(_CLIENT_ID.fullmatch(value) for value in raw):
        return None
    ids = [int(value) for value in raw]
    if any(number >= 2**63 for number in ids):
        return None
    return list(dict.fromkeys(ids))


@require_http_methods(["GET", "POST"])
@subject_required()
def apps_disconnect_review(request: HtmxHttpRequest, subject: str) -> HttpResponse:
    """Name every chosen app and what it can do, before anything changes."""
    if request.method == "GET":
        return _back_to_list(request)
    came_from = _came_from(request)
    client_ids = _chosen_ids(request)
    if not client_ids:
        return _not_a_choice(request, came_from, client_ids)
    try:
        chosen = apps.connected_app_selection(subject=subject, client_ids=client_ids)
    except AppsNotConnected as exc:
        return _not_theirs(request, subject, exc)
    context = {"chosen": chosen, "came_from": came_from}
    template = fragment_template(request, _TEMPLATE, "chosen-confirm")
    return TemplateResponse(request, template, context)


@require_http_methods(["GET", "POST"])
@subject_required()
@writes_rate_limited(AuditEvent.Action.REVOKE)
def apps_disconnect_chosen(request: HtmxHttpRequest, subject: str) -> HttpResponse:
    """Disconnect every chosen app at once; say exactly which are gone, failed or unconfirmed."""
    if request.method == "GET":
        return _back_to_list(request)
    came_from = _came_from(request)
    client_ids = _chosen_ids(request)
    if not client_ids:
        audit_refusal(
            actor=actor_for(request),
            action=AuditEvent.Action.REVOKE,
            refusal=AuditEvent.Refusal.INVALID,
            subject=subject,
            note="No apps chosen." if client_ids == [] else "Not a choice of apps.",
        )
        return _not_a_choice(request, came_from, client_ids)
    try:
        report = revoke.connected_app_revoke_chosen(
            subject=subject, client_ids=client_ids, actor=actor_for(request)
        )
    except AppsNotConnected as exc:
        return _not_theirs(request, subject, exc)
    if not request.htmx:
        report_messages(request, report)
        return redirect(came_from.url)
    # The list as it is now, from the page the person was on, with the result where the
    # confirmation stood; focus moves to the result (data-focus-after-swap).
    app_page = apps.connected_app_list(
        subject=subject,
        page=came_from.page,
        query=came_from.query,
        order=came_from.order,
        filters=came_from.filters,
    )
    context = {"app_page": app_page, "report": report, "report_lines": report_lines(report)}
    response = TemplateResponse(request, "connected_apps/app_list.html#app-list", context)
    return reswap(retarget(response, "#app-list"), "outerHTML")


def _back_to_list(request: HtmxHttpRequest) -> HttpResponse:
    """A reload or bookmark of either step, or "Try again" after an error shown in place: the
    choice is gone, the list is not."""
    list_url = reverse("connected_apps:list")
    return HttpResponseClientRedirect(list_url) if request.htmx else redirect(list_url)


def _not_a_choice(
    request: HtmxHttpRequest, came_from: ListState, client_ids: list[int] | None
) -> TemplateResponse:
    """Nothing ticked, or a post that is not a list of apps: say so, change nothing."""
    context = {"came_from": came_from, "empty": client_ids == [], "invalid": client_ids is None}
    template = fragment_template(request, _TEMPLATE, "chosen-confirm")
    return TemplateResponse(request, template, context, status=400)


def _not_theirs(request: HtmxHttpRequest, subject: str, exc: AppsNotConnected) -> HttpResponse:
    """A chosen id that is not one of the person's apps: each is on record as a probe, and
    nothing was sent to Authlete."""
    for client_id in exc.client_ids:
        audit_not_yours(request, subject=subject, client_id=client_id)
    message = _(
        "Some of the apps you chose are not connected to your account, so nothing was "
        "disconnected. Go back to your apps and choose again."
    )
    return not_found(request, message)
