"""Pages where a signed-in person sees their connected apps and takes access back.

Every view serves a full page, and the htmx fragment of it when htmx asks; plain form posts
redirect (POST/redirect/GET), so everything works with JavaScript off.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from accounts.subjects import subject_for_user
from connected_apps import authlete, services
from connected_apps.forms import NarrowForm, RevokeAllForm

type View = Callable[..., HttpResponse]


def actor_for(request: HttpRequest, *, staff_reason: str | None = None) -> services.Actor:
    """Who is asking, from where; staff acting for someone pass the reason they gave."""
    return services.Actor(
        user=request.user,
        ip_address=request.META.get("REMOTE_ADDR") or None,
        user_agent=request.headers.get("User-Agent", "")[:512],
        on_behalf=staff_reason is not None,
        reason=staff_reason or "",
    )


def fragment_template(request: HttpRequest, template: str, partial: str) -> str:
    """The server, not the client, picks the fragment an htmx request gets."""
    return f"{template}#{partial}" if request.htmx else template


def error_response(request: HttpRequest, exc: authlete.AuthleteError) -> TemplateResponse:
    """Authlete failed: a short human message and a way to try again, in place."""
    if isinstance(exc, authlete.AuthleteTimeout):
        message = _("The account service is taking too long to answer.")
    elif isinstance(exc, authlete.AuthleteUnavailable):
        message = _("The account service is not reachable right now.")
    else:
        message = _("The account service could not handle this request.")
    retry_url = request.get_full_path() if request.method == "GET" else request.path
    writing = request.method != "GET"
    # Only an error answer from Authlete proves a change was not made; a timeout, a dropped
    # connection or a garbled success may come after Authlete acted, so promise neither way.
    refused = exc.status is not None and exc.status >= 400
    context = {
        "message": message,
        "unchanged": writing and refused,
        "outcome_unknown": writing and not refused,
        "retry_url": retry_url,
    }
    status = 503 if isinstance(exc, authlete.AuthleteUnavailable) else 502
    template = fragment_template(request, "connected_apps/error.html", "error")
    return TemplateResponse(request, template, context, status=status)


def not_found(request: HttpRequest, message: str) -> HttpResponse:
    """Not this person's, or gone already. Under htmx the stale element on screen is removed
    and the reason announced, instead of a click that silently does nothing."""
    if not request.htmx:
        raise Http404(message)
    context = {"announcement": message}
    return TemplateResponse(
        request, "connected_apps/app_list.html#app-removed", context, status=404
    )


def subject_required(view: View) -> View:
    """Resolve the person's subject, and turn Authlete failures into the error fragment."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        subject = subject_for_user(request.user)
        if not subject:
            return TemplateResponse(request, "connected_apps/no_subject.html", status=403)
        try:
            return view(request, subject, *args, **kwargs)
        except services.AppNotConnected:
            return not_found(request, _("This app is not connected to your account."))
        except authlete.AuthleteError as exc:
            return error_response(request, exc)

    return wrapper


