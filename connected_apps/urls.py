"""URLs of the connected-apps pages, under /apps/; the registration API is routed in portal.urls."""

from __future__ import annotations

from django.urls import path

from connected_apps import converters  # noqa: F401  (registers <client_id:...>)
from connected_apps.notifications import views as notifications
from connected_apps.views import apps, cleanup, developer, export, logos, tokens

app_name = "connected_apps"

urlpatterns = [
    path("", apps.app_list, name="list"),
    path("activity/", apps.activity, name="activity"),
    path("activity/export.csv", export.export_csv, name="export_csv"),
    path("activity/export.json", export.export_json, name="export_json"),
    path("revoke-all/", apps.app_revoke_all, name="revoke_all"),
    path("disconnect/", cleanup.apps_disconnect_review, name="disconnect_review"),
    path("disconnect/confirm/", cleanup.apps_disconnect_chosen, name="disconnect_chosen"),
    path("developer/", developer.client_list, name="developer"),
    path("settings/", notifications.notification_settings, name="notification_settings"),
    path("developer/<client_id:client_id>/", developer.client_edit, name="developer_edit"),
    path("<client_id:client_id>/", apps.app_detail, name="detail"),
    path("<client_id:client_id>/card/", apps.app_card, name="card"),
    path("<client_id:client_id>/logo.png", logos.app_logo, name="logo"),
    path("<client_id:client_id>/narrow/", apps.app_narrow, name="narrow"),
    path("<client_id:client_id>/revoke/", apps.app_revoke, name="revoke"),
    path("<client_id:client_id>/tokens/<str:token_hash>/end/", tokens.token_end, name="token_end"),
]
