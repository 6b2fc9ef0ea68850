"""The admin site, with the staff console's pages mounted beside the model admins."""

from __future__ import annotations

from django.contrib import admin
from django.urls import URLPattern, URLResolver
from django.utils.translation import gettext_lazy as _


class PortalAdminSite(admin.AdminSite):
    site_header = _("Connected apps — staff")
    site_title = _("Connected apps staff")

    def get_urls(self) -> list[URLResolver | URLPattern]:
        # Imported here: the console's views import forms and services, which need apps loaded.
        from connected_apps import staff

        return [*staff.urlpatterns(self), *super().get_urls()]
