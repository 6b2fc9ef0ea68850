"""Pages where a signed-in person sees their connected apps and takes access back.

Every view serves a full page, and the htmx fragment of it when htmx asks; plain form posts
redirect (POST/redirect/GET), so everything works with JavaScript off.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect, push_url, retarget

from connected_apps.authlete import AuthleteError
from connected_apps.forms import NarrowForm, RevokeAllForm, error_codes
from connected_apps.models import AuditEvent
from connected_apps.services import apps, narrow, revoke
from connected_apps.services.audit import audit_refusal
from connected_apps.services.errors import (
    AppNotConnected,
    NarrowingUnavailable,
    ScopeChangeRefused,
)
from connected_apps.services.filters import parse_filters
from connected_apps.services.history import app_history
from connected_apps.services.types import ConnectedApp, NarrowResult
from connected_apps.views.cleanup import shown_list_state
from connected_apps.views.common import (
    HtmxHttpRequest,
    actor_for,
    fragment_template,
    page_number,
    subject_required,
    writes_rate_limited,
)
from connected_apps.views.reports import report_messages


def _list_url(app: ConnectedApp | None = None) -> str:
    url = reverse("connected_apps:list")
    return f"{url}#app-{app.client_id}" if app else url


@require_GET
@subject_required()
def app_list(request: HtmxHttpRequest, subject: str) -> HttpResponse:
    query = request.GET.get("q", "")[:100]
    # A filter the portal does not know is named back to the person (400), not dropped quietly.
    filters, unknown_filters = parse_filters(request.GET.getlist("filter"))
    app_page = apps.connected_app_list(
        subject=subject,
        page=page_number(request.GET.get("page")),
        query=query,
        order=_list_order(request.GET.get("sort")),
        filters=filters,
    )
    template = fragment_template(request, "connected_apps/app_list.html", "app-list")
    context = {"app_page": app_page, "unknown_filters": unknown_filters}
    return TemplateResponse(request, template, context, status=400 if unknown_filters else 200)


def _list_order(value: str | None) -> apps.ListOrder:
    """The order asked for; anything unknown (an old link, a typo) gets the default order."""
    try:
        return apps.ListOrder(value or apps.ListOrder.REVIEW)
    except ValueError:
        return apps.ListOrder.REVIEW


@require_GET
@subject_required(errors_in_card=True)
def app_card(request: HtmxHttpRequest, subject: str, client_id: int) -> HttpResponse:
    app = apps.connected_app_get(subject=subject, client_id=client_id)
    if not request.htmx:
        return redirect(_list_url(app))
    return TemplateResponse(request, "connected_apps/app_list.html#app-card", {"app": app})


@require_GET
@subject_required()
def app_detail(request: HtmxHttpRequest, subject: str, client_id: int) -> HttpResponse:
    detail = apps.connected_app_detail(subject=subject, client_id=client_id)
    template = fragment_template(request, "connected_apps/app_detail.html", "detail")
    return TemplateResponse(request, template, {"detail": detail, "app": detail.app})


@require_http_methods(["GET", "POST"])
@subject_required()
@writes_rate_limited(AuditEvent.Action.NARROW)
def app_narrow(request: HtmxHttpRequest, subject: str, client_id: int) -> HttpResponse:
    app = apps.connected_app_get(subject=subject, client_id=client_id)
    if not app.permissions_known:
        # Not offered here; a crafted request is refused (and, when posted, audited) by the
        # use case, and nothing is sent to Authlete.
        if request.method == "POST":
            narrow.connected_app_narrow(
                subject=subject, client_id=client_id, keep=[], actor=actor_for(request)
            )
        raise NarrowingUnavailable(client_id)
    form = NarrowForm(request.POST if request.method == "POST" else None, app=app)
    if request.method == "POST" and form.is_valid():
        try:
            result = narrow.connected_app_narrow(
                subject=subject,
                client_id=client_id,
                keep=form.cleaned_data["keep"],
                actor=actor_for(request),
            )
        except ScopeChangeRefused:
            form.add_error(None, _("These permissions changed meanwhile. Please choose again."))
        else:
            return _narrowed(request, subject, app, result)
    elif request.method == "POST":
        # Unchecked everything, or posted scopes the app does not hold: refused, nothing sent.
        audit_refusal(
            actor=actor_for(request),
            action=AuditEvent.Action.NARROW,
            refusal=AuditEvent.Refusal.INVALID,
            subject=subject,
            client_id=app.client_id,
            client_name=app.name,
            scopes_before=app.scopes,
            scopes_after=request.POST.getlist("keep"),
            note=error_codes(form),
        )
    template = fragment_template(request, "connected_apps/app_narrow.html", "narrow-form")
    status = 400 if form.is_bound else 200
    return TemplateResponse(request, template, {"app": app, "form": form}, status=status)


def _narrowed(
    request: HtmxHttpRequest, subject: str, before: ConnectedApp, result: NarrowResult
) -> HttpResponse:
    """The result where the person is looking: on the app's page, above what it can do now."""
    message = narrowed_message(before.name, result)
    if result.app is None:
        messages.success(request, message)
        return HttpResponseClientRedirect(_list_url()) if request.htmx else redirect(_list_url())
    detail_url = reverse("connected_apps:detail", args=[before.client_id])
    if not request.htmx:
        messages.success(request, message)
        return redirect(detail_url)
    try:
        detail = apps.connected_app_detail(subject=subject, client_id=before.client_id)
    except (AuthleteError, AppNotConnected):
        # The change is made and confirmed; only the page could not be read again.
        messages.success(request, message)
        return HttpResponseClientRedirect(detail_url)
    context = {"detail": detail, "app": detail.app, "narrowed": message}
    response = TemplateResponse(request, "connected_apps/app_detail.html#detail", context)
    # The form sat in place of the permission list; the whole page is new now.
    return push_url(retarget(response, "#detail"), detail_url)


