"""The demo world has what the portal shows: varied tokens, stable client IDs, logos."""

from __future__ import annotations

import time
from typing import Any

from authlete_sandbox import seed as demo
from tests.authlete_sandbox.conftest import DAY_MS, JOHN


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
