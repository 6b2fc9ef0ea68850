"""The service's own apps: marked by a client attribute, "Made by" the service on the list and
their page, and never under a developer's byline."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from authlete_sandbox import seed as demo
from connected_apps import authlete
from connected_apps.models import ConfirmedDeveloper
from connected_apps.services import bylines
from connected_apps.services.registration import _server_controlled

pytestmark = pytest.mark.django_db

ACME_CLI, NOTES = demo.ACME_COMMAND_LINE, demo.INKWELL_NOTES


@pytest.fixture(autouse=True)
def _demo_world(sandbox):
    """Every test reads the demo world as seeded."""


def _row(html: str, client_id: int) -> str:
    """One app's row of the list page."""
    match = re.search(
        rf'<li class="app-card app-row[^"]*" id="app-{client_id}".*?</li>\s*', html, re.S
    )
    assert match, f"no row for {client_id}"
    return match.group(0)


def test_client_attributes_are_read_from_authlete():
    details = authlete.get_client().client_get(ACME_CLI)
    assert ("first_party", "true") in details.attributes
    assert bylines.is_first_party(details.attributes)
    assert not bylines.is_first_party(authlete.get_client().client_get(NOTES).attributes)


@pytest.mark.parametrize(
    ("attributes", "first_party"),
    [
        ((("first_party", "true"),), True),
        ((("first_party", "TRUE "),), True),
        ((("portal.first_party", "yes"),), True),
        ((("first_party", "false"),), False),
        ((("first_party", "maybe"),), False),
        # The portal's own key is the operator's last word over the plain one.
        ((("portal.first_party", "false"), ("first_party", "true")), False),
        ((("environment", "sandbox"),), False),
        ((), False),
    ],
)
def test_which_attributes_mark_the_services_own_app(attributes, first_party):
    assert bylines.is_first_party(attributes) is first_party


def test_the_list_says_the_services_own_app_is_made_by_the_service(john_client):
    html = john_client.get(reverse("connected_apps:list"), {"sort": "name"}).content.decode()
    html += john_client.get(
        reverse("connected_apps:list"), {"sort": "name", "page": 2}
    ).content.decode()
    assert "Made by Acme Account" in _row(html, ACME_CLI)
    assert "Made by" not in _row(html, NOTES)
    assert html.count("Made by") == 1


def test_the_apps_page_says_it_is_made_by_the_service(john_client):
    html = john_client.get(reverse("connected_apps:detail", args=[ACME_CLI])).content.decode()
    header = html.split('id="can-do"')[0]
    assert "Made by Acme Account" in header


def test_made_by_beats_a_confirmed_developer(john_client):
    for client_id, developer in ((ACME_CLI, "dev-acme"), (NOTES, "dev-northwind")):
        bylines.developer_confirm(
            ConfirmedDeveloper(client_id=client_id, developer=developer), staff=None
        )
    detail = john_client.get(reverse("connected_apps:detail", args=[ACME_CLI])).content.decode()
    assert "Made by Acme Account" in detail
    assert "By dev-acme" not in detail and "Verified developer" not in detail
    other = john_client.get(reverse("connected_apps:detail", args=[NOTES])).content.decode()
    assert "By dev-northwind" in other and "Made by" not in other


def test_the_configured_name_is_the_header_brand_and_the_maker(john_client, settings):
    settings.PORTAL_SERVICE_NAME = "Example ID"
    html = john_client.get(reverse("connected_apps:detail", args=[ACME_CLI])).content.decode()
    assert '<span class="brand__name">Example ID</span>' in html
    assert "Made by Example ID" in html
    # The tab still names the page.
    assert re.search(r"<title>[^<]*Connected apps</title>", html)


def test_without_a_configured_name_the_header_says_connected_apps(john_client):
    html = john_client.get(reverse("connected_apps:activity")).content.decode()
    assert '<span class="brand__name">Connected apps</span>' in html


def test_a_registering_party_cannot_mark_its_client_first_party():
    sent = (
        '{"client_name": "Totally Acme", "attributes": [{"key": "first_party", "value": "true"}]}'
    )
    assert "attributes" not in _server_controlled(sent, developer="")
