"""Admin: the audit trail, read-only, and developers confirmed for apps.

The staff console's pages are in ``connected_apps.staff``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from connected_apps import authlete
from connected_apps.models import AuditEvent, ConfirmedDeveloper
from connected_apps.notifications import admin as notifications_admin  # noqa: F401 (registers)
from connected_apps.services import names, reads
from connected_apps.services.bylines import developer_confirm
from connected_apps.staff.pages import MANAGE_PERMISSION


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


class ConfirmedDeveloperForm(forms.ModelForm):
    class Meta:
        model = ConfirmedDeveloper
        fields = ["client_id", "developer"]

    def clean_client_id(self) -> int:
        client_id = self.cleaned_data["client_id"]
        try:
            authlete.get_client().client_get(client_id)
        except authlete.AuthleteNotFound:
            raise forms.ValidationError(
                _("Authlete has no client with this id."), code="unknown_client"
            ) from None
        except authlete.AuthleteError:
            raise forms.ValidationError(
                _("Could not reach Authlete to check this client. Nothing was saved; try again."),
                code="authlete_unavailable",
            ) from None
        return client_id

    def clean_developer(self) -> str:
        developer = self.cleaned_data["developer"].strip()
        if not developer:
            raise forms.ValidationError(_("This field is required."), code="required")
        return developer


@admin.register(ConfirmedDeveloper)
class ConfirmedDeveloperAdmin(admin.ModelAdmin):
    """Staff confirm who made an app: its byline and the developer page that lists it."""

    form = ConfirmedDeveloperForm
    list_display = ["client_id", "developer", "confirmed_by", "confirmed_at"]
    search_fields = ["=client_id", "developer"]
    readonly_fields = ["app_name", "confirmed_by", "confirmed_at"]

    @admin.display(description=_("app"))
    def app_name(self, obj: ConfirmedDeveloper) -> str:
        if obj.pk is None:
            return "—"
        try:
            details = reads.client_details(obj.client_id)
        except authlete.AuthleteError:
            return "—"
        return names.display_name(details.name, obj.client_id)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        developer_confirm(obj, staff=request.user)

    # Who made an app decides whose page lists it: the same people who may map an account to
    # a developer name may confirm one.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(MANAGE_PERMISSION)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(MANAGE_PERMISSION)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(MANAGE_PERMISSION)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(MANAGE_PERMISSION)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(MANAGE_PERMISSION)
