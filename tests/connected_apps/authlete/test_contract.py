"""Every request the Authlete client sends is one Authlete's OpenAPI spec documents."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest

from authlete_sandbox import API_KEY, API_SECRET
from authlete_sandbox import seed as demo
from connected_apps import authlete
from tests.conftest import Sandbox

SPEC_DIR = Path(__file__).resolve().parents[2] / "contracts" / "authlete"
SPEC_SERVER = "https://us.authlete.com"
# The v3 spec still requires accessToken in token/update; Authlete's newer spec (the Ruby SDK's
# copy) and its Java client also accept accessTokenHash, which is how tokens are listed to us.
NEWER_SPEC_FOR = {"/auth/token/update"}


def _load(name: str) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load((SPEC_DIR / name).read_text(), Loader=loader)  # noqa: S506 - a safe loader


@pytest.fixture(scope="module")
def specs() -> dict[str, OpenAPI]:
    return {
        "v3": OpenAPI.from_dict(_load("openapi.yaml")),
        "newer": OpenAPI.from_dict(_load("openapi.speakeasy-ruby-sdk.yaml")),
    }


def _exercise_every_operation(client: authlete.AuthleteClient, sandbox: Sandbox) -> set[str]:
    """Call each public operation once, as the portal does; return the names called."""
    subject, client_id = "alice", demo.DEMO_GRANTS["alice"][0]
    issued = sandbox.authorize(clientId=client_id, subject=subject, scopes=["email", "profile"])
    client.service_get()
    client.client_get(client_id)
    client.client_list(developer="dev-acme", start=0, end=5)
    client.authorization_list(subject=subject, start=0, end=5, developer="dev-acme")
    client.granted_scopes_get(client_id=client_id, subject=subject)
    client.token_list(subject=subject, client_id=client_id, start=0, end=5)
    client.token_update(access_token_hash=issued["accessTokenHash"], scopes=["email"])
    client.token_delete(token_identifier=issued["accessTokenHash"])
    client.authorization_update(client_id=client_id, subject=subject, scopes=["profile"])
    client.granted_scopes_delete(client_id=client_id, subject=subject)
    client.authorization_delete(client_id=client_id, subject=subject)
    # Incident response: every subject's tokens of one client, and the client's lock.
    client.token_list(subject=None, client_id=client_id, start=0, end=5)
    client.client_list(start=0, end=5)
    client.client_lock_update(client_id=client_id, locked=True)
    client.client_lock_update(client_id=client_id, locked=False)
    created = client.registration_create(
        metadata_json=json.dumps(
            {"client_name": "Contract", "redirect_uris": ["https://c.example/cb"]}
        )
    )
    content = json.loads(created.response_content)
    registered, token = str(content["client_id"]), content["registration_access_token"]
    client.registration_get(client_id=registered, token=token)
    client.registration_update(
        client_id=registered,
        token=token,
        metadata_json=json.dumps(
            {"client_name": "Contract 2", "redirect_uris": ["https://c.example/cb"]}
        ),
    )
    client.registration_delete(client_id=registered, token=token)
    return {
        name
        for name in dir(authlete.AuthleteClient)
        if not name.startswith("_") and callable(getattr(authlete.AuthleteClient, name))
    } - {"close"}


def test_every_client_operation_is_exercised_here(sandbox):
    called = _exercise_every_operation(authlete.get_client(), sandbox)
    source = Path(__file__).read_text()
    missing = [name for name in called if f"client.{name}(" not in source]
    assert not missing, f"add these operations to the contract test: {missing}"


def test_every_v3_request_matches_the_spec_method_path_and_parameters(specs, sandbox):
    sandbox.clear_requests()
    _exercise_every_operation(authlete.get_client(), sandbox)
    seen = sandbox.requests()
    assert len(seen) >= 14
    for entry in seen:
        operation_path = re.sub(r"^/api/\d+", "", entry["path"])
        spec = specs["newer" if operation_path in NEWER_SPEC_FOR else "v3"]
        body = entry["body"]
        prepared = requests.Request(
            entry["method"],
            SPEC_SERVER + entry["path"],
            params=entry["query"],
            json=body if body not in (None, "") else None,
            headers={"Authorization": "Bearer token"},
        ).prepare()
        spec.validate_request(RequestsOpenAPIRequest(prepared))


def test_v2_requests_use_paths_the_v2_spec_documents(settings, sandbox):
    settings.AUTHLETE_API_VERSION = "v2"
    settings.AUTHLETE_API_KEY = API_KEY
    settings.AUTHLETE_API_SECRET = API_SECRET
    v2_paths = _load("openapi-v2.yaml")["paths"]
    templates = [
        (re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"), path) for path in v2_paths
    ]
    sandbox.clear_requests()
    _exercise_every_operation(authlete.get_client(), sandbox)
    for entry in sandbox.requests():
        matches = [path for pattern, path in templates if pattern.match(entry["path"])]
        assert matches, f"{entry['method']} {entry['path']} is not in the v2 spec"
