"""The console's reading pages: the search that starts it, a person's apps, one app's tokens.

Support finds a person by subject, username or e-mail, then sees their apps as the person's own
list shows them (same rows, paging, search and sort), and each app's tokens with the tools.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.subjects import subject_for_user
from connected_apps import authlete
from connected_apps.services import apps, logos, tokens
from connected_apps.services.audit import audit_event_list
from connected_apps.services.errors import AppNotConnected
from connected_apps.services.filters import parse_filters
from connected_apps.staff.common import console_context, console_view, person_for
from connected_apps.staff.find import person_search
from connected_apps.staff.pages import authlete_trouble, token_row
from connected_apps.views.common import page_number

_TEMPLATES = "admin/connected_apps/console/"


@require_GET
@console_view()
def start(request: HttpRequest) -> HttpResponse:
    """One search box; a query naming one person exactly opens their page at once."""
    result = person_search(request.GET.get("q", ""))
    if result.exact_subject:
        return redirect("admin:staff_subject", result.exact_subject)
    context = console_context(
        request, title=_("Find a person"), result=result, console_section="find"
    )
    return TemplateResponse(request, _TEMPLATES + "start.html", context)


@require_GET
@console_view()
def subject_page(request: HttpRequest, subject: str) -> HttpResponse:
    person = person_for(subject)
    context = console_context(
        request,
        title=_("Connected apps of %(person)s") % {"person": person.label},
        person=person,
    )
    # The person's own list filters; one it does not know is named back (400), never dropped.
    filters, unknown_filters = parse_filters(request.GET.getlist("filter"))
    context["unknown_filters"] = unknown_filters
    try:
        context["app_page"] = apps.connected_app_list(
            subject=subject,
            page=page_number(request.GET.get("page")),
            query=request.GET.get("q", "")[:100],
            order=list_order(request.GET.get("sort")),
            filters=filters,
        )
    except authlete.AuthleteError as exc:
        context["error"] = authlete_trouble(exc)
        return TemplateResponse(request, _TEMPLATES + "subject.html", context, status=503)
    context["events"] = audit_event_list(subject=subject, limit=10)
    status = 400 if unknown_filters else 200
    return TemplateResponse(request, _TEMPLATES + "subject.html", context, status=status)


@require_GET
@console_view()
def app_page(request: HttpRequest, subject: str, client_id: int) -> HttpResponse:
    """One app of the person: what it can do, each token, and the token tools."""
    person = person_for(subject)
    context = console_context(request, person=person)
    try:
        app = apps.connected_app_get(subject=subject, client_id=client_id)
        held = tokens.token_list(subject=subject, client_ids=[client_id])[client_id]
    except AppNotConnected:
        context["title"] = _("Not connected")
        return TemplateResponse(request, _TEMPLATES + "app_gone.html", context, status=404)
    except authlete.AuthleteError as exc:
        context.update(title=_("Connected apps"), error=authlete_trouble(exc))
        return TemplateResponse(request, _TEMPLATES + "app.html", context, status=503)
    context.update(
        title=app.name, app=app, token_rows=[token_row(token) for token in held], subject=subject
    )
    return TemplateResponse(request, _TEMPLATES + "app.html", context)


@require_GET
@console_view()
def app_logo(request: HttpRequest, subject: str, client_id: int) -> HttpResponse:
    """The person's app's logo, for the console's rows (the person's own URL serves only them)."""
    png = logos.connected_app_logo(subject=subject, client_id=client_id)
    if png is None:
        raise Http404(_("This app has no logo."))
    response = HttpResponse(png, content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    response["Cache-Control"] = "private, max-age=86400"
    return response


@require_GET
@console_view()
def person_by_account(request: HttpRequest, user_id: int) -> HttpResponse:
    """Older links name the account; the console names the subject its grants are under."""
    person = get_object_or_404(get_user_model(), pk=user_id)
    subject = subject_for_user(person)
    if subject:
        return redirect("admin:staff_subject", subject)
    context = console_context(request, title=_("No connected apps"), account=person)
    return TemplateResponse(request, _TEMPLATES + "no_subject.html", context)


def list_order(value: str | None) -> apps.ListOrder:
    try:
        return apps.ListOrder(value or apps.ListOrder.REVIEW)
    except ValueError:
        return apps.ListOrder.REVIEW
