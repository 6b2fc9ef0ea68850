"""The client lock flag, and the token list of one client across every subject."""

from __future__ import annotations

import requests

from tests.authlete_sandbox.conftest import ALICE, JOHN, NOTES, UNKNOWN_CLIENT


def test_locking_a_client_shows_in_client_get_and_keeps_its_tokens(api):
    before = api.tokens(JOHN, NOTES)
    answer = api.ok("POST", f"/client/lock_flag/update/{NOTES}", json={"clientLocked": True})
    assert answer["resultCode"].endswith("001")
    assert api.ok("GET", f"/client/get/{NOTES}")["locked"] is True
    assert api.tokens(JOHN, NOTES) == before
    api.ok("POST", f"/client/lock_flag/update/{NOTES}", data={"clientLocked": "false"})
    assert api.ok("GET", f"/client/get/{NOTES}")["locked"] is False


def test_a_locked_client_gets_no_new_tokens(v3):
    v3.ok("POST", f"/client/lock_flag/update/{NOTES}", json={"clientLocked": True})
    refused = requests.post(
        f"{v3.url}/_sandbox/authorize",
        json={"clientId": NOTES, "subject": ALICE, "scopes": ["openid"]},
        timeout=5,
    )
    assert refused.status_code == 403
    assert "locked" in refused.json()["error"]


def test_the_lock_flag_needs_a_boolean_and_a_known_client(v3):
    assert v3.status("POST", f"/client/lock_flag/update/{NOTES}", json={}) == 400
    path = f"/client/lock_flag/update/{UNKNOWN_CLIENT}"
    assert v3.status("POST", path, json={"clientLocked": True}) == 404


def test_the_token_list_of_a_client_spans_every_subject_in_windows(v3):
    for subject in ("ann", "ben", "cat"):
        v3.authorize(clientId=NOTES, subject=subject, scopes=["openid"])
    everyone = v3.ok("GET", "/auth/token/get/list", params={"clientIdentifier": NOTES, "end": 20})
    subjects = {token["subject"] for token in everyone["accessTokens"]}
    assert {"ann", "ben", "cat", JOHN} <= subjects
    assert "subject" not in everyone
    window = v3.ok(
        "GET", "/auth/token/get/list", params={"clientIdentifier": NOTES, "start": 1, "end": 3}
    )
    assert (window["totalCount"], len(window["accessTokens"])) == (everyone["totalCount"], 2)
