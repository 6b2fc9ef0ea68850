"""The /_sandbox/ control paths: the request log, reset, authorize and the token state."""

from __future__ import annotations

import json

from authlete_sandbox import SERVICE_ID, SERVICE_TOKEN
from authlete_sandbox import seed as demo
from tests.authlete_sandbox.conftest import BOB, CAROL, JOHN, NOTES, UNKNOWN_CLIENT


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
