"""The small things a person notices: one date style, "Last active" explained, no search over
nothing, a calm page when there is nothing to disconnect, support one click away."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from authlete_sandbox import seed as demo

pytestmark = pytest.mark.django_db

TEMPO = demo.TEMPO_PLANNER
LAST_ACTIVE_NOTE = "“Last active” is when an app last got or renewed its access."


@pytest.fixture(autouse=True)
def _demo_world(sandbox):
    """Every test reads the demo world as seeded."""


@pytest.fixture
def bob_client(make_user) -> Client:
    """Someone with no connected apps at all."""
    client = Client()
    client.force_login(make_user("bob"))
    return client


def test_dates_share_one_style_with_three_letter_months(john_client):
    html = john_client.get(reverse("connected_apps:detail", args=[TEMPO])).content.decode()
    shown = re.findall(r"<time [^>]*>([^<]+)</time>", html)
    dates = [text for text in shown if re.search(r"\d{4}", text)]
    assert dates
    assert all(re.fullmatch(r"[A-Z][a-z]{2} \d{1,2}, \d{4}", text) for text in dates), dates


def test_last_active_is_explained_in_the_page_on_the_list_and_the_apps_page(john_client):
    listing = john_client.get(reverse("connected_apps:list")).content.decode()
    detail = john_client.get(reverse("connected_apps:detail", args=[TEMPO])).content.decode()
    for html in (listing, detail):
        assert LAST_ACTIVE_NOTE in html.replace("&ldquo;", "“").replace("&rdquo;", "”")
        assert "Last used" not in html


def test_with_no_apps_there_is_no_search_no_count_and_no_disconnect_all(bob_client):
    html = bob_client.get(reverse("connected_apps:list")).content.decode()
    assert "No apps are connected to your account" in html
    assert 'id="app-search"' not in html
    assert "Disconnect all apps…" not in html
    assert re.search(r'<div class="list-tools" hidden>', html)


def test_disconnect_all_sits_in_the_page_header_also_during_a_search(john_client):
    html = john_client.get(reverse("connected_apps:list"), {"q": "zzz-no-such-app"}).content
    header = html.decode().split("</header>")[1]
    assert "Disconnect all apps…" in header


def test_with_nothing_to_disconnect_the_page_is_calm_not_a_danger_frame(bob_client):
    html = bob_client.get(reverse("connected_apps:revoke_all")).content.decode()
    assert "Nothing to disconnect" in html
    assert "confirm-panel--strong" not in html
    assert 'type="submit">Disconnect all apps' not in html


def test_the_confirmation_lists_what_is_lost_with_neutral_bullets(john_client):
    html = john_client.get(reverse("connected_apps:revoke", args=[TEMPO])).content.decode()
    assert 'class="scope-list scope-list--losing"' in html


def test_no_identity_page_links_to_support_when_configured(make_user, settings):
    settings.PORTAL_SUBJECT_ATTRIBUTE = ""
    client = Client()
    client.force_login(make_user("nobody"))
    html = client.get(reverse("connected_apps:list")).content.decode()
    assert "Contact support to have it linked." in html
    settings.PORTAL_SUPPORT_URL = "mailto:help@example.com"
    html = client.get(reverse("connected_apps:list")).content.decode()
    assert '<a href="mailto:help@example.com">Contact support</a> to have it linked.' in html


def test_the_developer_page_speaks_plainly(john_client):
    html = john_client.get(reverse("connected_apps:developer")).content.decode()
    assert "authorization server" not in html and "client developer" not in html
    assert "Contact support" in html


def test_sign_in_and_two_factor_pages_use_sentence_case(client, john_client):
    login = client.get(reverse("account_login")).content.decode()
    assert ">Sign in<" in login.replace("\n", "") or "Sign in</h1>" in login
    assert "Sign In" not in login and "Remember Me" not in login and "Remember me" in login
    mfa = john_client.get(reverse("mfa_index")).content.decode()
    assert "Two-factor authentication" in mfa and "Two-Factor" not in mfa


def test_the_demo_keeps_htmx_error_answers_in_place(john_client, settings):
    settings.DEBUG = True
    html = john_client.get(reverse("connected_apps:list")).content.decode()
    assert "htmx-2.min.js" in html
    # django-htmx's debug script would swap any 400/404 answer in for the whole page.
    assert "django-htmx.js" not in html
