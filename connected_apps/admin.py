"""Admin: the read-only audit trail, and any user's connected apps for staff to act on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts.subjects import subject_for_user
from connected_apps import authlete, services
from connected_apps.forms import (
    NarrowForm,
    StaffReasonForm,
    TokenExpiryForm,
    TokenNarrowForm,
    TokenPropertiesForm,
)
from connected_apps.models import AuditEvent
from connected_apps.views import actor_for, page_number

MANAGE_PERMISSION = "connected_apps.manage_connected_apps"

# What each non-OK action of Authlete's token update means; none of them changed the token.
TOKEN_UPDATE_FAILURES = {
    "BAD_REQUEST": _lazy("Authlete refused the change as invalid. Nothing was changed."),
    "NOT_FOUND": _lazy(
        "Authlete no longer has this token: it expired or was ended meanwhile. Nothing was changed."
    ),
    "FORBIDDEN": _lazy("This token belongs to another service. Nothing was changed."),
    "INTERNAL_SERVER_ERROR": _lazy(
        "Authlete had an internal error. Nothing was changed; try again."
    ),
}
TOKEN_ACTIONS = ("token_narrow", "token_expiry", "token_properties", "token_delete")


@dataclass(frozen=True, slots=True)
class TokenRow:
    """One token of a user for an app, with the staff forms that change it."""

    token: authlete.TokenInfo
    short_hash: str
    max_expiry: datetime
    narrow_form: TokenNarrowForm
    expiry_form: TokenExpiryForm
    properties_form: TokenPropertiesForm


def token_row(token: authlete.TokenInfo) -> TokenRow:
    prefix = f"tok-{token.access_token_hash[:16]}"
    return TokenRow(
        token=token,
        short_hash=services.token_short_hash(token.access_token_hash),
        max_expiry=services.token_max_expiry(token),
        narrow_form=TokenNarrowForm(token=token, prefix=prefix),
        expiry_form=TokenExpiryForm(token=token, prefix=prefix),
        properties_form=TokenPropertiesForm(token=token, prefix=prefix),
    )


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    date_hierarchy = "created_at"
    list_display = [
        "created_at",
        "actor_username",
        "on_behalf",
        "subject",
        "client_name",
        "action",
        "outcome",
        "result_code",
    ]
    list_filter = ["action", "outcome", "on_behalf", "created_at"]
    search_fields = [
        "subject",
        "actor_username",
        "client_name",
        "=client_id",
        "reason",
        "token_hash",
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in self.model._meta.fields]

    # The trail is evidence: nobody adds, edits or deletes rows by hand.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view(self.user_connected_apps)
        return [
            path("user/<int:user_id>/", view, name="connected_apps_user_apps"),
            *super().get_urls(),
        ]

    def user_connected_apps(self, request: HttpRequest, user_id: int) -> HttpResponse:
        """Staff see a user's apps as the user does and can narrow or revoke, with a reason."""
        if not request.user.has_perm(MANAGE_PERMISSION):
            raise PermissionDenied
        person = get_object_or_404(get_user_model(), pk=user_id)
        subject = subject_for_user(person)
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "title": _("Connected apps of %(user)s") % {"user": person.get_username()},
            "person": person,
            "subject": subject,
            "opts": self.model._meta,
            "apps": [],
        }
        if not subject:
            return TemplateResponse(request, "admin/connected_apps/user_apps.html", context)
        try:
            if request.method == "POST":
                return self._act(request, person, subject, context)
            app_page = services.connected_app_list(
                subject=subject, page=page_number(request.GET.get("page")), query=""
            )
        except authlete.AuthleteError as exc:
            context["error"] = _("Authlete could not be reached or refused the call: %(error)s") % {
                "error": exc
            }
            return TemplateResponse(
                request, "admin/connected_apps/user_apps.html", context, status=503
            )
        context["app_page"] = app_page
        tokens = services.token_list(
            subject=subject, client_ids=[app.client_id for app in app_page.apps]
        )
        context["apps"] = [
            (
                app,
                NarrowForm(app=app, prefix=f"app{app.client_id}"),
                [token_row(token) for token in tokens[app.client_id]],
            )
            for app in app_page.apps
        ]
        context["events"] = services.audit_events_for_subject(subject=subject, limit=20)
        return TemplateResponse(request, "admin/connected_apps/user_apps.html", context)

    def _act(
        self, request: HttpRequest, person: Any, subject: str, context: dict[str, Any]
    ) -> HttpResponse:
        try:
            client_id = int(request.POST.get("client_id", ""))
        except ValueError:
            raise Http404 from None
        if request.POST.get("action") in TOKEN_ACTIONS:
            return self._act_on_token(request, person, subject, client_id)
        try:
            app = services.connected_app_get(subject=subject, client_id=client_id)
        except services.AppNotConnected:
            raise Http404 from None
        reason_form = StaffReasonForm(request.POST)
        narrow_form = NarrowForm(request.POST, app=app, prefix=f"app{app.client_id}")
        action = request.POST.get("action")
        back = reverse("admin:connected_apps_user_apps", args=[person.pk])
        if not reason_form.is_valid():
            messages.error(request, _("Give a reason: the person will see it in their activity."))
            return redirect(back)
        actor = actor_for(request, staff_reason=reason_form.cleaned_data["reason"])
        if action == "revoke":
            services.connected_app_revoke(subject=subject, app=app, actor=actor)
            messages.success(request, _("Disconnected %(app)s.") % {"app": app.name})
        elif action == "narrow" and narrow_form.is_valid():
            # The form already holds the choice to a strict subset of what the app has now.
            services.connected_app_narrow(
                subject=subject, app=app, keep=narrow_form.cleaned_data["keep"], actor=actor
            )
            messages.success(request, _("Updated the permissions of %(app)s.") % {"app": app.name})
        else:
            errors = "; ".join(str(e) for e in narrow_form.errors.get("keep", [])) or _(
                "Unknown action."
            )
            messages.error(request, errors)
        return redirect(back)

    def _act_on_token(
        self, request: HttpRequest, person: Any, subject: str, client_id: int
    ) -> HttpResponse:
        """Change or delete one token, checked to be this person's for this app right now."""
        try:
            owned = services.token_get(
                subject=subject,
                client_id=client_id,
                token_hash=request.POST.get("token_hash", ""),
            )
        except services.TokenNotFound:
            raise Http404 from None
        back = reverse("admin:connected_apps_user_apps", args=[person.pk]) + f"#app-{client_id}"
        reason_form = StaffReasonForm(request.POST)
        if not reason_form.is_valid():
            messages.error(request, _("Give a reason: the person will see it in their activity."))
            return redirect(back)
        actor = actor_for(request, staff_reason=reason_form.cleaned_data["reason"])
        label = {"token": owned.short_hash, "app": owned.app_name}
        try:
            done = _token_change(request, subject, owned, actor)
        except services.TokenChangeRefused:
            messages.error(request, _("That change is not allowed for this token."))
        except services.TokenUpdateFailed as failure:
            messages.error(
                request,
                TOKEN_UPDATE_FAILURES.get(
                    failure.action,
                    _("Authlete did not confirm the change. Nothing was changed."),
                ),
            )
        except authlete.AuthleteError as exc:
            messages.error(
                request,
                _("Authlete could not be reached or refused the call: %(error)s") % {"error": exc},
            )
        else:
            if done:
                messages.success(request, done % label)
        return redirect(back)


