"""URLs of the connected-apps pages, under /apps/; the registration API is routed in portal.urls."""

from __future__ import annotations

from django.urls import path

from connected_apps import converters  # noqa: F401  (registers <client_id:...>)
from connected_apps.views import apps, developer, logos, tokens

app_name = "connected_apps"

urlpatterns = [
    path("", apps.app_list, name="list"),
    path("activity/", apps.activity, name="activity"),
    path("revoke-all/", apps.app_revoke_all, name="revoke_all"),
    path("developer/", developer.client_list, name="developer"),
    path("developer/<client_id:client_id>/", developer.client_edit, name="developer_edit"),
    path("<client_id:client_id>/", apps.app_detail, name="detail"),
    path("<client_id:client_id>/card/", apps.app_card, name="card"),
    path("<client_id:client_id>/logo.png", logos.app_logo, name="logo"),
    path("<client_id:client_id>/narrow/", apps.app_narrow, name="narrow"),
    path("<client_id:client_id>/revoke/", apps.app_revoke, name="revoke"),
    path("<client_id:client_id>/tokens/<str:token_hash>/end/", tokens.token_end, name="token_end"),
]
