"""The sandbox behaves like Authlete: each operation over HTTP on v3 and v2, faults, and control."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from authlete_sandbox import API_KEY, API_SECRET, LIMITED_TOKEN, SERVICE_ID, SERVICE_TOKEN
from authlete_sandbox import seed as demo
from authlete_sandbox.server import SandboxServer
from authlete_sandbox.store import token_hash

ROOT = Path(__file__).resolve().parents[2]
JOHN = demo.SUBJECT_JOHN
ALICE = demo.SUBJECT_ALICE
BOB = demo.SUBJECT_BOB
CAROL = demo.SUBJECT_CAROL
NOTES = demo.INKWELL_NOTES
UNKNOWN_CLIENT = 99_999_999_999_999
DAY_MS = 24 * 3600 * 1000


class Sandbox:
    """The sandbox's control paths, and its Authlete API on one version."""

    def __init__(self, url: str, version: str = "v3") -> None:
        self.url = url
        self.version = version
        self.http = requests.Session()

    def call(self, method: str, path: str, *, token: str | None = SERVICE_TOKEN, **kwargs: Any):
        """Call an Authlete path ("/client/get/1") with the version's prefix and credentials."""
        kwargs.setdefault("timeout", 5)
        if self.version == "v3":
            headers = kwargs.setdefault("headers", {})
            if token:
                headers["Authorization"] = f"Bearer {token}"
            return self.http.request(method, f"{self.url}/api/{SERVICE_ID}{path}", **kwargs)
        auth = (API_KEY, API_SECRET) if token else None
        return self.http.request(method, f"{self.url}/api{path}", auth=auth, **kwargs)

    def status(self, method: str, path: str, **kwargs: Any) -> int:
        return self.call(method, path, **kwargs).status_code

    def ok(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self.call(method, path, **kwargs)
        assert response.status_code == 200, response.text
        return response.json()

    def service_path(self) -> str:
        return "/service/get" if self.version == "v3" else f"/service/get/{API_KEY}"

    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, f"{self.url}/_sandbox/{path}", timeout=5, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def authorize(self, **body: Any) -> dict[str, Any]:
        return self.control("POST", "authorize", json=body)

    def fault(self, kind: str, path: str = "", **options: Any) -> dict[str, Any]:
        return self.control("POST", "faults", json={"kind": kind, "path": path, **options})

    def listed(self, subject: str) -> list[int]:
        body = self.ok(
            "POST", "/client/authorization/get/list", json={"subject": subject, "end": 100}
        )
        return [client["clientId"] for client in body["clients"]]

    def tokens(self, subject: str, client_id: int) -> list[dict[str, Any]]:
        return self.control(
            "GET", "state/tokens", params={"subject": subject, "clientId": client_id}
        )

    def introspect(self, token: str, **extra: Any) -> dict[str, Any]:
        return self.ok("POST", "/auth/introspection", json={"token": token, **extra})

    def granted(self, client_id: int, subject: str) -> dict[str, Any]:
        return self.ok("POST", f"/client/granted_scopes/get/{client_id}", json={"subject": subject})


@pytest.fixture(params=["v3", "v2"])
def api(request: pytest.FixtureRequest, server: SandboxServer) -> Sandbox:
    return Sandbox(server.url, request.param)


@pytest.fixture
def v3(server: SandboxServer) -> Sandbox:
    return Sandbox(server.url, "v3")


# --- Credentials --------------------------------------------------------------------------------


def test_a_missing_authorization_header_is_401_a001202(api):
    response = api.call("GET", api.service_path(), token=None)
    assert response.status_code == 401
    body = response.json()
    assert body["resultCode"] == "A001202"
    assert body["resultMessage"].startswith("[A001202] /api/")
    assert body["resultMessage"].endswith("Authorization header is missing.")


def test_a_wrong_bearer_token_is_401_a001203(v3):
    response = v3.call("GET", "/service/get", token="wrong-token")
    assert response.status_code == 401
    assert response.json()["resultCode"] == "A001203"
    assert "wrong-token" not in response.text


def test_a_wrong_v2_secret_is_401_a001203(server):
    response = requests.get(
        f"{server.url}/api/service/get/{API_KEY}", auth=(API_KEY, "not-the-secret"), timeout=5
    )
    assert response.status_code == 401
    assert response.json()["resultCode"] == "A001203"


def test_v3_refuses_a_key_and_secret(server):
    response = requests.get(
        f"{server.url}/api/{SERVICE_ID}/service/get", auth=(API_KEY, API_SECRET), timeout=5
    )
    assert response.status_code == 401


def test_a_token_used_for_another_service_is_403(v3):
    response = v3.http.get(
        f"{v3.url}/api/123456/service/get",
        headers={"Authorization": f"Bearer {SERVICE_TOKEN}"},
        timeout=5,
    )
    assert response.status_code == 403
    body = response.json()
    assert body["resultCode"].startswith("A001") and "not for the service" in body["resultMessage"]


def test_v2_service_get_names_the_service_in_the_path(server):
    response = requests.get(
        f"{server.url}/api/service/get/123", auth=(API_KEY, API_SECRET), timeout=5
    )
    assert response.status_code == 403


def test_the_limited_token_sees_the_limited_service_and_no_client(v3):
    service = v3.ok("GET", "/service/get", token=LIMITED_TOKEN)
    assert service == {
        "apiKey": int(SERVICE_ID),
        "description": service["description"],
        "number": demo.SERVICE_NUMBER,
        "serviceName": demo.SERVICE_NAME,
    }
    refused = v3.call("GET", f"/client/get/{NOTES}", token=LIMITED_TOKEN)
    assert refused.status_code == 403
    assert set(refused.json()) == {"resultCode", "resultMessage"}
    # It may still use the service.
    assert v3.ok(
        "POST", "/client/authorization/get/list", token=LIMITED_TOKEN, json={"subject": JOHN}
    )


# --- Transport ----------------------------------------------------------------------------------


def test_an_unknown_path_is_404_and_a_wrong_method_405(api):
    assert api.call("GET", "/client/nothing/here").status_code == 404
    wrong = api.call("DELETE", "/auth/token/update")
    assert wrong.status_code == 405
    assert wrong.headers["Allow"] == "POST"


def test_bad_json_is_400_with_the_operations_result_code(api):
    response = api.call(
        "POST",
        f"/client/authorization/update/{NOTES}",
        data="{not json",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["resultCode"] == "A138201"


def test_form_bodies_take_space_separated_scopes(api):
    body = api.ok(
        "POST",
        f"/client/authorization/update/{NOTES}",
        data={"subject": JOHN, "scopes": "email profile"},
    )
    assert body["resultCode"] == "A138001"
    assert {tuple(t["scopes"]) for t in api.tokens(JOHN, NOTES)} == {("email", "profile")}


def test_paths_outside_the_api_are_404(server):
    assert requests.get(f"{server.url}/nothing", timeout=5).status_code == 404
    assert requests.get(f"{server.url}/_sandbox/nothing", timeout=5).status_code == 404


# --- Service and clients ------------------------------------------------------------------------


def test_service_get_describes_scopes_in_three_languages(api):
    service = api.ok("GET", api.service_path())
    assert service["serviceName"] == demo.SERVICE_NAME
    assert service["apiKey"] == int(SERVICE_ID)
    assert service["unauthorizedOnClientConfigSupported"] is True
    scopes = {scope["name"]: scope for scope in service["supportedScopes"]}
    assert len(scopes) >= 12
    assert scopes["email"]["description"] == "See your email address"
    assert {d["tag"] for d in scopes["calendar.write"]["descriptions"]} == {"ja", "fr"}
    assert service["createdAt"] > 10**12 and service["modifiedAt"] >= service["createdAt"]


def test_client_get_returns_the_full_client_by_id_or_alias(api):
    client = api.ok("GET", f"/client/get/{NOTES}")
    assert client["clientName"] == "Inkwell Notes"
    assert {n["tag"] for n in client["clientNames"]} == {"ja", "fr"}
    assert client["logoUri"] == f"{api.url}/_sandbox/logos/notebook.svg"
    for field in ("clientUri", "policyUri", "tosUri"):
        assert client[field].startswith("https://inkwell.example/")
    assert client["developer"] == "dev-northwind" and client["clientSecret"]
    assert client["dynamicallyRegistered"] is False and client["number"] == 1001
    assert api.ok("GET", "/client/get/inkwell-notes")["clientId"] == NOTES


def test_an_unknown_client_is_404(api):
    response = api.call("GET", f"/client/get/{UNKNOWN_CLIENT}")
    assert response.status_code == 404
    assert "was not found" in response.json()["resultMessage"]


def test_client_create_assigns_id_secret_number_and_times(api):
    response = api.call(
        "POST", "/client/create", json={"clientName": "Kite", "developer": "dev-kite"}
    )
    # v3 answers 201; its "legacy compatibility" 200 is what v2 answers.
    assert response.status_code == (201 if api.version == "v3" else 200)
    created = response.json()
    assert len(str(created["clientId"])) == 14 and created["clientSecret"]
    assert created["number"] == 1001 + len(demo.CLIENT_NAMES)
    assert created["clientIdAlias"] == str(created["clientId"])
    assert created["createdAt"] == created["modifiedAt"] > 0
    assert api.ok("GET", f"/client/get/{created['clientId']}")["clientName"] == "Kite"


def test_the_client_list_pages_and_filters_by_developer(api):
    for n in range(3):
        api.call("POST", "/client/create", json={"clientName": f"Dev {n}", "developer": "dev-list"})
    body = api.ok("GET", "/client/get/list", params={"developer": "dev-list", "start": 1, "end": 2})
    assert (body["start"], body["end"], body["totalCount"]) == (1, 2, 3)
    assert [c["clientName"] for c in body["clients"]] == ["Dev 1"]
    everyone = api.ok("GET", "/client/get/list", params={"end": 1000})
    assert everyone["totalCount"] > 3
    assert api.status("GET", "/client/get/list", params={"start": -1}) == 400


def test_client_create_refuses_a_taken_alias(api):
    response = api.call("POST", "/client/create", json={"clientIdAlias": "inkwell-notes"})
    assert response.status_code == 400


# --- The authorized-clients list ----------------------------------------------------------------


def test_the_list_pages_with_start_end_default_5_and_total_count(api):
    first = api.ok("POST", "/client/authorization/get/list", json={"subject": JOHN})
    assert (first["start"], first["end"], first["totalCount"]) == (
        0,
        5,
        len(demo.DEMO_GRANTS[JOHN]),
    )
    assert [c["clientId"] for c in first["clients"]] == list(demo.DEMO_GRANTS[JOHN][:5])
    rest = api.ok(
        "GET", "/client/authorization/get/list", params={"subject": JOHN, "start": 10, "end": 20}
    )
    assert [c["clientId"] for c in rest["clients"]] == list(demo.DEMO_GRANTS[JOHN][10:])


def test_v3_lists_limited_clients_and_v2_full_ones(api):
    body = api.ok("POST", "/client/authorization/get/list", json={"subject": JOHN})
    client = body["clients"][0]
    if api.version == "v3":
        assert set(client) <= {
            "number", "clientName", "clientNames", "description", "descriptions",
            "clientId", "clientIdAlias", "clientIdAliasEnabled", "clientType",
        }  # fmt: skip
    else:
        assert client["logoUri"] and client["developer"]


def test_the_list_filters_by_developer(api):
    body = api.ok(
        "POST",
        "/client/authorization/get/list",
        json={"subject": JOHN, "developer": "dev-northwind", "end": 50},
    )
    assert body["developer"] == "dev-northwind"
    assert 0 < body["totalCount"] < len(demo.DEMO_GRANTS[JOHN])
    for client in body["clients"]:
        assert api.ok("GET", f"/client/get/{client['clientId']}")["developer"] == "dev-northwind"


def test_the_list_needs_a_subject(api):
    response = api.call("POST", "/client/authorization/get/list", json={"start": 0})
    assert response.status_code == 400
    assert response.json()["resultCode"] == "A136201"


def test_every_demo_subject_has_the_apps_the_seed_promises(api):
    for subject in demo.DEMO_SUBJECTS:
        assert api.listed(subject) == list(demo.DEMO_GRANTS[subject])
    assert len(demo.DEMO_GRANTS[JOHN]) == 14 and len(demo.DEMO_GRANTS[ALICE]) == 3
    assert demo.DEMO_GRANTS[BOB] == () and len(demo.DEMO_GRANTS[CAROL]) == 2


def test_an_app_stays_listed_while_any_token_remains_even_expired(v3):
    v3.call("POST", f"/client/authorization/delete/{NOTES}", json={"subject": BOB})
    long_ago = int(time.time() * 1000) - 30 * DAY_MS
    v3.authorize(
        clientId=NOTES,
        subject=BOB,
        scopes=["email"],
        refresh=False,
        createdAt=long_ago,
        accessTokenDuration=60,
    )
    assert v3.listed(BOB) == [NOTES]


# --- Narrowing and disconnecting ----------------------------------------------------------------


def test_authorization_update_replaces_the_scopes_of_every_token_of_the_pair(api):
    count = len(api.tokens(JOHN, NOTES))
    assert count == 2
    body = api.ok(
        "POST",
        f"/client/authorization/update/{NOTES}",
        json={"subject": JOHN, "scopes": ["payments.initiate"]},
    )
    assert body["resultMessage"] == (
        f"[A138001] Updated {count} access token(s) issued to the client (ID = {NOTES}) "
        f"of the service (API Key = {SERVICE_ID})."
    )
    # It does not check the scopes were ever granted, and it leaves the granted-scopes record alone.
    assert [t["scopes"] for t in api.tokens(JOHN, NOTES)] == [["payments.initiate"]] * count
    assert "payments.initiate" not in api.granted(NOTES, JOHN)["mergedGrantedScopes"]
    # Other subjects' tokens for the client are untouched.
    assert [t["scopes"] for t in api.tokens(ALICE, NOTES)] == [["profile", "email"]]


def test_authorization_update_of_an_unknown_client_is_404(api):
    response = api.call(
        "POST", f"/client/authorization/update/{UNKNOWN_CLIENT}", json={"subject": JOHN}
    )
    assert response.status_code == 404
    assert response.json()["resultMessage"].endswith("was not found.")


def test_authorization_update_needs_a_subject(api):
    response = api.call("POST", f"/client/authorization/update/{NOTES}", json={"scopes": ["email"]})
    assert response.status_code == 400


@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_authorization_delete_removes_every_token_of_the_pair(api, method):
    issued = api.authorize(clientId=NOTES, subject=JOHN, scopes=["email"])
    count = len(api.tokens(JOHN, NOTES))
    options = {"json": {"subject": JOHN}} if method == "POST" else {"params": {"subject": JOHN}}
    body = api.ok(method, f"/client/authorization/delete/{NOTES}", **options)
    assert body["resultCode"] == "A137001"
    assert body["resultMessage"].startswith(f"[A137001] Deleted {count} access token(s)")
    assert NOTES not in api.listed(JOHN)
    assert api.introspect(issued["accessToken"])["existent"] is False
    # The remembered consent is a separate record, which the portal clears itself.
    assert api.granted(NOTES, JOHN)["latestGrantedScopes"] == ["email"]
    assert NOTES in api.listed(ALICE)


def test_authorization_delete_of_an_unknown_client_is_404(api):
    response = api.call(
        "POST", f"/client/authorization/delete/{UNKNOWN_CLIENT}", json={"subject": JOHN}
    )
    assert response.status_code == 404


# --- Granted scopes -----------------------------------------------------------------------------


def test_granted_scopes_tell_no_record_empty_and_scopes_apart(api):
    nothing = api.granted(NOTES, BOB)
    assert nothing["latestGrantedScopes"] is None and nothing["mergedGrantedScopes"] is None
    assert "modifiedAt" not in nothing
    api.authorize(clientId=NOTES, subject=BOB, scopes=[])
    empty = api.granted(NOTES, BOB)
    assert empty["latestGrantedScopes"] == [] and empty["mergedGrantedScopes"] == []
    api.authorize(clientId=NOTES, subject=BOB, scopes=["email"])
    some = api.granted(NOTES, BOB)
    assert some["latestGrantedScopes"] == ["email"] and some["modifiedAt"] > 0
    assert (some["serviceApiKey"], some["clientId"], some["subject"]) == (
        int(SERVICE_ID),
        NOTES,
        BOB,
    )


def test_granted_scopes_keep_the_latest_and_the_union(api):
    by_get = api.ok("GET", f"/client/granted_scopes/get/{NOTES}", params={"subject": JOHN})
    assert by_get["latestGrantedScopes"] == ["openid", "profile", "files.read"]
    assert set(by_get["mergedGrantedScopes"]) == {
        "openid", "profile", "email", "files.read", "files.write", "offline_access"
    }  # fmt: skip
    assert by_get == api.granted(NOTES, JOHN)


def test_token_create_does_not_record_granted_scopes(api):
    api.ok(
        "POST",
        "/auth/token/create",
        json={
            "grantType": "AUTHORIZATION_CODE",
            "clientId": NOTES,
            "subject": BOB,
            "scopes": ["email"],
        },
    )
    assert api.granted(NOTES, BOB)["latestGrantedScopes"] is None
    assert api.listed(BOB) == [NOTES]


@pytest.mark.parametrize("method", ["DELETE", "POST"])
def test_granted_scopes_delete_forgets_consent_but_keeps_tokens(api, method):
    options = {"params": {"subject": JOHN}} if method == "DELETE" else {"json": {"subject": JOHN}}
    body = api.ok(method, f"/client/granted_scopes/delete/{NOTES}", **options)
    assert set(body) == {"resultCode", "resultMessage"}
    assert api.granted(NOTES, JOHN)["mergedGrantedScopes"] is None
    assert len(api.tokens(JOHN, NOTES)) == 2


def test_granted_scopes_need_a_known_client_and_a_subject(api):
    unknown = f"/client/granted_scopes/get/{UNKNOWN_CLIENT}"
    assert api.status("POST", unknown, json={"subject": JOHN}) == 404
    assert api.status("GET", f"/client/granted_scopes/get/{NOTES}") == 400


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


# --- Introspection ------------------------------------------------------------------------------


def test_introspection_of_a_valid_token(api):
    issued = api.authorize(clientId=NOTES, subject=ALICE, scopes=["email", "profile"])
    body = api.introspect(issued["accessToken"], scopes=["email"], subject=ALICE)
    assert (body["action"], body["resultCode"]) == ("OK", "A056001")
    assert body["existent"] and body["usable"] and body["sufficient"] and body["refreshable"]
    assert (body["subject"], body["clientId"], body["scopes"]) == (
        ALICE,
        NOTES,
        ["email", "profile"],
    )
    assert body["expiresAt"] > time.time() * 1000
    assert body["responseContent"] == 'Bearer error="invalid_request"'


def test_introspection_shows_narrowed_scopes_and_forgets_deleted_tokens(api):
    issued = api.authorize(clientId=NOTES, subject=ALICE, scopes=["email", "profile"])
    api.ok(
        "POST",
        f"/client/authorization/update/{NOTES}",
        json={"subject": ALICE, "scopes": ["profile"]},
    )
    assert api.introspect(issued["accessToken"])["scopes"] == ["profile"]
    api.ok("POST", f"/client/authorization/delete/{NOTES}", json={"subject": ALICE})
    gone = api.introspect(issued["accessToken"])
    assert (gone["action"], gone["existent"], gone["usable"]) == ("UNAUTHORIZED", False, False)
    assert 'error="invalid_token"' in gone["responseContent"]


def test_introspection_forbids_missing_scopes_and_another_subject(api):
    issued = api.authorize(clientId=NOTES, subject=ALICE, scopes=["email"])
    short = api.introspect(issued["accessToken"], scopes=["email", "files.write"])
    assert (short["action"], short["sufficient"], short["usable"]) == ("FORBIDDEN", False, True)
    assert 'error="insufficient_scope"' in short["responseContent"]
    other = api.introspect(issued["accessToken"], subject=JOHN)
    assert other["action"] == "FORBIDDEN"


def test_introspection_without_a_token_is_bad_request(api):
    assert api.ok("POST", "/auth/introspection", json={})["action"] == "BAD_REQUEST"


def test_introspecting_an_expired_token_without_refresh_sweeps_it(api):
    long_ago = int(time.time() * 1000) - 10 * DAY_MS
    issued = api.authorize(
        clientId=NOTES,
        subject=BOB,
        scopes=["email"],
        refresh=False,
        createdAt=long_ago,
        accessTokenDuration=3600,
    )
    assert api.listed(BOB) == [NOTES]
    expired = api.introspect(issued["accessToken"])
    assert (expired["action"], expired["existent"], expired["usable"], expired["refreshable"]) == (
        "UNAUTHORIZED", True, False, False,
    )  # fmt: skip
    assert api.listed(BOB) == []
    assert api.introspect(issued["accessToken"])["existent"] is False


def test_an_expired_access_token_with_a_live_refresh_token_is_kept(api):
    long_ago = int(time.time() * 1000) - 10 * DAY_MS
    issued = api.authorize(
        clientId=NOTES,
        subject=BOB,
        scopes=["email"],
        createdAt=long_ago,
        accessTokenDuration=60,
        refreshTokenDuration=30 * 86400,
    )
    body = api.introspect(issued["accessToken"])
    assert (body["action"], body["usable"], body["refreshable"]) == ("UNAUTHORIZED", False, True)
    assert api.listed(BOB) == [NOTES]


# --- Dynamic client registration ----------------------------------------------------------------


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
    body = api.ok("POST", "/client/registration/get", json=wrong)
    assert body["action"] == "UNAUTHORIZED"
    assert json.loads(body["responseContent"])["error"] == "invalid_token"
    api.control("POST", "service", json={"unauthorizedOnClientConfigSupported": False})
    assert api.ok("POST", "/client/registration/get", json=wrong)["action"] == "BAD_REQUEST"
    assert api.ok("POST", "/client/registration/delete", json=wrong)["action"] == "BAD_REQUEST"


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


# --- Faults -------------------------------------------------------------------------------------


def test_latency_slows_matching_calls_only(v3):
    v3.fault("latency", path="/service/get", delayMs=300)
    started = time.monotonic()
    v3.ok("GET", "/service/get")
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    v3.ok("GET", f"/client/get/{NOTES}")
    assert time.monotonic() - started < 0.3


@pytest.mark.parametrize(
    ("kind", "status"), [("status500", 500), ("status503", 503), ("status429", 429)]
)
def test_status_faults_answer_a_result_and_expire_after_times(v3, kind, status):
    v3.fault(kind, path="/service/get", retryAfter=7, times=1)
    failed = v3.call("GET", "/service/get")
    assert failed.status_code == status
    assert failed.json()["resultCode"].startswith("A001")
    assert failed.headers.get("Retry-After") == (None if status == 500 else "7")
    assert v3.call("GET", "/service/get").status_code == 200


def test_a_fault_without_times_lasts_until_cleared_and_can_match_a_method(v3):
    v3.fault("status500", path="/client/authorization/", method="DELETE")
    path = f"/client/authorization/delete/{NOTES}"
    for _ in range(3):
        assert v3.status("DELETE", path, params={"subject": JOHN}) == 500
    assert v3.status("POST", path, json={"subject": ALICE}) == 200
    v3.control("DELETE", "faults")
    assert v3.status("DELETE", path, params={"subject": JOHN}) == 200


def test_malformed_and_wrong_shape_answer_200_with_a_bad_body(v3):
    v3.fault("malformed", path="/service/get", times=1)
    malformed = v3.call("GET", "/service/get")
    assert malformed.status_code == 200
    with pytest.raises(ValueError):
        malformed.json()
    v3.fault("wrong_shape", path="/service/get", times=1)
    wrong = v3.call("GET", "/service/get")
    assert wrong.status_code == 200 and isinstance(wrong.json(), list)


def test_reset_closes_the_connection_without_an_answer(v3):
    v3.fault("reset", path="/service/get", times=1)
    with pytest.raises(requests.ConnectionError):
        v3.call("GET", "/service/get")
    assert v3.call("GET", "/service/get").status_code == 200


def test_hang_outlasts_the_read_timeout_and_ends_when_faults_are_cleared(v3):
    v3.fault("hang", path="/service/get")
    started = time.monotonic()
    with pytest.raises(requests.ReadTimeout):
        v3.call("GET", "/service/get", timeout=(1, 0.3))
    assert time.monotonic() - started < 1
    v3.control("DELETE", "faults")
    assert v3.call("GET", "/service/get").status_code == 200
    assert [r["status"] for r in v3.control("GET", "requests")][-2:] == [None, 200]


def test_hang_honours_delay_ms(v3):
    v3.fault("hang", path="/service/get", delayMs=200, times=1)
    with pytest.raises(requests.ConnectionError):
        v3.call("GET", "/service/get", timeout=(1, 3))


def test_faults_never_touch_the_control_paths(v3):
    v3.fault("status500")
    assert v3.call("GET", "/service/get").status_code == 500
    assert v3.control("GET", "faults")[0]["kind"] == "status500"
    assert v3.control("GET", "requests")


def test_unknown_fault_kinds_are_refused(v3):
    response = v3.http.post(f"{v3.url}/_sandbox/faults", json={"kind": "gremlins"}, timeout=5)
    assert response.status_code == 400


# --- Request log, reset, state ------------------------------------------------------------------


def test_the_request_log_records_calls_but_never_credentials(v3):
    v3.control("DELETE", "requests")
    v3.call("POST", "/client/authorization/get/list", json={"subject": CAROL})
    v3.call("GET", "/auth/token/get/list", params={"subject": CAROL})
    v3.call("GET", "/service/get", token="wrong")
    log = v3.control("GET", "requests")
    assert [(r["method"], r["path"], r["status"]) for r in log] == [
        ("POST", f"/api/{SERVICE_ID}/client/authorization/get/list", 200),
        ("GET", f"/api/{SERVICE_ID}/auth/token/get/list", 200),
        ("GET", f"/api/{SERVICE_ID}/service/get", 401),
    ]
    assert log[0]["body"] == {"subject": CAROL} and log[1]["query"] == {"subject": CAROL}
    assert all(r["at"] > 0 for r in log)
    assert SERVICE_TOKEN not in json.dumps(log) and "wrong" not in json.dumps(log)
    v3.control("DELETE", "requests")
    assert v3.control("GET", "requests") == []


def test_reset_wipes_state_faults_and_log(v3):
    v3.authorize(clientId=NOTES, subject=BOB, scopes=["email"])
    v3.fault("status500", path="/nothing")
    v3.control("POST", "reset", json={"seed": "empty"})
    assert v3.control("GET", "faults") == [] and v3.control("GET", "requests") == []
    assert v3.ok("GET", "/service/get")["serviceName"] == demo.SERVICE_NAME
    assert v3.call("GET", f"/client/get/{NOTES}").status_code == 404
    v3.control("POST", "reset", json={"seed": "demo"})
    assert v3.listed(BOB) == [] and v3.listed(JOHN) == list(demo.DEMO_GRANTS[JOHN])


def test_an_unknown_seed_is_refused(v3):
    response = v3.http.post(f"{v3.url}/_sandbox/reset", json={"seed": "mars"}, timeout=5)
    assert response.status_code == 400


def test_sandbox_authorize_refuses_unknown_clients_and_missing_subjects(v3):
    unknown = v3.http.post(
        f"{v3.url}/_sandbox/authorize", json={"clientId": UNKNOWN_CLIENT, "subject": BOB}, timeout=5
    )
    assert unknown.status_code == 404
    missing = v3.http.post(f"{v3.url}/_sandbox/authorize", json={"clientId": NOTES}, timeout=5)
    assert missing.status_code == 400


def test_the_state_endpoint_shows_hashes_scopes_and_expiries(v3):
    issued = v3.authorize(
        clientId=NOTES,
        subject=BOB,
        scopes=["email"],
        createdAt=1_700_000_000_000,
        lastRefreshedAt=1_700_000_500_000,
        accessTokenDuration=60,
    )
    [token] = v3.tokens(BOB, NOTES)
    assert token["accessTokenHash"] == issued["accessTokenHash"]
    assert (token["createdAt"], token["lastRefreshedAt"]) == (1_700_000_000_000, 1_700_000_500_000)
    assert token["accessTokenExpiresAt"] == 1_700_000_560_000


# --- The demo world -----------------------------------------------------------------------------


def test_the_demo_world_has_the_variety_the_portal_shows(v3):
    tokens = v3.control("GET", "state/tokens", params={"subject": JOHN})
    now = time.time() * 1000
    by_client: dict[int, list[dict[str, Any]]] = {}
    for token in tokens:
        by_client.setdefault(token["clientId"], []).append(token)
    assert len(by_client) == 14
    assert any(len(group) > 1 for group in by_client.values())
    assert any(t["lastRefreshedAt"] == 0 for t in tokens) and any(
        t["lastRefreshedAt"] > now - DAY_MS for t in tokens
    )
    assert any("refreshTokenHash" not in t for t in tokens) and any(
        "offline_access" in t["scopes"] for t in tokens
    )
    assert min(t["createdAt"] for t in tokens) < now - 300 * DAY_MS
    only_refresh = by_client[demo.CADENCE_RADIO][0]
    assert only_refresh["accessTokenExpiresAt"] < now < only_refresh["refreshTokenExpiresAt"]
    dead = by_client[demo.SAFFRON_RECIPES][0]
    assert dead["accessTokenExpiresAt"] < now and "refreshTokenHash" not in dead


def test_demo_clients_have_stable_ids_and_their_own_logos(v3):
    for client_id, logo in demo.CLIENT_LOGOS.items():
        assert len(str(client_id)) == 14
        client = v3.ok("GET", f"/client/get/{client_id}")
        assert client["clientName"] == demo.CLIENT_NAMES[client_id]
        response = v3.http.get(client["logoUri"], timeout=5)
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "image/svg+xml"
        assert "max-age=31536000" in response.headers["Cache-Control"]
        assert 'viewBox="0 0 64 64"' in response.text and logo in client["logoUri"]
    assert v3.http.get(f"{v3.url}/_sandbox/logos/nope.svg", timeout=5).status_code == 404


# --- Seeding, the command line, latency ---------------------------------------------------------


def _counts(server: SandboxServer) -> tuple[int, int]:
    tokens = requests.get(f"{server.url}/_sandbox/state/tokens", timeout=5).json()
    clients = Sandbox(server.url).ok(
        "POST", "/client/authorization/get/list", json={"subject": JOHN}
    )["totalCount"]
    return len(tokens), clients


def test_seeding_a_file_twice_does_not_duplicate_and_reseed_starts_over(tmp_path):
    db = str(tmp_path / "sandbox.sqlite3")
    with SandboxServer(db=db, seed="demo") as first:
        counts = _counts(first)
        Sandbox(first.url).authorize(clientId=NOTES, subject=BOB, scopes=["email"])
    with SandboxServer(db=db, seed="demo") as second:
        assert _counts(second) == (counts[0] + 1, counts[1])
    with SandboxServer(db=db, seed="demo", reseed=True) as third:
        assert _counts(third) == counts


def test_the_command_line_prints_its_url_keeps_its_data_and_stops_on_ctrl_c(tmp_path):
    db = tmp_path / "cli.sqlite3"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def run() -> tuple[str, int]:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "authlete_sandbox",
                "--port",
                "0",
                "--db",
                str(db),
                "--seed",
                "demo",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            line = process.stdout.readline()
            url = line.split()[3]
            tokens = len(requests.get(f"{url}/_sandbox/state/tokens", timeout=5).json())
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=10)
        assert process.returncode == 0
        return line, tokens

    line, first_tokens = run()
    assert line.startswith("Authlete sandbox at http://127.0.0.1:")
    _, second_tokens = run()
    assert first_tokens == second_tokens > 0


def test_latency_ms_delays_every_api_call_but_not_control(tmp_path):
    with SandboxServer(seed="empty", latency_ms=150) as slow:
        sandbox = Sandbox(slow.url)
        started = time.monotonic()
        sandbox.control("GET", "requests")
        assert time.monotonic() - started < 0.15
        started = time.monotonic()
        sandbox.ok("GET", "/service/get")
        assert time.monotonic() - started >= 0.15
