"""The probes: liveness, readiness, and a readiness check that cannot be turned on Authlete."""

from __future__ import annotations

import time
from datetime import datetime

import pytest
from django.test import Client

from tests.conftest import Sandbox

pytestmark = pytest.mark.django_db


def _service_get_calls(sandbox: Sandbox) -> int:
    return sum(1 for call in sandbox.requests() if call["path"].endswith("/service/get"))


def _clear_of_a_minute_boundary() -> None:
    """Per-minute counts restart on the minute; a test that counts must not straddle one."""
    if time.time() % 60 > 55:
        time.sleep(61 - time.time() % 60)


def test_healthz_answers_without_login():
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ready_when_the_database_and_authlete_answer(sandbox: Sandbox):
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "authlete": "ok"}


def test_readyz_is_unavailable_when_authlete_is_down(sandbox: Sandbox):
    sandbox.fault("status503", path="/service/get", retryAfter=0)
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["authlete"] == "unavailable"


def test_twenty_readiness_probes_cost_authlete_one_call(sandbox: Sandbox):
    sandbox.clear_requests()
    client = Client()
    statuses = {client.get("/readyz").status_code for _ in range(20)}
    assert statuses == {200}
    assert _service_get_calls(sandbox) == 1


def test_readyz_says_when_it_last_asked_authlete_and_asks_again_after_the_window(
    settings, sandbox: Sandbox
):
    settings.PORTAL_READYZ_CACHE_SECONDS = 1
    client = Client()
    first = client.get("/readyz").json()
    sandbox.fault("status503", path="/service/get", retryAfter=0)

    within_window = client.get("/readyz")
    assert within_window.status_code == 200
    assert within_window.json()["authlete_checked_at"] == first["authlete_checked_at"]

    time.sleep(1.2)
    after_window = client.get("/readyz")
    assert after_window.status_code == 503
    assert after_window.json()["checks"]["authlete"] == "unavailable"
    asked_again = datetime.fromisoformat(after_window.json()["authlete_checked_at"])
    assert asked_again > datetime.fromisoformat(first["authlete_checked_at"])


def test_a_client_asking_readyz_too_often_is_told_to_wait(settings, sandbox: Sandbox):
    settings.PORTAL_READYZ_PER_MINUTE = 3
    _clear_of_a_minute_boundary()
    client = Client(REMOTE_ADDR="203.0.113.9")
    assert [client.get("/readyz").status_code for _ in range(3)] == [200, 200, 200]

    refused = client.get("/readyz")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json() == {"status": "too_many_requests"}
    # Another address (another load balancer) is still answered.
    assert Client(REMOTE_ADDR="198.51.100.4").get("/readyz").status_code == 200
