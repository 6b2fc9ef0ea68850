"""App configs of the project package: the admin site is ours, and so are the deployment checks."""

from __future__ import annotations

from django.contrib.admin.apps import AdminConfig
from django.core import checks

from portal.checks import rate_limits_share_one_cache


class PortalAdminConfig(AdminConfig):
    default_site = "portal.admin.PortalAdminSite"

    def ready(self) -> None:
        super().ready()
        # Untagged, so it runs before every command that checks, including the container's
        # `migrate` ahead of gunicorn: a start with unsound limits stops there.
        checks.register(rate_limits_share_one_cache)
