"""The staff console on the admin site: find a person, see their apps, act with a reason, audit.

``console`` holds the reading pages (the search, a person's apps, one app's tokens), ``confirm``
the changes that ask for confirmation and a reason, ``changes`` the token tools, ``trail`` the
audit for support, ``incident`` and ``incident_progress`` one app disconnected from everyone,
``roles`` who may do what. Mounted by ``portal.admin``, behind its login.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote, unquote

from django.contrib import admin
from django.http import HttpResponse
from django.urls import URLPattern, path, register_converter

from connected_apps import converters  # noqa: F401  (registers <client_id:...>)
from connected_apps.staff import changes, confirm, console, incident, incident_progress, trail


class SubjectConverter:
    """An Authlete subject, any text: encoded whole so a "/" in it stays inside one segment."""

    regex = "[^/]+"

    def to_python(self, value: str) -> str:
        return unquote(value)

    def to_url(self, value: str) -> str:
        return quote(value, safe="")


register_converter(SubjectConverter, "subject")


def urlpatterns(site: admin.AdminSite) -> list[URLPattern]:
    """The console's URLs, each behind the admin's login; people are named by their subject."""
    person = "console/subjects/<subject:subject>/"
    app = f"{person}apps/<client_id:client_id>/"
    token = f"{app}tokens/<str:token_hash>/"
    # Incident response: one app across everyone, and the sweeps that disconnect it.
    suspect = "console/incident/apps/<client_id:client_id>/"
    sweep = "console/incident/sweeps/<int:sweep_id>/"
    routes: list[tuple[str, Callable[..., HttpResponse], str]] = [
        ("console/", console.start, "staff_console"),
        ("console/audit/", trail.trail, "staff_audit"),
        ("console/audit.csv", trail.trail_csv, "staff_audit_csv"),
        (person, console.subject_page, "staff_subject"),
        (f"{person}revoke-all/", confirm.revoke_all, "staff_revoke_all"),
        (app, console.app_page, "staff_app"),
        (f"{app}logo.png", console.app_logo, "staff_app_logo"),
        (f"{app}narrow/", confirm.app_narrow, "staff_app_narrow"),
        (f"{app}revoke/", confirm.app_revoke, "staff_app_revoke"),
        (f"{token}end/", confirm.token_end, "staff_token_delete"),
        (f"{token}narrow/", changes.token_narrow, "staff_token_narrow"),
        (f"{token}expiry/", changes.token_expiry, "staff_token_expiry"),
        (f"{token}properties/", changes.token_properties, "staff_token_properties"),
        ("console/incident/", incident.incident_find, "staff_incident"),
        (suspect, incident.incident_app, "staff_incident_app"),
        (f"{suspect}disconnect/", incident.incident_start, "staff_incident_start"),
        (sweep, incident_progress.incident_sweep, "staff_incident_sweep"),
        (f"{sweep}retry/", incident_progress.incident_retry, "staff_incident_retry"),
        # Older links name the account; they lead to its subject's page.
        ("people/<int:user_id>/apps/", console.person_by_account, "staff_person_apps"),
    ]
    return [path(route, site.admin_view(view), name=name) for route, view, name in routes]
