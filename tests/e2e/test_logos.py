"""In a browser, the apps page shows every logo without a request leaving for another origin."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from PIL import Image
from playwright.sync_api import Page, expect

from tests.conftest import Sandbox

pytestmark = pytest.mark.browser

# --color-accent-soft in static/css/portal.css (light scheme): the monogram's background.
MONOGRAM_BACKGROUND = (0xE8, 0xEE, 0xFC)


@pytest.fixture(autouse=True)
def _private_hosts(settings: Any) -> None:
    settings.PORTAL_LOGO_PRIVATE_HOSTS = ["127.0.0.1"]


def test_the_apps_page_shows_logos_without_asking_another_origin(
    signed_in: Callable[..., Page], live_server: Any
):
    page = signed_in("john")
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto("/apps/")
    logos = page.locator("img.app-card__logo")
    expect(logos.first).to_be_visible()
    for logo in logos.all():
        logo.scroll_into_view_if_needed()
    page.wait_for_function(
        """() => [...document.querySelectorAll("img.app-card__logo")]
                 .every(img => img.complete && img.naturalWidth > 0)"""
    )
    assert logos.count() > 1
    foreign = [url for url in asked if not url.startswith(live_server.url)]
    assert foreign == []
    assert any("/logo.png" in url for url in asked)


def test_an_app_whose_logo_cannot_be_had_shows_its_monogram(
    signed_in: Callable[..., Page], sandbox: Sandbox
):
    body = {
        "clientName": "Zephyr",
        "clientType": "PUBLIC",
        "redirectUris": ["https://zephyr.example/callback"],
        # No such logo: the portal answers 404 for it.
        "logoUri": f"{sandbox.url}/_sandbox/logos/missing.svg",
    }
    client_id = sandbox.api("POST", "/client/create", json=body).json()["clientId"]
    sandbox.authorize(clientId=client_id, subject="john", scopes=["email"])
    page = signed_in("john")
    logo_path = reverse("connected_apps:logo", args=[client_id])
    answers: list[int] = []
    page.on("response", lambda r: answers.append(r.status) if logo_path in r.url else None)
    page.goto(reverse("connected_apps:detail", args=[client_id]))
    logo = page.locator("img.app-card__logo")
    page.wait_for_function(
        """() => { const img = document.querySelector("img.app-card__logo");
                   return img.complete && img.naturalWidth === 0; }"""
    )
    # The list page signed_in lands on may still be asking for the same logo: every answer is 404.
    assert answers and set(answers) == {404}
    picture = Image.open(io.BytesIO(logo.screenshot())).convert("RGB")
    assert picture.getpixel((6, picture.height // 2)) == MONOGRAM_BACKGROUND
