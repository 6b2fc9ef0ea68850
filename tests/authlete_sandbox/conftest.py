"""The sandbox's own tests: a client for its API and control paths, and a fresh demo world each."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from authlete_sandbox import API_KEY, API_SECRET, SERVICE_ID, SERVICE_TOKEN
from authlete_sandbox import seed as demo
from authlete_sandbox.server import SandboxServer

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

    def modes(self, **changes: Any) -> dict[str, Any]:
        """Change some of the sandbox's modes; the next test starts in the session's again."""
        return self.control("PUT", "modes", json=changes)

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


@pytest.fixture
def server(sandbox_server: SandboxServer) -> SandboxServer:
    return sandbox_server


@pytest.fixture(autouse=True)
def _portal_settings(sandbox_server: SandboxServer) -> Iterator[None]:
    """Overrides the portal's settings fixture: a fresh demo world and the session's modes."""
    control = f"{sandbox_server.url}/_sandbox"
    session_modes = sandbox_server.start_modes.as_json()
    requests.post(f"{control}/reset", json={"seed": "demo"}, timeout=5).raise_for_status()
    requests.put(f"{control}/modes", json=session_modes, timeout=5).raise_for_status()
    yield
    requests.put(f"{control}/modes", json=session_modes, timeout=5).raise_for_status()
