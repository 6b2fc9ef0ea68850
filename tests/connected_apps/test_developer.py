"""The developer page: a developer's registered clients and RFC 7592 edits, against the sandbox."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.urls import reverse

from accounts.subjects import developer_for_user
from authlete_sandbox import seed as demo
from connected_apps.models import ConfirmedDeveloper
from connected_apps.services.bylines import developer_confirm
from tests.conftest import Sandbox

pytestmark = pytest.mark.django_db

DEVELOPER = "dev-john"


def _register(sandbox: Sandbox, name: str, developer: str = DEVELOPER) -> dict[str, Any]:
    metadata = {
        "client_name": name,
        "redirect_uris": ["https://reader.example/cb"],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "logo_uri": "https://reader.example/logo.png",
        "developer": developer,
    }
    response = sandbox.api("POST", "/client/registration", json={"json": json.dumps(metadata)})
    body = response.json()
    assert body["action"] == "CREATED", body
    return json.loads(body["responseContent"])


def _confirm(client_id: Any, developer: str = DEVELOPER) -> None:
    """Staff confirm who made the client, as they do in the admin."""
    developer_confirm(ConfirmedDeveloper(client_id=int(client_id), developer=developer), staff=None)


@pytest.fixture
def registered(sandbox: Sandbox) -> dict[str, Any]:
    client = _register(sandbox, "John's Reader")
    _confirm(client["client_id"])
    return client


@pytest.fixture
def developer_client(make_user: Any) -> Client:
    user = make_user("johndev")
    user.authlete_developer = DEVELOPER
    user.save()
    client = Client()
    client.force_login(user)
    return client


def _client(sandbox: Sandbox, client_id: Any) -> dict[str, Any]:
    return sandbox.api("GET", f"/client/get/{client_id}").json()


def _registration_calls(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [r for r in sandbox.requests() if "/client/registration" in r["path"]]


def _edit(developer_client: Client, client_id: Any, token: str, **changes: str):
    data = {
        "client_name": "John's Reader",
        "redirect_uris": "https://reader.example/cb",
        "logo_uri": "https://reader.example/logo.png",
        "policy_uri": "",
        "tos_uri": "",
        "contacts": "",
        "registration_access_token": token,
        **changes,
    }
    return developer_client.post(reverse("connected_apps:developer_edit", args=[client_id]), data)


# --- Who is a developer ------------------------------------------------------------------------


def test_nobody_is_a_developer_by_default(john_client):
    response = john_client.get(reverse("connected_apps:developer"))
    assert response.status_code == 403
    assert "Your account has no developer page" in response.content.decode()


def test_the_admin_set_developer_name_wins_over_the_attribute(settings, make_user):
    settings.PORTAL_DEVELOPER_ATTRIBUTE = "username"
    user = make_user("dev-plain")
    assert developer_for_user(user) == "dev-plain"
    user.authlete_developer = " dev-set "
    assert developer_for_user(user) == "dev-set"
    assert developer_for_user(AnonymousUser()) is None


def test_a_configured_attribute_makes_a_developer(settings, make_user, sandbox):
    settings.PORTAL_DEVELOPER_ATTRIBUTE = "username"
    _confirm(demo.INKWELL_NOTES, "dev-northwind")
    client = Client()
    client.force_login(make_user("dev-northwind"))
    html = client.get(reverse("connected_apps:developer")).content.decode()
    assert demo.CLIENT_NAMES[demo.INKWELL_NOTES] in html


# --- The list ----------------------------------------------------------------------------------


def test_the_list_shows_only_the_developers_clients(developer_client, sandbox, registered):
    other = _register(sandbox, "Someone Else's App", developer="dev-other")
    _confirm(other["client_id"], "dev-other")
    sandbox.clear_requests()
    response = developer_client.get(reverse("connected_apps:developer"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "John&#x27;s Reader" in html
    assert "Someone Else" not in html
    assert reverse("connected_apps:developer_edit", args=[registered["client_id"]]) in html
    # Only the developer's confirmed clients are read from Authlete, never anyone else's.
    read = {r["path"].rsplit("/", 1)[-1] for r in sandbox.requests() if "/client/get/" in r["path"]}
    assert read == {str(registered["client_id"])}


def test_a_client_claiming_the_developer_name_is_not_listed_until_staff_confirm_it(
    developer_client, sandbox, registered
):
    claimed = _register(sandbox, "Claimed Reader")  # its metadata says dev-john; nobody checked
    edit_url = reverse("connected_apps:developer_edit", args=[claimed["client_id"]])
    html = developer_client.get(reverse("connected_apps:developer")).content.decode()
    assert "Claimed Reader" not in html and edit_url not in html
    assert developer_client.get(edit_url).status_code == 404

    _confirm(claimed["client_id"])
    html = developer_client.get(reverse("connected_apps:developer")).content.decode()
    assert "Claimed Reader" in html and edit_url in html
    assert developer_client.get(edit_url).status_code == 200


def test_a_developer_without_clients_sees_an_empty_state(developer_client, sandbox):
    html = developer_client.get(reverse("connected_apps:developer")).content.decode()
    assert "No clients are registered under your developer name yet." in html


def test_an_unreachable_authlete_shows_the_error_page(developer_client, sandbox, registered):
    sandbox.fault("status503", "/client/get/")
    assert developer_client.get(reverse("connected_apps:developer")).status_code == 503


# --- Editing -----------------------------------------------------------------------------------


def test_the_edit_form_shows_the_current_metadata_and_never_a_token(
    developer_client, sandbox, registered
):
    url = reverse("connected_apps:developer_edit", args=[registered["client_id"]])
    html = developer_client.get(url).content.decode()
    assert "https://reader.example/cb" in html and "https://reader.example/logo.png" in html
    assert registered["registration_access_token"] not in html
    assert registered["client_secret"] not in html


def test_another_developers_client_is_404(developer_client, sandbox):
    url = reverse("connected_apps:developer_edit", args=[demo.INKWELL_NOTES])
    assert developer_client.get(url).status_code == 404
    assert developer_client.post(url, {"client_name": "Mine now"}).status_code == 404


def test_saving_with_the_registration_token_updates_the_client(
    developer_client, sandbox, registered
):
    response = _edit(
        developer_client,
        registered["client_id"],
        registered["registration_access_token"],
        client_name="John's Better Reader",
        redirect_uris="https://reader.example/cb\nhttps://reader.example/cb2",
        policy_uri="https://reader.example/privacy",
        tos_uri="https://reader.example/terms",
        contacts="john@reader.example",
        logo_uri="",
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("connected_apps:developer")
    client = _client(sandbox, registered["client_id"])
    assert client["clientName"] == "John's Better Reader"
    assert client["redirectUris"] == ["https://reader.example/cb", "https://reader.example/cb2"]
    assert client["policyUri"] == "https://reader.example/privacy"
    assert client["tosUri"] == "https://reader.example/terms"
    assert client["contacts"] == ["john@reader.example"]
    assert "logoUri" not in client
    # What the form does not show stays as it was, and the client stays the developer's.
    assert client["grantTypes"] == ["AUTHORIZATION_CODE", "REFRESH_TOKEN"]
    assert client["developer"] == DEVELOPER
    page = developer_client.get(response["Location"]).content.decode()
    assert "Saved the details of" in page


@pytest.mark.parametrize("opted_in", [True, False], ids=["unauthorized", "bad-request"])
def test_a_wrong_registration_token_is_explained_and_nothing_changes(
    developer_client, sandbox, registered, opted_in
):
    sandbox.control("POST", "service", json={"unauthorizedOnClientConfigSupported": opted_in})
    response = _edit(developer_client, registered["client_id"], "wrong-token", client_name="X")
    assert response.status_code == 400
    assert "That registration access token is not valid for this client." in (
        response.content.decode()
    )
    assert _client(sandbox, registered["client_id"])["clientName"] == "John's Reader"


def test_a_token_of_another_client_is_not_valid_for_this_one(developer_client, sandbox, registered):
    other = _register(sandbox, "John's Other App")
    response = _edit(developer_client, registered["client_id"], other["registration_access_token"])
    assert response.status_code == 400
    assert "not valid for this client" in response.content.decode()


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"redirect_uris": ""}, "This field is required."),
        ({"redirect_uris": "http://reader.example/cb"}, "is not an https:// address"),
        ({"redirect_uris": "https://reader.example/cb#frag"}, "must not have a fragment"),
        ({"logo_uri": "http://reader.example/logo.png"}, "Use an https:// address."),
        ({"policy_uri": "javascript:alert(1)"}, "Enter a valid URL."),
        ({"contacts": "not an email"}, "Enter a valid email address."),
        ({"client_name": "x" * 101}, "at most 100 characters"),
        ({"registration_access_token": ""}, "This field is required."),
    ],
)
def test_invalid_metadata_is_refused_before_authlete(
    developer_client, sandbox, registered, changes, error
):
    sandbox.clear_requests()
    response = _edit(
        developer_client,
        registered["client_id"],
        registered["registration_access_token"],
        **changes,
    )
    assert response.status_code == 400
    assert error in response.content.decode()
    assert _registration_calls(sandbox) == []


def test_only_developers_see_the_developer_page_in_the_menu(developer_client, john_client, sandbox):
    developer_link = 'href="/apps/developer/"'
    assert developer_link in developer_client.get("/apps/").content.decode()
    assert developer_link not in john_client.get("/apps/").content.decode()
