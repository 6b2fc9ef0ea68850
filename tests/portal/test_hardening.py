"""Sign-ins that end after a working day, and static files no other site may frame."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

PASSWORD = "correct horse battery staple"


@pytest.mark.django_db
def test_a_remembered_sign_in_ends_after_twelve_hours(django_user_model: Any):
    django_user_model.objects.create_user(username="ada", password=PASSWORD)
    response = Client().post(
        "/accounts/login/", {"login": "ada", "password": PASSWORD, "remember": "on"}
    )
    assert response.status_code == 302
    assert int(response.cookies["sessionid"]["max-age"]) == 12 * 60 * 60


def test_static_files_cannot_be_framed(settings: Any):
    # Serve from the source folders, as the collected files exist only in the image.
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    response = Client().get("/static/css/portal.css")
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
