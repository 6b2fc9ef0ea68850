"""Admin: the read-only audit trail, and any user's connected apps for staff to act on."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _

from accounts.subjects import subject_for_user
from connected_apps import authlete, services
from connected_apps.forms import NarrowForm, StaffReasonForm
from connected_apps.models import AuditEvent

MANAGE_PERMISSION = "connected_apps.manage_connected_apps"


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
    search_fields = ["subject", "actor_username", "client_name", "=client_id", "reason"]

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
                subject=subject, page=_page(request.GET.get("page")), query=""
            )
        except authlete.AuthleteError as exc:
            context["error"] = _("Authlete could not be reached or refused the call: %(error)s") % {
                "error": exc
            }
            return TemplateResponse(
                request, "admin/connected_apps/user_apps.html", context, status=503
            )
        context["app_page"] = app_page
        context["apps"] = [
            (app, NarrowForm(app=app, prefix=f"app{app.client_id}")) for app in app_page.apps
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
        actor = services.Actor(
            user=request.user,
            ip_address=request.META.get("REMOTE_ADDR") or None,
            user_agent=request.headers.get("User-Agent", "")[:512],
            on_behalf=True,
            reason=reason_form.cleaned_data["reason"],
        )
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


def _page(raw: str | None) -> int:
    try:
        return max(1, min(int(raw or 1), 100_000))
    except ValueError:
        return 1
