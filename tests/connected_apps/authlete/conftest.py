"""Clients for the Authlete client tests: both API versions, or v3 alone, against the sandbox."""

from __future__ import annotations

from typing import Any

import pytest

from authlete_sandbox import API_KEY, API_SECRET
from authlete_sandbox import seed as demo
from connected_apps import authlete
from tests.conftest import Sandbox


@pytest.fixture(params=["v3", "v2"])
def client(
    request: pytest.FixtureRequest, settings: Any, sandbox: Sandbox
) -> authlete.AuthleteClient:
    if request.param == "v2":
        settings.AUTHLETE_API_VERSION = "v2"
        settings.AUTHLETE_API_KEY = API_KEY
        settings.AUTHLETE_API_SECRET = API_SECRET
    return authlete.get_client()


@pytest.fixture
def v3(sandbox: Sandbox) -> authlete.AuthleteClient:
    return authlete.get_client()


def first_app(subject: str = "john") -> int:
    return demo.DEMO_GRANTS[subject][0]
