"""Tokens: list, create, update, delete and revoke, named by hash only."""

from __future__ import annotations

import json
import time

import pytest

from authlete_sandbox import seed as demo
from authlete_sandbox.store import token_hash
from tests.authlete_sandbox.conftest import ALICE, BOB, CAROL, JOHN, NOTES, UNKNOWN_CLIENT

# --- Token list ---------------------------------------------------------------------------------


def test_the_token_list_names_tokens_by_hash_only(api):
    issued = api.authorize(clientId=NOTES, subject=ALICE, scopes=["email"])
    body = api.ok(
        "GET", "/auth/token/get/list", params={"subject": ALICE, "clientIdentifier": NOTES}
    )
    assert body["totalCount"] == 2 and body["subject"] == ALICE
    hashes = [token["accessTokenHash"] for token in body["accessTokens"]]
    assert issued["accessTokenHash"] == token_hash(issued["accessToken"]) in hashes
    assert all(len(h) == 43 and "=" not in h for h in hashes)
    assert issued["accessToken"] not in json.dumps(body) and issued[
        "refreshToken"
    ] not in json.dumps(body)
    token = body["accessTokens"][-1]
    assert token["refreshTokenHash"] == token_hash(issued["refreshToken"])
    assert token["lastRefreshedAt"] == 0 and token["grantType"] == "AUTHORIZATION_CODE"
    assert token["scopes"] == token["refreshTokenScopes"] == ["email"]
    assert token["accessTokenExpiresAt"] > token["createdAt"]
    assert ("developer" in body["client"]) == (api.version == "v2")


def test_the_token_list_pages_and_accepts_the_alias(api):
    body = api.ok(
        "GET", "/auth/token/get/list", params={"clientIdentifier": "harbor-backup", "end": 1}
    )
    assert (body["start"], body["end"], body["totalCount"]) == (0, 1, 2)
    assert len(body["accessTokens"]) == 1
    assert api.status("GET", "/auth/token/get/list", params={"clientIdentifier": "nope"}) == 404


# --- Token create, update, delete, revoke -------------------------------------------------------


def test_token_create_issues_a_pair_for_authorization_code(api):
    body = api.ok(
        "POST",
        "/auth/token/create",
        json={
            "grantType": "AUTHORIZATION_CODE",
            "clientId": NOTES,
            "subject": BOB,
            "scopes": ["email"],
            "accessTokenDuration": 600,
            "properties": [{"key": "device", "value": "phone", "hidden": False}],
        },
    )
    assert (body["action"], body["resultCode"]) == ("OK", "A109001")
    assert body["accessToken"] and body["refreshToken"] and body["tokenType"] == "Bearer"
    assert body["expiresIn"] == 600
    assert abs(body["expiresAt"] - (time.time() * 1000 + 600_000)) < 5000
    assert (body["clientId"], body["subject"], body["scopes"]) == (NOTES, BOB, ["email"])
    assert body["properties"] == [{"key": "device", "value": "phone", "hidden": False}]


def test_token_create_for_client_credentials_has_no_refresh_token(api):
    body = api.ok(
        "POST", "/auth/token/create", json={"grantType": "CLIENT_CREDENTIALS", "clientId": NOTES}
    )
    assert body["action"] == "OK" and "refreshToken" not in body and "subject" not in body


@pytest.mark.parametrize(
    "request_body",
    [
        {
            "grantType": "AUTHORIZATION_CODE",
            "clientId": NOTES,
            "subject": BOB,
            "scopes": ["no.such.scope"],
        },
        {"grantType": "AUTHORIZATION_CODE", "clientId": NOTES},
        {"grantType": "MAGIC", "clientId": NOTES, "subject": BOB},
        {"grantType": "AUTHORIZATION_CODE", "clientId": UNKNOWN_CLIENT, "subject": BOB},
    ],
)
def test_token_create_refusals_are_bad_request_actions(api, request_body):
    body = api.ok("POST", "/auth/token/create", json=request_body)
    assert body["action"] == "BAD_REQUEST" and body["resultCode"].startswith("A109")