@require_http_methods(["GET", "POST"])
@subject_required(errors_in_card=True)
@writes_rate_limited(AuditEvent.Action.REVOKE)
def app_revoke(request: HtmxHttpRequest, subject: str, client_id: int) -> HttpResponse:
    if request.method == "POST":
        app = revoke.connected_app_revoke(
            subject=subject, client_id=client_id, actor=actor_for(request)
        )
        message = _("%(app)s was disconnected and can no longer access your account.") % {
            "app": app.name
        }
        if request.htmx:
            # The row becomes the result, where the person is looking; the count follows,
            # for the search the list is showing.
            query = _shown_query(request)
            filters = shown_list_state(request).filters
            app_page = apps.connected_app_count(subject=subject, query=query, filters=filters)
            context = {"app": app, "announcement": message, "app_page": app_page}
            return TemplateResponse(request, "connected_apps/app_list.html#app-gone", context)
        messages.success(request, message)
        return redirect(_list_url())
    app = apps.connected_app_get(subject=subject, client_id=client_id)
    template = fragment_template(request, "connected_apps/app_revoke.html", "revoke-card")
    return TemplateResponse(request, template, {"app": app})


@require_http_methods(["GET", "POST"])
@subject_required()
@writes_rate_limited(AuditEvent.Action.REVOKE)
def app_revoke_all(request: HtmxHttpRequest, subject: str) -> HttpResponse:
    form = RevokeAllForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        report = revoke.connected_app_revoke_all(subject=subject, actor=actor_for(request))
        report_messages(request, report)
        if request.htmx:
            return HttpResponseClientRedirect(_list_url())
        return redirect(_list_url())
    context = {"form": form, "app_names": apps.connected_app_names(subject=subject)}
    status = 400 if form.is_bound else 200
    template = fragment_template(request, "connected_apps/app_revoke_all.html", "revoke-all")
    return TemplateResponse(request, template, context, status=status)


def _shown_query(request: HtmxHttpRequest) -> str:
    """The search of the list the request came from, so its count keeps the same words."""
    url = request.htmx.current_url_abs_path or ""
    return QueryDict(urlsplit(url).query).get("q", "")[:100]


def narrowed_message(name: str, result: NarrowResult) -> str:
    """What a narrowing did, as Authlete confirmed it: the person hears when access had to end."""
    if result.app is None:
        return _(
            "To take those permissions back, %(app)s had to be disconnected: the account service "
            "would otherwise have let it keep them. It will ask you again when you next use it."
        ) % {"app": name}
    kept = len(result.app.permissions)
    message = ngettext(
        "%(app)s now keeps %(count)d permission. It may ask you again for the others.",
        "%(app)s now keeps %(count)d permissions. It may ask you again for the others.",
        kept,
    ) % {"app": name, "count": kept}
    if result.ended_tokens:
        message += " " + _("Some of its sign-ins had to end so it cannot regain what you removed.")
    return message


@require_GET
@subject_required()
def activity(request: HtmxHttpRequest, subject: str) -> HttpResponse:
    history = app_history(subject=subject)
    return TemplateResponse(request, "connected_apps/activity.html", {"history": history})
