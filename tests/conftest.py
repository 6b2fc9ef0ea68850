"""Fixtures shared by every test: a live Authlete sandbox over HTTP, and signed-in people."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from django.core.cache import cache

from authlete_sandbox import LIMITED_TOKEN, SERVICE_ID, SERVICE_TOKEN
from authlete_sandbox.server import SandboxServer

# The portal suite runs in the sandbox's permissive modes until the portal is right in every mode
# (docs/authlete-behaviours.md), with the registration setting the demo service used to have.
PORTAL_MODES = {
    "token_list_cap": 0,
    "server": "dedicated",
    "refresh_scopes": "follow",
    "scope_filtering": False,
    "v2_owner_credentials": False,
}
PORTAL_SERVICE = {"unauthorizedOnClientConfigSupported": True}


class Sandbox:
    """A running sandbox and its control API, for setting up worlds and checking what changed."""

    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        self.url = server.url
        self.http = requests.Session()

    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, f"{self.url}/_sandbox/{path}", timeout=10, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def reset(self, seed: str = "demo") -> None:
        """A fresh world, in the modes the session's sandbox started in."""
        self.control("POST", "reset", json={"seed": seed})
        self.control("POST", "service", json=PORTAL_SERVICE)
        self.restore_modes()

    def modes(self, **changes: Any) -> dict[str, Any]:
        """Change some of the sandbox's modes (authlete_sandbox.modes) until the test ends."""
        return self.control("PUT", "modes", json=changes)

    def restore_modes(self) -> None:
        self.control("PUT", "modes", json=self.server.start_modes.as_json())

    def fault(self, kind: str, path: str = "", **options: Any) -> None:
        self.control("POST", "faults", json={"kind": kind, "path": path, **options})

    def clear_faults(self) -> None:
        self.control("DELETE", "faults")

    def requests(self) -> list[dict[str, Any]]:
        return self.control("GET", "requests")

    def clear_requests(self) -> None:
        self.control("DELETE", "requests")

    def writes(self) -> list[dict[str, Any]]:
        """Authlete calls received that change state (everything but the reads)."""
        reads = ("/get", "/get/list", "/service/get", "/auth/introspection")
        return [r for r in self.requests() if not any(marker in r["path"] for marker in reads)]

    def authorize(self, **body: Any) -> dict[str, Any]:
        return self.control("POST", "authorize", json=body)

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Call the sandbox's Authlete API (v3) directly, as a test's independent witness."""
        headers = {"Authorization": f"Bearer {SERVICE_TOKEN}"}
        return self.http.request(
            method, f"{self.url}/api/{SERVICE_ID}{path}", headers=headers, timeout=10, **kwargs
        )

    def introspect(self, token: str) -> dict[str, Any]:
        response = self.api("POST", "/auth/introspection", json={"token": token})
        response.raise_for_status()
        return response.json()

    def authorized_client_ids(self, subject: str) -> list[int]:
        response = self.api(
            "POST", "/client/authorization/get/list", json={"subject": subject, "end": 1000}
        )
        response.raise_for_status()
        return [client["clientId"] for client in response.json().get("clients") or []]

    def token_scopes(self, subject: str, client_id: int) -> list[list[str]]:
        response = self.api(
            "GET",
            "/auth/token/get/list",
            params={"subject": subject, "clientIdentifier": client_id, "end": 1000},
        )
        response.raise_for_status()
        return [sorted(t.get("scopes") or []) for t in response.json().get("accessTokens") or []]

    def token_state(self, subject: str, client_id: int) -> dict[str, dict[str, Any]]:
        """The sandbox's own record of each token of the pair, by access token hash."""
        params = {"subject": subject, "clientId": client_id}
        state = self.control("GET", "state/tokens", params=params)
        return {token["accessTokenHash"]: token for token in state}

    def token_writes(self) -> list[dict[str, Any]]:
        return [r for r in self.writes() if "/auth/token/" in r["path"]]

    def client_name(self, client_id: int) -> str:
        return self.api("GET", f"/client/get/{client_id}").json()["clientName"]

    def narrowable(self, subject: str, client_ids: list[int]) -> tuple[int, list[str]]:
        """One of the subject's apps holding two or more scopes, with those scopes."""
        for client_id in client_ids:
            scopes = sorted({s for token in self.token_scopes(subject, client_id) for s in token})
            if len(scopes) >= 2:
                return client_id, scopes
        raise AssertionError("the demo world has no app with two scopes")

    def granted_scopes(self, subject: str, client_id: int) -> dict[str, Any]:
        response = self.api(
            "POST", f"/client/granted_scopes/get/{client_id}", json={"subject": subject}
        )
        response.raise_for_status()
        return response.json()


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxServer]:
    # Today's permissive modes, not Authlete's documented defaults: see PORTAL_MODES.
    server = SandboxServer(port=0, db=":memory:", seed="demo", modes=PORTAL_MODES)
    server.start()
    requests.post(
        f"{server.url}/_sandbox/service", json=PORTAL_SERVICE, timeout=10
    ).raise_for_status()
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server: SandboxServer) -> Iterator[Sandbox]:
    witness = Sandbox(sandbox_server)
    witness.reset("demo")
    yield witness
    witness.restore_modes()


@pytest.fixture(autouse=True)
def _portal_settings(settings: Any, sandbox_server: SandboxServer) -> Iterator[None]:
    """Point the portal at the test sandbox, v3, with short timeouts, and an empty cache."""
    settings.AUTHLETE_BASE_URL = sandbox_server.url
    settings.AUTHLETE_API_VERSION = "v3"
    settings.AUTHLETE_SERVICE_ID = SERVICE_ID
    settings.AUTHLETE_SERVICE_TOKEN = SERVICE_TOKEN
    settings.AUTHLETE_CONNECT_TIMEOUT = 1.0
    settings.AUTHLETE_READ_TIMEOUT = 1.0
    settings.AUTHLETE_DEADLINE = 2.5
    settings.AUTHLETE_MAX_RETRIES = 2
    # Hashed static names need collectstatic; page tests only need the files to resolve.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Clearing a Redis cache empties its whole database, so each test worker gets its own.
    default_cache = settings.CACHES["default"]
    if default_cache["BACKEND"].endswith("RedisCache"):
        worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
        location = urlsplit(default_cache["LOCATION"])
        database = 2 + worker % 12  # 0 and 1 are left to people, 15 to the scale-out test
        settings.CACHES = {
            **settings.CACHES,
            "default": {
                **default_cache,
                "LOCATION": location._replace(path=f"/{database}").geturl(),
            },
        }
    # Real hashing is slow by design; tests only need passwords to round-trip.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    yield
    cache.clear()


__all__ = ["LIMITED_TOKEN", "Sandbox"]