@pytest.mark.parametrize("identify_by", ["accessToken", "accessTokenHash", "tokenId"])
def test_token_update_changes_one_token(api, identify_by):
    api.modes(scope_filtering=True)  # the real service's; the session's sandbox keeps any scope
    issued = api.authorize(clientId=NOTES, subject=ALICE, scopes=["email", "profile"])
    token_id = next(
        t["tokenId"]
        for t in api.tokens(ALICE, NOTES)
        if t["accessTokenHash"] == issued["accessTokenHash"]
    )
    identifier = {
        "accessToken": issued["accessToken"],
        "accessTokenHash": issued["accessTokenHash"],
        "tokenId": token_id,
    }
    expires_at = int(time.time() * 1000) + 123_000
    body = api.ok(
        "POST",
        "/auth/token/update",
        json={
            identify_by: identifier[identify_by],
            "scopes": ["email", "not.supported"],
            "accessTokenExpiresAt": expires_at,
            "properties": [{"key": "k", "value": "v", "hidden": True}],
        },
    )
    assert (body["action"], body["resultCode"], body["tokenType"]) == ("OK", "A135001", "Bearer")
    assert body["scopes"] == ["email"]  # unsupported scopes are dropped
    assert body["accessTokenExpiresAt"] == expires_at
    assert body["properties"] == [{"key": "k", "value": "v", "hidden": True}]
    introspection = api.introspect(issued["accessToken"])
    assert introspection["scopes"] == ["email"] and introspection["expiresAt"] == expires_at
    # The other tokens of the pair keep their scopes.
    assert ["profile", "email"] in [t["scopes"] for t in api.tokens(ALICE, NOTES)]


def test_token_update_leaves_absent_fields_alone(api):
    issued = api.authorize(clientId=NOTES, subject=ALICE, scopes=["email"])
    before = api.introspect(issued["accessToken"])
    body = api.ok(
        "POST",
        "/auth/token/update",
        json={"accessToken": issued["accessToken"], "accessTokenExpiresAt": 0, "scopes": None},
    )
    assert body["scopes"] == ["email"] and body["accessTokenExpiresAt"] == before["expiresAt"]


def test_token_update_reports_not_found_and_bad_request(api):
    missing = api.ok("POST", "/auth/token/update", json={"accessTokenHash": "x" * 43})
    assert missing["action"] == "NOT_FOUND"
    nothing = api.ok("POST", "/auth/token/update", json={"scopes": ["email"]})
    assert nothing["action"] == "BAD_REQUEST"


@pytest.mark.parametrize("by", ["accessToken", "accessTokenHash"])
def test_token_delete_removes_one_token(api, by):
    first = api.authorize(clientId=NOTES, subject=ALICE, scopes=["email"])
    second = api.authorize(clientId=NOTES, subject=ALICE, scopes=["email"])
    response = api.call("DELETE", f"/auth/token/delete/{first[by]}")
    assert response.status_code == 204 and response.content == b""
    assert api.introspect(first["accessToken"])["existent"] is False
    assert api.introspect(second["accessToken"])["existent"] is True
    assert api.call("DELETE", f"/auth/token/delete/{first[by]}").status_code == 404


def test_token_revoke_follows_the_identifier_precedence(api):
    one = api.authorize(clientId=NOTES, subject=ALICE, scopes=["email"])
    two = api.authorize(clientId=NOTES, subject=ALICE, scopes=["email"])
    by_access = api.ok(
        "POST",
        "/auth/token/revoke",
        json={"accessTokenIdentifier": one["accessTokenHash"], "subject": "ignored"},
    )
    assert by_access == {
        "resultCode": "A312001",
        "resultMessage": "Revoked 1 access token(s).",
        "count": 1,
    }
    by_refresh = api.ok(
        "POST", "/auth/token/revoke", json={"refreshTokenIdentifier": two["refreshToken"]}
    )
    assert by_refresh["count"] == 1
    assert api.introspect(two["accessToken"])["existent"] is False
    by_pair = api.ok(
        "POST", "/auth/token/revoke", json={"clientIdentifier": str(NOTES), "subject": ALICE}
    )
    assert by_pair["count"] == 1 and NOTES not in api.listed(ALICE) and NOTES in api.listed(JOHN)
    by_subject = api.ok("POST", "/auth/token/revoke", json={"subject": CAROL})
    assert by_subject["count"] == 2 and api.listed(CAROL) == []
    by_client = api.ok("POST", "/auth/token/revoke", json={"clientIdentifier": "harbor-backup"})
    assert by_client["count"] == 2 and demo.HARBOR_BACKUP not in api.listed(JOHN)


def test_token_revoke_refusals(api):
    assert api.status("POST", "/auth/token/revoke", json={}) == 400
    assert api.status("POST", "/auth/token/revoke", json={"accessTokenIdentifier": "gone"}) == 404
    assert api.status("POST", "/auth/token/revoke", json={"clientIdentifier": "nope"}) == 404
