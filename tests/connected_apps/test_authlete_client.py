"""The Authlete client, run over HTTP against the sandbox, on both API versions."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest

from authlete_sandbox import API_KEY, API_SECRET, LIMITED_TOKEN, SERVICE_ID, SERVICE_TOKEN
from authlete_sandbox import seed as demo
from connected_apps import authlete
from tests.conftest import Sandbox

CAROL = demo.SUBJECT_CAROL


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


def _first_app(subject: str = "john") -> int:
    return demo.DEMO_GRANTS[subject][0]


# --- Reads ------------------------------------------------------------------------------------


def test_service_get_reads_the_service_name_and_scope_descriptions(client):
    service = client.service_get()
    assert service.name == demo.SERVICE_NAME
    assert not service.limited
    descriptions = {scope.name: scope.description for scope in service.scopes}
    assert descriptions["email"]
    assert any(scope.descriptions for scope in service.scopes)


def test_a_token_without_view_rights_gets_the_limited_service_view(settings, sandbox):
    settings.AUTHLETE_SERVICE_TOKEN = LIMITED_TOKEN
    service = authlete.get_client().service_get()
    assert service.limited
    assert service.scopes == ()
    assert service.name == demo.SERVICE_NAME


def test_authorization_list_pages_with_start_end_and_total_count(client):
    first = client.authorization_list(subject="john", start=0, end=5)
    second = client.authorization_list(subject="john", start=5, end=10)
    assert first.total_count == len(demo.DEMO_GRANTS["john"]) > 10
    assert len(first.clients) == 5 and len(second.clients) == 5
    assert not {c.client_id for c in first.clients} & {c.client_id for c in second.clients}
    assert all(c.name for c in first.clients)


def test_authorization_list_filters_by_developer(client):
    everything = client.authorization_list(subject="john", start=0, end=100)
    developer = client.client_get(everything.clients[0].client_id).developer
    filtered = client.authorization_list(subject="john", start=0, end=100, developer=developer)
    assert 0 < filtered.total_count < everything.total_count
    assert all(client.client_get(c.client_id).developer == developer for c in filtered.clients)


def test_a_subject_with_slash_and_at_sign_never_lands_in_a_url_path(client, sandbox):
    sandbox.clear_requests()
    page = client.authorization_list(subject=CAROL, start=0, end=10)
    client.granted_scopes_get(client_id=page.clients[0].client_id, subject=CAROL)
    assert page.total_count == len(demo.DEMO_GRANTS[CAROL])
    for request in sandbox.requests():
        assert "carol" not in request["path"] and "42" not in request["path"]


def test_client_get_returns_display_metadata_and_never_the_secret(client):
    details = client.client_get(_first_app())
    assert details.name and details.logo_uri.startswith("http")
    assert details.policy_uri.startswith("https://")
    assert "secret" not in repr(details).lower()


def test_an_unknown_client_is_not_found(client):
    with pytest.raises(authlete.AuthleteNotFound):
        client.client_get(999_999_999)


def test_granted_scopes_keep_none_empty_and_set_apart(client, sandbox):
    client_id = _first_app("alice")
    granted = client.granted_scopes_get(client_id=client_id, subject="alice")
    assert granted.has_record and granted.latest and granted.modified_at

    client.granted_scopes_delete(client_id=client_id, subject="alice")
    gone = client.granted_scopes_get(client_id=client_id, subject="alice")
    assert gone.latest is None and gone.merged is None and not gone.has_record

    sandbox.authorize(clientId=client_id, subject="alice", scopes=[])
    empty = client.granted_scopes_get(client_id=client_id, subject="alice")
    assert empty.latest == () and empty.has_record


def test_token_list_names_tokens_by_hash_only(client, sandbox):
    client_id = _first_app("alice")
    issued = sandbox.authorize(clientId=client_id, subject="alice", scopes=["email"], refresh=True)
    page = client.token_list(subject="alice", client_id=client_id, start=0, end=50)
    hashes = {token.access_token_hash for token in page.tokens}
    assert issued["accessTokenHash"] in hashes
    assert issued["accessToken"] not in repr(page)
    assert all(token.subject == "alice" and token.client_id == client_id for token in page.tokens)
    assert page.total_count == len(page.tokens)


# --- Writes -----------------------------------------------------------------------------------


def test_authorization_update_narrows_every_token_of_the_pair(client, sandbox):
    client_id = _first_app()
    before = sandbox.token_scopes("john", client_id)
    keep = [before[0][0]]
    outcome = client.authorization_update(client_id=client_id, subject="john", scopes=keep)
    assert outcome.result_code == "A138001"
    assert outcome.token_count == len(before)
    assert sandbox.token_scopes("john", client_id) == [keep] * len(before)


def test_authorization_delete_ends_every_token_and_the_app_leaves_the_list(client, sandbox):
    client_id = _first_app("alice")
    issued = sandbox.authorize(clientId=client_id, subject="alice", scopes=["email"], refresh=True)
    outcome = client.authorization_delete(client_id=client_id, subject="alice")
    assert outcome.result_code == "A137001" and outcome.token_count and outcome.token_count >= 1
    assert client_id not in sandbox.authorized_client_ids("alice")
    assert sandbox.introspect(issued["accessToken"])["existent"] is False


def test_updating_an_unknown_client_is_not_found(client):
    with pytest.raises(authlete.AuthleteNotFound):
        client.authorization_update(client_id=999_999_999, subject="john", scopes=["email"])


def test_token_update_changes_scopes_expiry_and_properties_of_one_token(client, sandbox):
    client_id = _first_app("alice")
    issued = sandbox.authorize(
        clientId=client_id, subject="alice", scopes=["email", "profile"], refresh=True
    )
    expires = authlete.datetime.fromtimestamp(int(time.time()) + 600, tz=authlete.UTC)
    result = client.token_update(
        access_token_hash=issued["accessTokenHash"],
        scopes=["email"],
        expires_at=expires,
        properties=[authlete.TokenProperty(key="device", value="laptop", hidden=False)],
    )
    assert result.action == "OK"
    assert result.scopes == ("email",)
    assert result.access_token_expires_at == expires
    introspection = sandbox.introspect(issued["accessToken"])
    assert introspection["scopes"] == ["email"]


def test_token_update_of_an_unknown_token_reports_not_found(client):
    result = client.token_update(access_token_hash="x" * 43, scopes=["email"])
    assert result.action == "NOT_FOUND"


def test_token_delete_removes_one_token_only(client, sandbox):
    client_id = _first_app("alice")
    first = sandbox.authorize(clientId=client_id, subject="alice", scopes=["email"])
    second = sandbox.authorize(clientId=client_id, subject="alice", scopes=["email"])
    client.token_delete(token_identifier=first["accessTokenHash"])
    assert sandbox.introspect(first["accessToken"])["existent"] is False
    assert sandbox.introspect(second["accessToken"])["existent"] is True


def test_dynamic_registration_create_get_update_delete(client):
    metadata = {"client_name": "Pocket Notes", "redirect_uris": ["https://notes.example/cb"]}
    created = client.registration_create(metadata_json=json.dumps(metadata))
    assert created.action == "CREATED"
    content = json.loads(created.response_content)
    client_id, token = str(content["client_id"]), content["registration_access_token"]

    fetched = client.registration_get(client_id=client_id, token=token)
    assert fetched.action == "OK"
    assert json.loads(fetched.response_content)["client_name"] == "Pocket Notes"

    metadata["client_name"] = "Pocket Notes 2"
    updated = client.registration_update(
        client_id=client_id, token=token, metadata_json=json.dumps(metadata)
    )
    assert updated.action == "UPDATED"
    assert json.loads(updated.response_content)["client_name"] == "Pocket Notes 2"

    assert client.registration_get(client_id=client_id, token="wrong").action == "UNAUTHORIZED"
    assert client.registration_delete(client_id=client_id, token=token).action == "DELETED"


# --- Credentials and configuration ------------------------------------------------------------


def test_a_wrong_token_is_a_credentials_error_that_never_repeats_the_token(settings, sandbox):
    settings.AUTHLETE_SERVICE_TOKEN = "wrong-token-value-123"
    with pytest.raises(authlete.AuthleteCredentialsError) as caught:
        authlete.get_client().service_get()
    assert caught.value.status == 401
    assert "wrong-token-value-123" not in str(caught.value)


def test_a_token_for_another_service_is_refused(settings, sandbox):
    settings.AUTHLETE_SERVICE_ID = "123456"
    with pytest.raises(authlete.AuthleteCredentialsError) as caught:
        authlete.get_client().service_get()
    assert caught.value.status == 403


def test_wrong_v2_secret_is_a_credentials_error(settings, sandbox):
    settings.AUTHLETE_API_VERSION = "v2"
    settings.AUTHLETE_API_KEY = API_KEY
    settings.AUTHLETE_API_SECRET = "not-the-secret"
    with pytest.raises(authlete.AuthleteCredentialsError):
        authlete.get_client().service_get()


def test_missing_settings_name_what_is_missing(settings):
    settings.AUTHLETE_SERVICE_TOKEN = ""
    with pytest.raises(authlete.ImproperlyConfigured, match="AUTHLETE_SERVICE_TOKEN"):
        authlete.get_client()


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
        v3.client_get(_first_app())
    assert len(sandbox.requests()) == 1 + settings.AUTHLETE_MAX_RETRIES


def test_a_plain_server_error_is_not_retried(v3, sandbox):
    sandbox.fault("status500", path="/client/get/")
    sandbox.clear_requests()
    with pytest.raises(authlete.AuthleteUnavailable):
        v3.client_get(_first_app())
    assert len(sandbox.requests()) == 1


def test_a_write_is_never_repeated_after_a_server_error(v3, sandbox):
    sandbox.fault("status503", path="/client/authorization/delete/", retryAfter=0)
    sandbox.clear_requests()
    with pytest.raises(authlete.AuthleteUnavailable):
        v3.authorization_delete(client_id=_first_app(), subject="john")
    assert len(sandbox.requests()) == 1


def test_a_write_is_repeated_after_429_because_authlete_did_not_process_it(v3, sandbox):
    client_id = _first_app()
    sandbox.fault("status429", path="/client/authorization/delete/", times=1, retryAfter=0)
    sandbox.clear_requests()
    outcome = v3.authorization_delete(client_id=client_id, subject="john")
    assert outcome.result_code == "A137001"
    assert len(sandbox.requests()) == 2
    assert client_id not in sandbox.authorized_client_ids("john")


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


def test_v3_calls_put_the_service_id_in_the_path(v3, sandbox):
    sandbox.clear_requests()
    v3.service_get()
    assert sandbox.requests()[0]["path"] == f"/api/{SERVICE_ID}/service/get"
