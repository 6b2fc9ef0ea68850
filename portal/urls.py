"""Top-level URL routes."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from accounts import language
from connected_apps.notifications import webhook
from connected_apps.views import registration
from portal import health

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="connected_apps:list"), name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("accounts/", include("allauth.urls")),
    path("apps/", include("connected_apps.urls")),
    # RFC 7591/7592 client registration, for machines: no session, no CSRF, JSON only.
    path("register", registration.register, name="register"),
    path(
        "register/<str:client_id>",
        registration.client_configuration,
        name="register_client",
    ),
    # The authorization server reports new grants here, signed with PORTAL_WEBHOOK_SECRET.
    path("hooks/grant-issued", webhook.grant_issued, name="grant_issued_hook"),
    path("admin/", admin.site.urls),
    # Django's set_language at its usual address, also saving the choice on the account.
    path("i18n/setlang/", language.set_language, name="set_language"),
]

# Django's own 404 handler renders templates/404.html with the request, so it keeps the shell.
handler500 = "portal.errors.server_error"
