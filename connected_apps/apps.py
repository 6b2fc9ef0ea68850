"""App configuration for connected_apps."""

from __future__ import annotations

from django.apps import AppConfig


class ConnectedAppsConfig(AppConfig):
    name = "connected_apps"
    verbose_name = "Connected apps"
