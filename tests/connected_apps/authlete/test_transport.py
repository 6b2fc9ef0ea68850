"""How calls travel: faults, retries where they are safe, the deadline, and what is logged."""

from __future__ import annotations

import logging
import time

import pytest

from authlete_sandbox import SERVICE_TOKEN
from authlete_sandbox import seed as demo
from connected_apps import authlete
from tests.connected_apps.authlete.conftest import first_app

# --- Faults -----------------------------------------------------------------------------------


def test_an_unreachable_authlete_is_unavailable(settings):
    settings.AUTHLETE_BASE_URL = "http://127.0.0.1:9"
    with pytest.raises(authlete.AuthleteUnavailable):
        authlete.get_client().service_get()


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("status500", authlete.AuthleteUnavailable),
        ("status503", authlete.AuthleteUnavailable),
        ("status429", authlete.AuthleteUnavailable),
        ("malformed", authlete.AuthleteMalformed),
        ("wrong_shape", authlete.AuthleteMalformed),
        ("reset", authlete.AuthleteUnavailable),
    ],
)
def test_each_fault_reaches_the_caller_as_one_exception_family(v3, sandbox, kind, error):
    sandbox.fault(kind, path="/service/get", retryAfter=0)
    with pytest.raises(error) as caught:
        v3.service_get()
    assert isinstance(caught.value, authlete.AuthleteError)


def test_reads_are_retried_and_succeed_when_authlete_recovers(v3, sandbox):
    sandbox.fault("status503", path="/service/get", times=1, retryAfter=0)
    sandbox.clear_requests()
    assert v3.service_get().name == demo.SERVICE_NAME
    assert len([r for r in sandbox.requests() if r["path"].endswith("/service/get")]) == 2


def test_reads_give_up_after_the_configured_retries(v3, sandbox, settings):
    sandbox.fault("status503", path="/client/get/", retryAfter=0)
    sandbox.clear_requests()
    with pytest.raises(authlete.AuthleteUnavailable):
        v3.client_get(first_app())
    assert len(sandbox.requests()) == 1 + settings.AUTHLETE_MAX_RETRIES


def test_a_plain_server_error_is_not_retried(v3, sandbox):
    sandbox.fault("status500", path="/client/get/")
    sandbox.clear_requests()
    with pytest.raises(authlete.AuthleteUnavailable):
        v3.client_get(first_app())
    assert len(sandbox.requests()) == 1


def test_a_write_is_never_repeated_after_a_server_error(v3, sandbox):
    sandbox.fault("status503", path="/client/authorization/delete/", retryAfter=0)
    sandbox.clear_requests()
    with pytest.raises(authlete.AuthleteUnavailable):
        v3.authorization_delete(client_id=first_app(), subject="john")
    assert len(sandbox.requests()) == 1


def test_a_write_is_repeated_after_429_because_authlete_did_not_process_it(v3, sandbox):
    client_id = first_app()
    sandbox.fault("status429", path="/client/authorization/delete/", times=1, retryAfter=0)
    sandbox.clear_requests()
    outcome = v3.authorization_delete(client_id=client_id, subject="john")
    assert outcome.result_code == "A137001"
    assert len(sandbox.requests()) == 2
    assert client_id not in sandbox.authorized_client_ids("john")


def test_a_write_that_never_reached_authlete_is_sent_again(settings, caplog):
    # Nothing listens on port 9: each connection is refused, so no attempt reached Authlete,
    # and no server can count them; urllib3 logs each attempt it makes again.
    settings.AUTHLETE_BASE_URL = "http://127.0.0.1:9"
    with (
        caplog.at_level(logging.WARNING, logger="urllib3.connectionpool"),
        pytest.raises(authlete.AuthleteUnavailable),
    ):
        authlete.get_client().authorization_delete(client_id=first_app(), subject="john")
    retried = [r for r in caplog.records if r.getMessage().startswith("Retrying")]
    assert len(retried) == settings.AUTHLETE_MAX_RETRIES


def test_a_retry_after_within_the_deadline_is_waited_for(v3, sandbox):
    sandbox.fault("status503", path="/service/get", times=1, retryAfter=1)
    sandbox.clear_requests()
    started = time.monotonic()
    assert v3.service_get().name == demo.SERVICE_NAME
    assert time.monotonic() - started >= 1
    assert len(sandbox.requests()) == 2


def test_retry_after_longer_than_the_deadline_fails_at_once(v3, sandbox, settings):
    sandbox.fault("status503", path="/service/get", retryAfter=60)
    started = time.monotonic()
    with pytest.raises(authlete.AuthleteUnavailable):
        v3.service_get()
    assert time.monotonic() - started < settings.AUTHLETE_DEADLINE


def test_a_hanging_authlete_is_abandoned_within_the_deadline(v3, sandbox, settings):
    sandbox.fault("hang", path="/service/get")
    started = time.monotonic()
    with pytest.raises(authlete.AuthleteTimeout):
        v3.service_get()
    assert time.monotonic() - started <= settings.AUTHLETE_DEADLINE + 0.5
    sandbox.clear_faults()


def test_logs_carry_operation_and_status_but_never_credentials(settings, sandbox, caplog):
    settings.AUTHLETE_SERVICE_TOKEN = "super-secret-token-value"
    with (
        caplog.at_level(logging.INFO, logger="connected_apps.authlete"),
        pytest.raises(authlete.AuthleteCredentialsError),
    ):
        authlete.get_client().service_get()
    assert "op=service_get" in caplog.text and "status=401" in caplog.text
    assert "super-secret-token-value" not in caplog.text
    assert SERVICE_TOKEN not in caplog.text
