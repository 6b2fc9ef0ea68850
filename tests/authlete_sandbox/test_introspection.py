"""Introspection: what a resource server learns about an access token, and expired ones swept."""

from __future__ import annotations

import time

from tests.authlete_sandbox.conftest import ALICE, BOB, DAY_MS, JOHN, NOTES


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