def writes_rate_limited(view: View) -> View:
    """Cap each person's changes per minute (``PORTAL_WRITES_PER_MINUTE``; 0 turns it off).

    A runaway script or a stuck button then cannot hammer Authlete through someone's session.
    The count lives in the cache, so every worker behind the same cache shares it.
    """

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        limit = int(getattr(settings, "PORTAL_WRITES_PER_MINUTE", 30))
        if request.method != "POST" or limit < 1:
            return view(request, *args, **kwargs)
        window = int(time.time() // 60)
        key = f"ratelimit:writes:{request.user.pk}:{window}"
        # add() then incr() is atomic on Redis and the local-memory cache alike.
        cache.add(key, 0, timeout=120)
        try:
            count = cache.incr(key)
        except ValueError:  # the key expired between the two calls
            cache.set(key, 1, timeout=120)
            count = 1
        if count > limit:
            context = {
                "message": _("You are making changes too quickly. Wait a minute, then try again."),
                "unchanged": True,
                "retry_url": request.path,
            }
            template = fragment_template(request, "connected_apps/error.html", "error")
            response = TemplateResponse(request, template, context, status=429)
            response["Retry-After"] = str(60 - int(time.time()) % 60)
            return response
        return view(request, *args, **kwargs)

    return wrapper


def page_number(raw: str | None) -> int:
    try:
        return max(1, min(int(raw or 1), 100_000))
    except ValueError:
        return 1


def _list_url(app: services.ConnectedApp | None = None) -> str:
    url = reverse("connected_apps:list")
    return f"{url}#app-{app.client_id}" if app else url


@require_GET
@subject_required
def app_list(request: HttpRequest, subject: str) -> HttpResponse:
    query = request.GET.get("q", "")[:100]
    app_page = services.connected_app_list(
        subject=subject, page=page_number(request.GET.get("page")), query=query
    )
    template = fragment_template(request, "connected_apps/app_list.html", "app-list")
    return TemplateResponse(request, template, {"app_page": app_page})


@require_GET
@subject_required
def app_card(request: HttpRequest, subject: str, client_id: int) -> HttpResponse:
    app = services.connected_app_get(subject=subject, client_id=client_id)
    if not request.htmx:
        return redirect(_list_url(app))
    return TemplateResponse(request, "connected_apps/app_list.html#app-card", {"app": app})


@require_GET
@subject_required
def app_detail(request: HttpRequest, subject: str, client_id: int) -> HttpResponse:
    detail = services.connected_app_detail(subject=subject, client_id=client_id)
    template = fragment_template(request, "connected_apps/app_detail.html", "detail")
    return TemplateResponse(request, template, {"detail": detail, "app": detail.app})


@require_http_methods(["GET", "POST"])
@writes_rate_limited
@subject_required
def app_narrow(request: HttpRequest, subject: str, client_id: int) -> HttpResponse:
    app = services.connected_app_get(subject=subject, client_id=client_id)
    form = NarrowForm(request.POST if request.method == "POST" else None, app=app)
    if request.method == "POST" and form.is_valid():
        try:
            updated = services.connected_app_narrow(
                subject=subject, app=app, keep=form.cleaned_data["keep"], actor=actor_for(request)
            )
        except services.ScopeChangeRefused:
            form.add_error(None, _("These permissions changed meanwhile. Please choose again."))
        else:
            message = _("%(app)s now has only the permissions you kept.") % {"app": app.name}
            if request.htmx:
                context = {"app": updated, "announcement": message}
                return TemplateResponse(
                    request, "connected_apps/app_list.html#app-card-swap", context
                )
            messages.success(request, message)
            return redirect(_list_url(app))
    template = fragment_template(request, "connected_apps/app_narrow.html", "narrow-card")
    status = 400 if form.is_bound else 200
    return TemplateResponse(request, template, {"app": app, "form": form}, status=status)


@require_http_methods(["GET", "POST"])
@writes_rate_limited
@subject_required
def app_revoke(request: HttpRequest, subject: str, client_id: int) -> HttpResponse:
    app = services.connected_app_get(subject=subject, client_id=client_id)
    if request.method == "POST":
        services.connected_app_revoke(subject=subject, app=app, actor=actor_for(request))
        message = _("%(app)s was disconnected and can no longer access your account.") % {
            "app": app.name
        }
        if request.htmx:
            context = {"announcement": message}
            return TemplateResponse(request, "connected_apps/app_list.html#app-removed", context)
        messages.success(request, message)
        return redirect(_list_url())
    template = fragment_template(request, "connected_apps/app_revoke.html", "revoke-card")
    return TemplateResponse(request, template, {"app": app})


@require_http_methods(["GET", "POST"])
@writes_rate_limited
@subject_required
def app_revoke_all(request: HttpRequest, subject: str) -> HttpResponse:
    form = RevokeAllForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        report = services.connected_app_revoke_all(subject=subject, actor=actor_for(request))
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
        if request.htmx:
            return HttpResponseClientRedirect(_list_url())
        return redirect(_list_url())
    context = {"form": form, "app_names": services.connected_app_names(subject=subject)}
    status = 400 if form.is_bound else 200
    template = fragment_template(request, "connected_apps/app_revoke_all.html", "revoke-all")
    return TemplateResponse(request, template, context, status=status)


@require_GET
@subject_required
def activity(request: HttpRequest, subject: str) -> HttpResponse:
    events = services.audit_events_for_subject(subject=subject)
    return TemplateResponse(request, "connected_apps/activity.html", {"events": events})
