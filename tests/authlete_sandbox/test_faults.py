"""Faults: latency, error statuses, bad bodies, resets and hangs, on the paths they match."""

from __future__ import annotations

import time

import pytest
import requests

from tests.authlete_sandbox.conftest import ALICE, JOHN, NOTES


def test_latency_slows_matching_calls_only(v3):
    v3.fault("latency", path="/service/get", delayMs=300)
    started = time.monotonic()
    v3.ok("GET", "/service/get")
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    v3.ok("GET", f"/client/get/{NOTES}")
    assert time.monotonic() - started < 0.3


@pytest.mark.parametrize(
    ("kind", "status"), [("status500", 500), ("status503", 503), ("status429", 429)]
)
def test_status_faults_answer_a_result_and_expire_after_times(v3, kind, status):
    v3.fault(kind, path="/service/get", retryAfter=7, times=1)
    failed = v3.call("GET", "/service/get")
    assert failed.status_code == status
    assert failed.json()["resultCode"].startswith("A001")
    assert failed.headers.get("Retry-After") == (None if status == 500 else "7")
    assert v3.call("GET", "/service/get").status_code == 200


def test_a_fault_without_times_lasts_until_cleared_and_can_match_a_method(v3):
    v3.fault("status500", path="/client/authorization/", method="DELETE")
    path = f"/client/authorization/delete/{NOTES}"
    for _ in range(3):
        assert v3.status("DELETE", path, params={"subject": JOHN}) == 500
    assert v3.status("POST", path, json={"subject": ALICE}) == 200
    v3.control("DELETE", "faults")
    assert v3.status("DELETE", path, params={"subject": JOHN}) == 200


def test_malformed_and_wrong_shape_answer_200_with_a_bad_body(v3):
    v3.fault("malformed", path="/service/get", times=1)
    malformed = v3.call("GET", "/service/get")
    assert malformed.status_code == 200
    with pytest.raises(ValueError):
        malformed.json()
    v3.fault("wrong_shape", path="/service/get", times=1)
    wrong = v3.call("GET", "/service/get")
    assert wrong.status_code == 200 and isinstance(wrong.json(), list)


def test_reset_closes_the_connection_without_an_answer(v3):
    v3.fault("reset", path="/service/get", times=1)
    with pytest.raises(requests.ConnectionError):
        v3.call("GET", "/service/get")
    assert v3.call("GET", "/service/get").status_code == 200


def test_hang_outlasts_the_read_timeout_and_ends_when_faults_are_cleared(v3):
    v3.fault("hang", path="/service/get")
    started = time.monotonic()
    with pytest.raises(requests.ReadTimeout):
        v3.call("GET", "/service/get", timeout=(1, 0.3))
    assert time.monotonic() - started < 1
    v3.control("DELETE", "faults")
    assert v3.call("GET", "/service/get").status_code == 200
    assert [r["status"] for r in v3.control("GET", "requests")][-2:] == [None, 200]


def test_hang_honours_delay_ms(v3):
    v3.fault("hang", path="/service/get", delayMs=200, times=1)
    with pytest.raises(requests.ConnectionError):
        v3.call("GET", "/service/get", timeout=(1, 3))


def test_faults_never_touch_the_control_paths(v3):
    v3.fault("status500")
    assert v3.call("GET", "/service/get").status_code == 500
    assert v3.control("GET", "faults")[0]["kind"] == "status500"
    assert v3.control("GET", "requests")


def test_unknown_fault_kinds_are_refused(v3):
    response = v3.http.post(f"{v3.url}/_sandbox/faults", json={"kind": "gremlins"}, timeout=5)
    assert response.status_code == 400
