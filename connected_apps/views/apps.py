"""Pages where a signed-in person sees their connected apps and takes access back.

Every view serves a full page, and the htmx fragment of it when htmx asks; plain form posts
redirect (POST/redirect/GET), so everything works with JavaScript off.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from connected_apps.forms import NarrowForm, RevokeAllForm, error_codes
from connected_apps.models import AuditEvent
from connected_apps.services import apps, narrow, revoke
from connected_apps.services.audit import audit_event_list, audit_refusal
from connected_apps.services.errors import NarrowingUnavailable, ScopeChangeRefused
from connected_apps.services.types import ConnectedApp, NarrowResult
from connected_apps.views.common import (
    HtmxHttpRequest,
    actor_for,
    fragment_template,
    page_number,
    subject_required,
    writes_rate_limited,
)


def _list_url(app: ConnectedApp | None = None) -> str:
    url = reverse("connected_apps:list")
    return f"{url}#app-{app.client_id}" if app else url


@require_GET
@subject_required()
def app_list(request: HtmxHttpRequest, subject: str) -> HttpResponse:
    query = request.GET.get("q", "")[:100]
    app_page = apps.connected_app_list(
        subject=subject, page=page_number(request.GET.get("page")), query=query
    )
    template = fragment_template(request, "connected_apps/app_list.html", "app-list")
    return TemplateResponse(request, template, {"app_page": app_page})


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
@subject_required(errors_in_card=True)
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
            message = narrowed_message(app.name, result)
            if request.htmx and result.app is None:
                context = {"announcement": message}
                return TemplateResponse(request, "connected_apps/_announce.html", context)
            if request.htmx:
                context = {"app": result.app, "announcement": message}
                return TemplateResponse(
                    request, "connected_apps/app_list.html#app-card-swap", context
                )
            messages.success(request, message)
            return redirect(_list_url(result.app))
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
    template = fragment_template(request, "connected_apps/app_narrow.html", "narrow-card")
    status = 400 if form.is_bound else 200
    return TemplateResponse(request, template, {"app": app, "form": form}, status=status)


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
            context = {"announcement": message}
            return TemplateResponse(request, "connected_apps/_announce.html", context)
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
        if report.revoked:
            names = ", ".join(app.name for app in report.revoked)
            messages.success(request, _("Disconnected: %(names)s.") % {"names": names})
        if report.failed:
            names = ", ".join(app.name for app in report.failed)
            messages.error(
                request,
                _("Could not disconnect: %(names)s. They still have access; try again.")
                % {"names": names},
            )
        if report.unknown:
            names = ", ".join(app.name for app in report.unknown)
            messages.warning(
                request,
                _("Could not confirm: %(names)s. Check whether they are still listed.")
                % {"names": names},
            )
        if request.htmx:
            return HttpResponseClientRedirect(_list_url())
        return redirect(_list_url())
    context = {"form": form, "app_names": apps.connected_app_names(subject=subject)}
    status = 400 if form.is_bound else 200
    template = fragment_template(request, "connected_apps/app_revoke_all.html", "revoke-all")
    return TemplateResponse(request, template, context, status=status)


def narrowed_message(name: str, result: NarrowResult) -> str:
    """What a narrowing did, as Authlete confirmed it: the person hears when access had to end."""
    if result.app is None:
        return _(
            "To take those permissions back, %(app)s had to be disconnected: Authlete would "
            "otherwise have let it keep them. It will ask you again when you next use it."
        ) % {"app": name}
    if result.ended_tokens:
        return _(
            "%(app)s now has only the permissions you kept. Some of its sign-ins had to end so "
            "it cannot regain what you removed; it may ask you again."
        ) % {"app": name}
    return _("%(app)s now has only the permissions you kept.") % {"app": name}


@require_GET
@subject_required()
def activity(request: HtmxHttpRequest, subject: str) -> HttpResponse:
    events = audit_event_list(subject=subject)
    return TemplateResponse(request, "connected_apps/activity.html", {"events": events})
