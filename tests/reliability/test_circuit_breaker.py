"""The circuit breaker: a failing Authlete is left alone for a while, then tried again."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.urls import reverse

from connected_apps import authlete
from tests.conftest import Sandbox

FAILURES = 3
COOLDOWN = 0.3


@pytest.fixture
def breaker(settings: Any, sandbox: Sandbox) -> Any:
    settings.AUTHLETE_BREAKER_FAILURES = FAILURES
    settings.AUTHLETE_BREAKER_COOLDOWN = COOLDOWN
    yield settings
    sandbox.clear_faults()


def _fail_until_open(sandbox: Sandbox) -> None:
    # A plain 500 is not retried, so each call below is exactly one request.
    sandbox.fault("status500", path="/service/get")
    client = authlete.get_client()
    for _ in range(FAILURES):
        with pytest.raises(authlete.AuthleteUnavailable):
            client.service_get()
    sandbox.clear_requests()


def test_after_enough_consecutive_failures_calls_fail_fast_without_a_request(breaker, sandbox):
    _fail_until_open(sandbox)
    sandbox.clear_faults()
    for _ in range(5):
        with pytest.raises(authlete.AuthleteUnavailable, match="failed repeatedly"):
            authlete.get_client().service_get()
    assert sandbox.requests() == []


def test_after_the_cool_down_one_trial_call_goes_through_and_success_closes_it(breaker, sandbox):
    _fail_until_open(sandbox)
    sandbox.clear_faults()
    time.sleep(COOLDOWN)
    client = authlete.get_client()
    assert client.service_get().name
    assert client.service_get().name
    assert len(sandbox.requests()) == 2


def test_a_failed_trial_opens_the_circuit_again(breaker, sandbox):
    _fail_until_open(sandbox)
    time.sleep(COOLDOWN)
    client = authlete.get_client()
    with pytest.raises(authlete.AuthleteUnavailable):
        client.service_get()
    assert len(sandbox.requests()) == 1
    sandbox.clear_faults()
    with pytest.raises(authlete.AuthleteUnavailable, match="failed repeatedly"):
        client.service_get()
    assert len(sandbox.requests()) == 1


def test_only_one_trial_call_is_let_through_while_half_open(breaker, sandbox):
    _fail_until_open(sandbox)
    sandbox.clear_faults()
    # The trial is slow, so the other callers arrive while it is still in flight.
    sandbox.fault("latency", path="/service/get", delayMs=300, times=1)
    time.sleep(COOLDOWN)
    client = authlete.get_client()

    def call(_: int) -> str:
        try:
            client.service_get()
        except authlete.AuthleteUnavailable:
            return "fast-failed"
        return "ok"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(call, range(8)))
    assert outcomes.count("ok") >= 1
    assert len(sandbox.requests()) == outcomes.count("ok")
    assert sorted(set(outcomes)) == ["fast-failed", "ok"]


def test_calls_through_a_closed_circuit_run_side_by_side(breaker, sandbox):
    # The list page fans out its calls; the breaker must not queue them one behind another.
    sandbox.fault("latency", path="/service/get", delayMs=300, times=4)
    client = authlete.get_client()
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=4) as pool:
        names = list(pool.map(lambda _: client.service_get().name, range(4)))
    assert all(names)
    assert time.monotonic() - started < 4 * 0.3


def test_a_success_between_failures_starts_the_count_again(breaker, sandbox):
    client = authlete.get_client()
    for _ in range(3):
        sandbox.fault("status500", path="/service/get", times=FAILURES - 1)
        for _ in range(FAILURES - 1):
            with pytest.raises(authlete.AuthleteUnavailable):
                client.service_get()
        assert client.service_get().name


def test_refusals_are_answers_and_never_open_the_circuit(breaker, sandbox):
    client = authlete.get_client()
    for _ in range(FAILURES * 2):
        with pytest.raises(authlete.AuthleteNotFound):
            client.client_get(1)
    sandbox.clear_requests()
    assert client.service_get().name
    assert len(sandbox.requests()) == 1


def test_changing_the_settings_starts_with_a_closed_circuit(breaker, sandbox, settings):
    _fail_until_open(sandbox)
    sandbox.clear_faults()
    settings.AUTHLETE_BREAKER_COOLDOWN = 60
    assert authlete.get_client().service_get().name


@pytest.mark.django_db
def test_an_open_circuit_answers_the_page_at_once_with_the_usual_message(
    breaker, sandbox, john_client
):
    # Every call fails: the list's first round asks for the listing and the tokens at once.
    sandbox.fault("status503", path="", retryAfter=0)
    for _ in range(FAILURES):
        assert john_client.get(reverse("connected_apps:list")).status_code == 503
    sandbox.clear_faults()
    sandbox.clear_requests()
    response = john_client.get(reverse("connected_apps:list"))
    assert response.status_code == 503
    assert "not reachable right now" in response.content.decode()
    assert sandbox.requests() == []


def test_a_breaker_failure_count_below_one_turns_it_off(breaker, sandbox, settings):
    settings.AUTHLETE_BREAKER_FAILURES = 0
    sandbox.fault("status500", path="/service/get")
    sandbox.clear_requests()
    client = authlete.get_client()
    for _ in range(FAILURES * 3):
        with pytest.raises(authlete.AuthleteUnavailable):
            client.service_get()
    assert len(sandbox.requests()) == FAILURES * 3
