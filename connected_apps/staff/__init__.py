"""The staff console on the admin site: a person's apps and tokens, each change with a reason.

``pages`` shows a person's connected apps as support sees them; ``changes`` holds one POST view
per change. Mounted by ``portal.admin``, behind the admin's login.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin
from django.http import HttpResponse
from django.urls import URLPattern, path

from connected_apps import converters  # noqa: F401  (registers <client_id:...>)
from connected_apps.staff import changes, pages


def urlpatterns(site: admin.AdminSite) -> list[URLPattern]:
    """The console's URLs, each behind the admin's login."""
    app = "people/<int:user_id>/apps/<client_id:client_id>/"
    token = f"{app}tokens/<str:token_hash>/"
    routes: list[tuple[str, Callable[..., HttpResponse], str]] = [
        ("people/<int:user_id>/apps/", pages.person_apps, "staff_person_apps"),
        (f"{app}narrow/", changes.app_narrow, "staff_app_narrow"),
        (f"{app}revoke/", changes.app_revoke, "staff_app_revoke"),
        (f"{token}narrow/", changes.token_narrow, "staff_token_narrow"),
        (f"{token}expiry/", changes.token_expiry, "staff_token_expiry"),
        (f"{token}properties/", changes.token_properties, "staff_token_properties"),
        (f"{token}delete/", changes.token_delete, "staff_token_delete"),
    ]
    return [path(route, site.admin_view(view), name=name) for route, view, name in routes]
