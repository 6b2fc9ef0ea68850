"""The per-minute limits on the developer page's edits and on the registration API: beyond
them a 429 with Retry-After, and nothing reaches Authlete."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from connected_apps.models import AuditEvent, ConfirmedDeveloper
from connected_apps.services.bylines import developer_confirm
from connected_apps.services.limits import seconds_until_next_minute
from tests.conftest import Sandbox

pytestmark = pytest.mark.django_db

METADATA = {
    "client_name": "Registered Reader",
    "redirect_uris": ["https://reader.example/cb"],
    "grant_types": ["authorization_code"],
    "response_types": ["code"],
}


@pytest.fixture(autouse=True)
def _one_clock_minute(settings: Any) -> None:
    """Limits count per clock minute: start a test well inside one, so it never straddles two."""
    if seconds_until_next_minute() < 15:
        time.sleep(seconds_until_next_minute() + 0.1)
    settings.PORTAL_WRITES_PER_MINUTE = 1


@pytest.fixture
def registered(sandbox: Sandbox) -> dict[str, Any]:
    # Registered straight with Authlete, so the portal's limit is not spent on it.
    response = sandbox.api("POST", "/client/registration", json={"json": json.dumps(METADATA)})
    return json.loads(response.json()["responseContent"])


def _register(machine: Client, **extra: Any) -> Any:
    return machine.post(
        reverse("register"), json.dumps(METADATA), content_type="application/json", **extra
    )


def _configure(machine: Client, method: str, client: dict[str, Any]) -> Any:
    url = reverse("register_client", args=[client["client_id"]])
    headers = {"HTTP_AUTHORIZATION": f"Bearer {client['registration_access_token']}"}
    if method == "PUT":
        body = json.dumps({**METADATA, "client_id": client["client_id"]})
        return machine.put(url, body, content_type="application/json", **headers)
    return machine.generic(method, url, **headers)


def _assert_too_many(response: Any) -> None:
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == "temporarily_unavailable"
    assert 0 < int(response["Retry-After"]) <= 60
    assert response["Cache-Control"] == "no-store"


def test_registering_beyond_the_limit_is_429_and_registers_nothing(sandbox):
    machine = Client()
    assert _register(machine).status_code == 201
    sandbox.clear_requests()
    _assert_too_many(_register(machine))
    assert sandbox.requests() == []


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_client_configuration_beyond_the_limit_is_429_before_authlete(sandbox, registered, method):
    machine = Client()
    assert _configure(machine, "GET", registered).status_code == 200
    sandbox.clear_requests()
    _assert_too_many(_configure(machine, method, registered))
    assert sandbox.requests() == []
    assert sandbox.api("GET", f"/client/get/{registered['client_id']}").status_code == 200


def test_the_registration_limit_is_per_client_address(sandbox):
    assert _register(Client(REMOTE_ADDR="192.0.2.1")).status_code == 201
    assert _register(Client(REMOTE_ADDR="192.0.2.1")).status_code == 429
    assert _register(Client(REMOTE_ADDR="192.0.2.2")).status_code == 201


def test_a_refused_change_over_the_limit_is_recorded(sandbox, registered):
    machine = Client()
    _configure(machine, "GET", registered)
    _configure(machine, "DELETE", registered)
    (event,) = AuditEvent.objects.all()
    assert (event.action, event.outcome, event.refusal) == ("client_delete", "refused", "too_many")


def test_developer_edits_beyond_the_limit_are_429_and_never_reach_authlete(
    make_user, sandbox, registered
):
    developer = make_user("johndev")
    developer.authlete_developer = "dev-john"
    developer.save()
    client_id = int(registered["client_id"])
    developer_confirm(ConfirmedDeveloper(client_id=client_id, developer="dev-john"), staff=None)
    browser = Client()
    browser.force_login(developer)
    url = reverse("connected_apps:developer_edit", args=[client_id])
    data = {
        "client_name": "Renamed",
        "redirect_uris": "https://reader.example/cb",
        "registration_access_token": registered["registration_access_token"],
    }
    assert browser.post(url, data).status_code == 302
    sandbox.clear_requests()
    response = browser.post(url, {**data, "client_name": "Renamed again"})
    assert response.status_code == 429
    assert "too quickly" in response.content.decode()
    assert 0 < int(response["Retry-After"]) <= 60
    assert sandbox.requests() == []
    assert sandbox.client_name(client_id) == "Renamed"
    assert browser.get(url).status_code == 200  # reading stays possible