def _token_change(
    request: HttpRequest, subject: str, owned: services.OwnedToken, actor: services.Actor
) -> str:
    """Apply the posted token action; the success message, or "" after form errors shown."""
    action = request.POST["action"]
    prefix = f"tok-{owned.token.access_token_hash[:16]}"
    if action == "token_delete":
        services.token_delete(subject=subject, owned=owned, actor=actor)
        return _("Deleted token %(token)s… of %(app)s.")
    form_class = {
        "token_narrow": TokenNarrowForm,
        "token_expiry": TokenExpiryForm,
        "token_properties": TokenPropertiesForm,
    }[action]
    form = form_class(request.POST, token=owned.token, prefix=prefix)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return ""
    if isinstance(form, TokenNarrowForm):
        services.token_narrow(
            subject=subject, owned=owned, keep=form.cleaned_data["keep"], actor=actor
        )
        return _("Narrowed the scopes of token %(token)s… of %(app)s.")
    if isinstance(form, TokenExpiryForm):
        services.token_expiry_set(
            subject=subject, owned=owned, expires_at=form.cleaned_data["expires_at"], actor=actor
        )
        return _("Changed when token %(token)s… of %(app)s expires.")
    services.token_properties_set(
        subject=subject, owned=owned, properties=form.properties(), actor=actor
    )
    return _("Changed the properties of token %(token)s… of %(app)s.")
