"""Fixtures of the reliability suite: the page tests' people, and short Authlete timeouts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import Sandbox
from tests.connected_apps.conftest import (
    alice_client,
    john,
    john_client,
    johns_apps,
    make_user,
    support_client,
)

__all__ = ["alice_client", "john", "john_client", "johns_apps", "make_user", "support_client"]


@pytest.fixture
def fast_authlete(settings: Any, sandbox: Sandbox) -> Iterator[Any]:
    """Timeouts short enough that a fault costs well under a second, with room for retries."""
    settings.AUTHLETE_CONNECT_TIMEOUT = 0.3
    settings.AUTHLETE_READ_TIMEOUT = 0.3
    settings.AUTHLETE_DEADLINE = 1.0
    settings.AUTHLETE_MAX_RETRIES = 2
    yield settings
    # Wake the sandbox threads still sleeping in a hang fault.
    sandbox.clear_faults()
