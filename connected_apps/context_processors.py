"""Template context every page may need about the service itself: its name and support."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest

from connected_apps.services import brand as brands


def brand(request: HttpRequest) -> dict[str, str | Callable[[], str]]:
    """The header's brand, the support address, and the service's name for "Made by …".

    ``service_name`` is a callable: templates call it only where a first-party app is shown,
    so other pages never ask Authlete for it.
    """
    return {
        "portal_brand": brands.brand_name(),
        "service_name": brands.service_name,
        "support_url": settings.PORTAL_SUPPORT_URL,
    }
