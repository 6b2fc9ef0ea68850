"""The console's changes, each behind a confirmation that asks for the reason once.

GET shows what will happen and that the person will read it, with the reason box; POST does it
and returns to the person's page with the outcome (POST/redirect/GET, no script needed). A POST
without a reason, or with an invalid choice, re-renders the confirmation with the error, changes
nothing, and is on the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from connected_apps import authlete
from connected_apps.forms import NarrowForm, StaffReasonForm, error_codes
from connected_apps.models import AuditEvent
from connected_apps.services import apps, narrow, revoke, tokens
from connected_apps.services.audit import Actor, audit_refusal
from connected_apps.services.errors import NotYours
from connected_apps.services.types import ConnectedApp
from connected_apps.staff.common import Person, console_context, console_view, person_for
from connected_apps.staff.outcomes import report_change, report_revoke_all
from connected_apps.staff.pages import authlete_trouble
from connected_apps.views.common import actor_for, audit_not_yours

_TEMPLATES = "admin/connected_apps/console/"


@require_http_methods(["GET", "POST"])
@console_view(acting=True)
def app_revoke(request: HttpRequest, subject: str, client_id: int) -> HttpResponse:
    person = person_for(subject)
    app = _load_app(request, person, client_id)
    if isinstance(app, HttpResponse):
        return app

    def perform(actor: Actor) -> str:
        revoke.connected_app_revoke(subject=subject, client_id=client_id, actor=actor)
        return _("Disconnected %(app)s. %(person)s will see this, and your reason.") % {
            "app": app.name,
            "person": person.label,
        }

    return _confirmation(
        request,
        person,
        template="confirm_revoke.html",
        context={"app": app, "title": _("Disconnect %(app)s?") % {"app": app.name}},
        audited={"action": AuditEvent.Action.REVOKE, "client_id": client_id},
        perform=perform,
    )


@require_http_methods(["GET", "POST"])
@console_view(acting=True)
def app_narrow(request: HttpRequest, subject: str, client_id: int) -> HttpResponse:
    person = person_for(subject)
    app = _load_app(request, person, client_id)
    if isinstance(app, HttpResponse):
        return app
    choice = NarrowForm(request.POST if request.method == "POST" else None, app=app)
    context = {
        "app": app,
        "choice": choice,
        "title": _("Remove permissions from %(app)s") % {"app": app.name},
    }
    audited = {
        "action": AuditEvent.Action.NARROW,
        "client_id": client_id,
        "client_name": app.record_name,
        "scopes_before": app.scopes,
        "scopes_after": request.POST.getlist("keep"),
    }

    def perform(actor: Actor) -> str:
        # Without the token list nothing can be narrowed: the use case refuses and audits it.
        keep = choice.cleaned_data["keep"] if app.permissions_known else []
        result = narrow.connected_app_narrow(
            subject=subject, client_id=client_id, keep=keep, actor=actor
        )
        if result.app is None:
            return _(
                "Removed those permissions; %(app)s had to be disconnected to do so. "
                "%(person)s will see this, and your reason."
            ) % {"app": app.name, "person": person.label}
        return _(
            "Updated the permissions of %(app)s. %(person)s will see this, and your reason."
        ) % {
            "app": app.name,
            "person": person.label,
        }

    return _confirmation(
        request,
        person,
        template="confirm_narrow.html",
        context=context,
        audited=audited,
        perform=perform,
        choice=choice if app.permissions_known else None,
    )


@require_http_methods(["GET", "POST"])
@console_view(acting=True)
def token_end(request: HttpRequest, subject: str, client_id: int, token_hash: str) -> HttpResponse:
    person = person_for(subject)
    try:
        owned = tokens.token_get(subject=subject, client_id=client_id, token_hash=token_hash)
    except NotYours:
        return _gone(request, person, client_id=client_id, token_hash=token_hash)
    except authlete.AuthleteError as exc:
        return _trouble(request, person, exc)
    label = {"token": owned.short_hash, "app": owned.app_name, "person": person.label}

    def perform(actor: Actor) -> str:
        tokens.token_delete(subject=subject, owned=owned, actor=actor)
        return (
            _("Ended token %(token)s… of %(app)s. %(person)s will see this, and your reason.")
            % label
        )

    return _confirmation(
        request,
        person,
        template="confirm_token_end.html",
        context={"owned": owned, "title": _("End token %(token)s… of %(app)s?") % label},
        audited={
            "action": AuditEvent.Action.TOKEN_DELETE,
            "client_id": client_id,
            "client_name": owned.record_name,
            "token_hash": owned.token.access_token_hash,
        },
        perform=perform,
    )


@require_http_methods(["GET", "POST"])
@console_view(acting=True)
def revoke_all(request: HttpRequest, subject: str) -> HttpResponse:
    person = person_for(subject)
    try:
        names = apps.connected_app_names(subject=subject)
    except authlete.AuthleteError as exc:
        return _trouble(request, person, exc)
    context = {
        "app_names": names,
        "title": _("Disconnect every app of %(person)s?") % {"person": person.label},
    }
    form = StaffReasonForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        actor = actor_for(request, staff_reason=form.cleaned_data["reason"])
        try:
            report = revoke.connected_app_revoke_all(subject=subject, actor=actor)
        except authlete.AuthleteError as exc:
            return _trouble(request, person, exc)
        report_revoke_all(request, report)
        return redirect(person.url)
    if form.is_bound:
        _audit_no_reason(request, subject, {"action": AuditEvent.Action.REVOKE})
    return _render(request, person, "confirm_revoke_all.html", {**context, "form": form})


def _confirmation(
    request: HttpRequest,
    person: Person,
    *,
    template: str,
    context: dict[str, Any],
    audited: dict[str, Any],
    perform: Callable[[Actor], str],
    choice: Any = None,
) -> HttpResponse:
    """The confirmation page, or the change once posted with a reason (and a valid choice)."""
    form = StaffReasonForm(request.POST if request.method == "POST" else None)
    context = {**context, "form": form}
    if request.method != "POST":
        return _render(request, person, template, context)
    reason_given = form.is_valid()
    if not reason_given:
        _audit_no_reason(request, person.subject, audited)
    elif choice is not None and not choice.is_valid():
        audit_refusal(
            actor=actor_for(request, staff_reason=form.cleaned_data["reason"]),
            refusal=AuditEvent.Refusal.INVALID,
            subject=person.subject,
            note=error_codes(choice),
            **audited,
        )
    else:
        actor = actor_for(request, staff_reason=form.cleaned_data["reason"])
        failure = report_change(
            request,
            lambda: perform(actor),
            actor=actor,
            subject=person.subject,
            client_id=audited.get("client_id", 0),
            token_hash=audited.get("token_hash", ""),
        )
        if failure is None:
            return redirect(person.url)
        # Said where support is looking, with the reason still in the box to try again.
        context["failure"] = failure
        return _render(request, person, template, context, status=failure.status)
    return _render(request, person, template, context, status=400)


def _audit_no_reason(request: HttpRequest, subject: str, audited: dict[str, Any]) -> None:
    audit_refusal(
        actor=actor_for(request, staff_reason=""),
        refusal=AuditEvent.Refusal.NO_REASON,
        subject=subject,
        **audited,
    )


def _load_app(request: HttpRequest, person: Person, client_id: int) -> ConnectedApp | HttpResponse:
    """The person's app, or the page saying it is not connected (or Authlete is away)."""
    try:
        return apps.connected_app_get(subject=person.subject, client_id=client_id)
    except NotYours:
        return _gone(request, person, client_id=client_id)
    except authlete.AuthleteError as exc:
        return _trouble(request, person, exc)


def _render(
    request: HttpRequest, person: Person, template: str, context: dict[str, Any], status: int = 200
) -> TemplateResponse:
    context = console_context(request, person=person, **context)
    return TemplateResponse(request, _TEMPLATES + template, context, status=status)


def _gone(
    request: HttpRequest, person: Person, *, client_id: int, token_hash: str = ""
) -> TemplateResponse:
    """Not the person's (any more): said plainly; a change asked for it is on the trail."""
    if request.method == "POST":
        audit_not_yours(
            request,
            subject=person.subject,
            client_id=client_id,
            token_hash=token_hash,
            actor=actor_for(request, staff_reason=request.POST.get("reason", "")[:500]),
        )
    context = {"title": _("Not connected")}
    return _render(request, person, "app_gone.html", context, status=404)


def _trouble(request: HttpRequest, person: Person, exc: authlete.AuthleteError) -> TemplateResponse:
    context = {"title": _("Authlete is not answering"), "error": authlete_trouble(exc)}
    return _render(request, person, "trouble.html", context, status=503)
