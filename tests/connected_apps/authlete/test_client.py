"""The Authlete client's operations, run over HTTP against the sandbox, on both API versions."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ImproperlyConfigured

from authlete_sandbox import API_KEY, LIMITED_TOKEN, SERVICE_ID
from authlete_sandbox import seed as demo
from connected_apps import authlete
from tests.connected_apps.authlete.conftest import first_app

CAROL = demo.SUBJECT_CAROL


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
    details = client.client_get(first_app())
    assert details.name and details.logo_uri.startswith("http")
    assert details.policy_uri.startswith("https://")
    assert "secret" not in repr(details).lower()


def test_an_unknown_client_is_not_found(client):
    with pytest.raises(authlete.AuthleteNotFound):
        client.client_get(999_999_999)


def test_granted_scopes_keep_none_empty_and_set_apart(client, sandbox):
    client_id = first_app("alice")
    granted = client.granted_scopes_get(client_id=client_id, subject="alice")
    assert granted.has_record and granted.latest and granted.modified_at

    client.granted_scopes_delete(client_id=client_id, subject="alice")
    gone = client.granted_scopes_get(client_id=client_id, subject="alice")
    assert gone.latest is None and gone.merged is None and not gone.has_record

    sandbox.authorize(clientId=client_id, subject="alice", scopes=[])
    empty = client.granted_scopes_get(client_id=client_id, subject="alice")
    assert empty.latest == () and empty.has_record


def test_token_list_names_tokens_by_hash_only(client, sandbox):
    client_id = first_app("alice")
    issued = sandbox.authorize(clientId=client_id, subject="alice", scopes=["email"], refresh=True)
    page = client.token_list(subject="alice", client_id=client_id, start=0, end=50)
    hashes = {token.access_token_hash for token in page.tokens}
    assert issued["accessTokenHash"] in hashes
    assert issued["accessToken"] not in repr(page)
    assert all(token.subject == "alice" and token.client_id == client_id for token in page.tokens)
    assert page.total_count == len(page.tokens)


# --- Writes -----------------------------------------------------------------------------------


def test_authorization_update_narrows_every_token_of_the_pair(client, sandbox):
    client_id = first_app()
    before = sandbox.token_scopes("john", client_id)
    keep = [before[0][0]]
    outcome = client.authorization_update(client_id=client_id, subject="john", scopes=keep)
    assert outcome.result_code == "A138001"
    assert outcome.token_count == len(before)
    assert sandbox.token_scopes("john", client_id) == [keep] * len(before)


def test_authorization_delete_ends_every_token_and_the_app_leaves_the_list(client, sandbox):
    client_id = first_app("alice")
    issued = sandbox.authorize(clientId=client_id, subject="alice", scopes=["email"], refresh=True)
    outcome = client.authorization_delete(client_id=client_id, subject="alice")
    assert outcome.result_code == "A137001" and outcome.token_count and outcome.token_count >= 1
    assert client_id not in sandbox.authorized_client_ids("alice")
    assert sandbox.introspect(issued["accessToken"])["existent"] is False


def test_updating_an_unknown_client_is_not_found(client):
    with pytest.raises(authlete.AuthleteNotFound):
        client.authorization_update(client_id=999_999_999, subject="john", scopes=["email"])


def test_token_update_changes_scopes_expiry_and_properties_of_one_token(client, sandbox):
    client_id = first_app("alice")
    issued = sandbox.authorize(
        clientId=client_id, subject="alice", scopes=["email", "profile"], refresh=True
    )
    expires = datetime.fromtimestamp(int(time.time()) + 600, tz=UTC)
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
    client_id = first_app("alice")
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


# --- Credentials, configuration and paths ----------------------------------------------------


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
    with pytest.raises(ImproperlyConfigured, match="AUTHLETE_SERVICE_TOKEN"):
        authlete.get_client()


def test_v3_calls_put_the_service_id_in_the_path(v3, sandbox):
    sandbox.clear_requests()
    v3.service_get()
    assert sandbox.requests()[0]["path"] == f"/api/{SERVICE_ID}/service/get"
