"""URLs of the connected-apps pages."""

from __future__ import annotations

from django.urls import path

from connected_apps import developer, tokens, views

app_name = "connected_apps"

urlpatterns = [
    path("", views.app_list, name="list"),
    path("activity/", views.activity, name="activity"),
    path("revoke-all/", views.app_revoke_all, name="revoke_all"),
    path("developer/", developer.client_list, name="developer"),
    path("developer/<int:client_id>/", developer.client_edit, name="developer_edit"),
    path("<int:client_id>/", views.app_detail, name="detail"),
    path("<int:client_id>/card/", views.app_card, name="card"),
    path("<int:client_id>/narrow/", views.app_narrow, name="narrow"),
    path("<int:client_id>/revoke/", views.app_revoke, name="revoke"),
    path("<int:client_id>/tokens/<str:token_hash>/end/", tokens.token_end, name="token_end"),
]
