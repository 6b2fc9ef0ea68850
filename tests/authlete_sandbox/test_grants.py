"""What users gave clients: the authorized-client list, narrowing, disconnecting, granted scopes."""

from __future__ import annotations

import time

import pytest

from authlete_sandbox import SERVICE_ID
from authlete_sandbox import seed as demo
from tests.authlete_sandbox.conftest import ALICE, BOB, CAROL, DAY_MS, JOHN, NOTES, UNKNOWN_CLIENT

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
