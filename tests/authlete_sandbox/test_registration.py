"""Dynamic client registration (RFC 7591 and 7592) over the sandbox's Authlete API."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.authlete_sandbox.conftest import Sandbox


def _register(api: Sandbox, metadata: dict[str, Any]) -> dict[str, Any]:
    return api.ok("POST", "/client/registration", json={"json": json.dumps(metadata)})


def test_registration_creates_a_client_with_rfc7591_metadata(api):
    body = _register(
        api,
        {
            "client_name": "Pocket Notes",
            "client_name#ja": "ポケットノート",
            "redirect_uris": ["https://pocket.example/cb"],
            "logo_uri": "https://pocket.example/logo.svg",
            "developer": "dev-pocket",
        },
    )
    assert (body["action"], body["resultCode"]) == ("CREATED", "A202001")
    content = json.loads(body["responseContent"])
    client_id = content["client_id"]
    assert content["client_name"] == "Pocket Notes"
    assert content["client_name#ja"] == "ポケットノート"
    assert content["client_secret"] and content["registration_access_token"]
    assert content["registration_client_uri"] == f"https://as.example.com/register/{client_id}"
    assert body["client"]["dynamicallyRegistered"] is True
    assert str(body["client"]["clientId"]) == client_id
    stored = api.ok("GET", f"/client/get/{client_id}")
    assert stored["developer"] == "dev-pocket" and stored["clientNames"] == [
        {"tag": "ja", "value": "ポケットノート"}
    ]


def test_registration_get_update_delete_with_the_registration_token(api):
    api.control("POST", "service", json={"unauthorizedOnClientConfigSupported": True})
    created = json.loads(
        _register(api, {"client_name": "Kite", "redirect_uris": ["https://kite.example/cb"]})[
            "responseContent"
        ]
    )
    ids = {"clientId": created["client_id"], "token": created["registration_access_token"]}
    fetched = api.ok("POST", "/client/registration/get", json=ids)
    assert fetched["action"] == "OK"
    assert json.loads(fetched["responseContent"])["client_name"] == "Kite"
    metadata = {
        "client_id": created["client_id"],
        "client_name": "Kite 2",
        "redirect_uris": ["https://kite.example/cb2"],
    }
    updated = api.ok(
        "POST", "/client/registration/update", json={**ids, "json": json.dumps(metadata)}
    )
    assert updated["action"] == "UPDATED"
    assert api.ok("GET", f"/client/get/{created['client_id']}")["redirectUris"] == [
        "https://kite.example/cb2"
    ]
    deleted = api.ok("POST", "/client/registration/delete", json=ids)
    assert deleted["action"] == "DELETED" and "responseContent" not in deleted
    assert api.call("GET", f"/client/get/{created['client_id']}").status_code == 404
    stale = api.ok("POST", "/client/registration/get", json=ids)
    assert stale["action"] == "UNAUTHORIZED"


def test_a_wrong_registration_token_is_unauthorized_only_when_the_service_says_so(api):
    created = json.loads(
        _register(api, {"client_name": "Kite", "redirect_uris": ["https://kite.example/cb"]})[
            "responseContent"
        ]
    )
    wrong = {"clientId": created["client_id"], "token": "wrong"}
    # Off by default, as on a real service (authlete-java-common Service.java).
    assert api.ok("POST", "/client/registration/get", json=wrong)["action"] == "BAD_REQUEST"
    assert api.ok("POST", "/client/registration/delete", json=wrong)["action"] == "BAD_REQUEST"
    api.control("POST", "service", json={"unauthorizedOnClientConfigSupported": True})
    body = api.ok("POST", "/client/registration/get", json=wrong)
    assert body["action"] == "UNAUTHORIZED"
    assert json.loads(body["responseContent"])["error"] == "invalid_token"


@pytest.mark.parametrize(
    ("metadata", "error"),
    [
        ("{not json", "invalid_client_metadata"),
        ("[]", "invalid_client_metadata"),
        (
            json.dumps({"client_name": 7, "redirect_uris": ["https://a.example/cb"]}),
            "invalid_client_metadata",
        ),
        (json.dumps({"client_name": "No redirect"}), "invalid_redirect_uri"),
        (json.dumps({"redirect_uris": ["http://insecure.example/cb"]}), "invalid_redirect_uri"),
        (json.dumps({"redirect_uris": ["https://a.example/cb#frag"]}), "invalid_redirect_uri"),
    ],
)
def test_registration_refuses_bad_metadata(api, metadata, error):
    body = api.ok("POST", "/client/registration", json={"json": metadata})
    assert body["action"] == "BAD_REQUEST"
    assert json.loads(body["responseContent"])["error"] == error


def test_registration_update_refuses_another_client_id(api):
    created = json.loads(
        _register(api, {"redirect_uris": ["https://kite.example/cb"]})["responseContent"]
    )
    ids = {"clientId": created["client_id"], "token": created["registration_access_token"]}
    metadata = json.dumps({"client_id": "123", "redirect_uris": ["https://kite.example/cb"]})
    body = api.ok("POST", "/client/registration/update", json={**ids, "json": metadata})
    assert body["action"] == "BAD_REQUEST"
