"""``app_name``: a client's raw name, as every page shows names, for pages that hold metadata."""

from __future__ import annotations

from django import template

from connected_apps.services.names import display_name

register = template.Library()


@register.filter
def app_name(raw: str, client_id: int | str) -> str:
    """``{{ client.name|app_name:client.client_id }}``"""
    return display_name(raw or "", client_id)
