"""App configs of the project package: the admin site is ours, so the staff console lives on it."""

from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class PortalAdminConfig(AdminConfig):
    default_site = "portal.admin.PortalAdminSite"
