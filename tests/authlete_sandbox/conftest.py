"""The sandbox's own tests need the running sandbox only, not Django's settings."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from authlete_sandbox.server import SandboxServer


@pytest.fixture
def server(sandbox_server: SandboxServer) -> SandboxServer:
    return sandbox_server


@pytest.fixture(autouse=True)
def _portal_settings(sandbox_server: SandboxServer) -> Iterator[None]:
    """Overrides the portal's settings fixture with a fresh demo world for every test."""
    requests.post(
        f"{sandbox_server.url}/_sandbox/reset", json={"seed": "demo"}, timeout=5
    ).raise_for_status()
    yield
