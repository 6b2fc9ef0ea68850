"""App configuration for connected_apps."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConnectedAppsConfig(AppConfig):
    name = "connected_apps"
    verbose_name = _("Connected apps")
