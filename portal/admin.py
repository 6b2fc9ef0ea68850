"""The admin site, with the staff console's pages mounted beside the model admins."""

from __future__ import annotations

from typing import Any

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.http import HttpRequest
from django.urls import URLPattern, URLResolver
from django.utils.translation import gettext_lazy as _


class PortalAdminSite(admin.AdminSite):
    site_header = _("Connected apps — staff")
    site_title = _("Connected apps staff")
    # The admin's index, with the staff console's search first.
    index_template = "admin/connected_apps/console/admin_index.html"

    # Staff sign in through allauth like everyone, with its two-factor step and its limits on
    # failed attempts; the admin's own password form would skip both.
    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        return secure_admin_login(super().login)(request, extra_context)

    def each_context(self, request: HttpRequest) -> dict[str, Any]:
        # What the staff member's support role allows, for the index's link to the console.
        from connected_apps.staff.roles import role_of

        return {**super().each_context(request), "console_role": role_of(request.user)}

    def get_urls(self) -> list[URLResolver | URLPattern]:
        # Imported here: the console's views import forms and services, which need apps loaded.
        from connected_apps import staff

        return [*staff.urlpatterns(self), *super().get_urls()]
