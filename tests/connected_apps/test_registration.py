"""The RFC 7591/7592 endpoints, through Django's test client, against the live sandbox."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from connected_apps.models import ConfirmedDeveloper
from connected_apps.services.bylines import developer_confirm
from connected_apps.views.registration import _STATUSES, MAX_BODY_BYTES
from tests.conftest import Sandbox

pytestmark = pytest.mark.django_db

METADATA = {
    "client_name": "Registered Reader",
    "redirect_uris": ["https://reader.example/cb"],
    "grant_types": ["authorization_code"],
    "response_types": ["code"],
}


@pytest.fixture
def machine() -> Client:
    """A caller with no session, as a client's own software would be."""
    return Client(enforce_csrf_checks=True)


def _register(machine: Client, metadata: dict[str, Any] | None = None, **extra: Any):
    return machine.post(
        reverse("register"),
        data=json.dumps(metadata or METADATA),
        content_type="application/json",
        **extra,
    )


@pytest.fixture
def registered(machine: Client, sandbox: Sandbox) -> dict[str, Any]:
    response = _register(machine)
    assert response.status_code == 201, response.content
    return response.json()


def _config(machine: Client, method: str, client_id: str, token: str | None, body: Any = None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    url = reverse("register_client", args=[client_id])
    if method == "GET":
        return machine.get(url, **headers)
    if method == "DELETE":
        return machine.delete(url, **headers)
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return machine.put(url, data=data, content_type="application/json", **headers)


def _assert_no_store(response: Any) -> None:
    assert response["Cache-Control"] == "no-store"
    assert response["Pragma"] == "no-cache"
    # A machine endpoint sets no session, CSRF or messages cookie.
    assert not response.cookies


def _authlete_calls(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [r for r in sandbox.requests() if "/client/registration" in r["path"]]


# --- RFC 7591: registering ---------------------------------------------------------------------


def test_registering_answers_201_with_authletes_metadata_and_no_cookies(machine, sandbox):
    response = _register(machine)
    assert response.status_code == 201
    assert response["Content-Type"] == "application/json"
    _assert_no_store(response)
    body = response.json()
    assert body["client_name"] == "Registered Reader"
    assert body["registration_access_token"]
    client = sandbox.api("GET", f"/client/get/{body['client_id']}").json()
    assert client["dynamicallyRegistered"] is True


def test_registering_needs_no_sign_in_and_no_csrf_token(machine, sandbox):
    # enforce_csrf_checks is on and nobody is signed in: the answer is still Authlete's.
    assert _register(machine).status_code == 201


def test_bad_metadata_is_authletes_400(machine, sandbox):
    response = _register(machine, {"redirect_uris": ["not a url"]})
    assert response.status_code == 400
    _assert_no_store(response)
    assert response.json()["error"] in {"invalid_redirect_uri", "invalid_client_metadata"}


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2]", b'"a string"', b"\xff\xfe\x00", b""],
    ids=["broken", "array", "string", "not-utf8", "empty"],
)
def test_a_body_that_is_not_a_json_object_is_400_before_authlete(machine, sandbox, body):
    sandbox.clear_requests()
    response = machine.post(reverse("register"), data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client_metadata"
    _assert_no_store(response)
    assert _authlete_calls(sandbox) == []


def test_an_oversized_body_is_400_before_authlete(machine, sandbox):
    sandbox.clear_requests()
    big = {**METADATA, "client_name": "x" * (MAX_BODY_BYTES + 1)}
    response = _register(machine, big)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client_metadata"
    assert _authlete_calls(sandbox) == []


def test_an_unreachable_authlete_is_503_temporarily_unavailable(machine, sandbox):
    sandbox.fault("status503", "/client/registration")
    response = _register(machine)
    assert response.status_code == 503
    assert response.json() == {"error": "temporarily_unavailable"}
    _assert_no_store(response)


def test_an_http_500_from_authlete_is_an_outage_not_an_answer(machine, sandbox):
    sandbox.fault("status500", "/client/registration")
    response = _register(machine)
    assert response.status_code == 503
    assert response.json() == {"error": "temporarily_unavailable"}


def test_every_action_of_authlete_maps_to_the_contracts_status():
    # The sandbox never answers INTERNAL_SERVER_ERROR as an action; the table is the contract's.
    assert _STATUSES == {
        "CREATED": 201,
        "OK": 200,
        "UPDATED": 200,
        "DELETED": 204,
        "BAD_REQUEST": 400,
        "UNAUTHORIZED": 401,
        "INTERNAL_SERVER_ERROR": 500,
    }


def test_a_claimed_developer_is_ignored_and_puts_nothing_on_that_developers_page(
    machine, sandbox, make_user
):
    response = _register(machine, {**METADATA, "developer": "victim"})
    assert response.status_code == 201
    body = response.json()
    assert body.get("developer") != "victim"
    stored = sandbox.api("GET", f"/client/get/{body['client_id']}").json()
    assert stored.get("developer") != "victim"
    victim = make_user("victim-dev")
    victim.authlete_developer = "victim"
    victim.save()
    page = Client()
    page.force_login(victim)
    html = page.get(reverse("connected_apps:developer")).content.decode()
    assert "Registered Reader" not in html
    assert "No clients are registered under your developer name yet." in html


def test_a_60_kb_name_registers_and_shows_cut_short_on_the_developers_page(
    machine, sandbox, make_user
):
    response = _register(machine, {**METADATA, "client_name": "Reader " + "x" * 60_000})
    assert response.status_code == 201
    client_id = int(response.json()["client_id"])
    developer_confirm(ConfirmedDeveloper(client_id=client_id, developer="dev-long"), staff=None)
    person = make_user("long-dev")
    person.authlete_developer = "dev-long"
    person.save()
    page = Client()
    page.force_login(person)
    html = page.get(reverse("connected_apps:developer")).content.decode()
    assert "Reader xxx" in html and "…" in html
    assert "x" * 100 not in html


def test_get_is_not_allowed_on_the_registration_endpoint(machine, sandbox):
    assert machine.get(reverse("register")).status_code == 405


# --- RFC 7592: reading, updating, deleting -------------------------------------------------------


def test_reading_with_the_registration_token_is_200(machine, sandbox, registered):
    response = _config(
        machine, "GET", registered["client_id"], registered["registration_access_token"]
    )
    assert response.status_code == 200
    _assert_no_store(response)
    assert response.json()["client_id"] == registered["client_id"]


def test_updating_with_the_registration_token_is_200(machine, sandbox, registered):
    client_id, token = registered["client_id"], registered["registration_access_token"]
    metadata = {**METADATA, "client_id": client_id, "client_name": "Renamed Reader"}
    response = _config(machine, "PUT", client_id, token, metadata)
    assert response.status_code == 200
    _assert_no_store(response)
    assert response.json()["client_name"] == "Renamed Reader"
    assert sandbox.api("GET", f"/client/get/{client_id}").json()["clientName"] == "Renamed Reader"


def test_an_update_cannot_claim_a_developer(machine, sandbox, registered):
    client_id, token = registered["client_id"], registered["registration_access_token"]
    metadata = {**METADATA, "client_id": client_id, "developer": "victim"}
    assert _config(machine, "PUT", client_id, token, metadata).status_code == 200
    assert sandbox.api("GET", f"/client/get/{client_id}").json().get("developer") != "victim"


def test_an_update_keeps_the_developer_staff_confirmed(machine, sandbox, registered):
    client_id, token = registered["client_id"], registered["registration_access_token"]
    developer_confirm(
        ConfirmedDeveloper(client_id=int(client_id), developer="dev-john"), staff=None
    )
    metadata = {**METADATA, "client_id": client_id, "developer": "victim"}
    assert _config(machine, "PUT", client_id, token, metadata).status_code == 200
    assert sandbox.api("GET", f"/client/get/{client_id}").json()["developer"] == "dev-john"


def test_deleting_with_the_registration_token_is_204_without_a_body(machine, sandbox, registered):
    client_id, token = registered["client_id"], registered["registration_access_token"]
    response = _config(machine, "DELETE", client_id, token)
    assert response.status_code == 204
    assert response.content == b""
    _assert_no_store(response)
    assert sandbox.api("GET", f"/client/get/{client_id}").status_code == 404


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_a_wrong_registration_token_is_401(machine, sandbox, registered, method):
    client_id = registered["client_id"]
    response = _config(machine, method, client_id, "not-the-token", {**METADATA})
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    _assert_no_store(response)
    assert response.json()["error"] == "invalid_token"
    assert sandbox.api("GET", f"/client/get/{client_id}").status_code == 200


def test_a_stale_registration_token_of_a_deleted_client_is_401(machine, sandbox, registered):
    client_id, token = registered["client_id"], registered["registration_access_token"]
    assert _config(machine, "DELETE", client_id, token).status_code == 204
    assert _config(machine, "GET", client_id, token).status_code == 401


def test_a_wrong_token_is_authletes_400_when_the_service_does_not_opt_in(
    machine, sandbox, registered
):
    sandbox.control("POST", "service", json={"unauthorizedOnClientConfigSupported": False})
    response = _config(machine, "GET", registered["client_id"], "not-the-token")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_token"


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_a_missing_bearer_token_is_401_before_authlete(machine, sandbox, registered, method):
    sandbox.clear_requests()
    response = _config(machine, method, registered["client_id"], None, METADATA)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    _assert_no_store(response)
    assert _authlete_calls(sandbox) == []


def test_basic_credentials_are_not_a_bearer_token(machine, sandbox, registered):
    sandbox.clear_requests()
    response = machine.get(
        reverse("register_client", args=[registered["client_id"]]),
        HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz",
    )
    assert response.status_code == 401
    assert _authlete_calls(sandbox) == []


@pytest.mark.parametrize("body", [b"{oops", b"[]", b"x" * (MAX_BODY_BYTES + 1)])
def test_a_malformed_or_oversized_update_is_400_before_authlete(machine, sandbox, registered, body):
    sandbox.clear_requests()
    response = _config(
        machine, "PUT", registered["client_id"], registered["registration_access_token"], body
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client_metadata"
    assert _authlete_calls(sandbox) == []


def test_an_update_naming_another_client_is_authletes_400(machine, sandbox, registered):
    client_id, token = registered["client_id"], registered["registration_access_token"]
    response = _config(machine, "PUT", client_id, token, {**METADATA, "client_id": "12345"})
    assert response.status_code == 400
    _assert_no_store(response)


def test_post_is_not_allowed_on_the_configuration_endpoint(machine, sandbox, registered):
    url = reverse("register_client", args=[registered["client_id"]])
    assert machine.post(url).status_code == 405


@pytest.mark.parametrize(
    "body", [b"[" * 30000 + b"]" * 30000, b'{"a":' * 40 + b"1" + b"}" * 40], ids=["deep", "nested"]
)
def test_deeply_nested_json_is_a_clean_400_before_authlete(machine, sandbox, body):
    sandbox.clear_requests()
    response = machine.post(reverse("register"), data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client_metadata"
    assert _authlete_calls(sandbox) == []


def test_a_body_not_sent_as_json_registers_nothing(machine, sandbox):
    # A web page can send text/plain across origins without asking: it must not register.
    sandbox.clear_requests()
    response = machine.post(
        reverse("register"), data=json.dumps(METADATA), content_type="text/plain"
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client_metadata"
    assert _authlete_calls(sandbox) == []
