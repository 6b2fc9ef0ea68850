"""Every v3 Authlete operation the sandbox serves, checked against Authlete's OpenAPI spec.

Each check runs twice: in Authlete's documented modes and in the permissive ones the session's
sandbox starts in (tests/conftest.py), since the portal's tests rely on both holding the spec.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import yaml
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from openapi_core.exceptions import OpenAPIError
from openapi_schema_validator import OAS30Validator

from authlete_sandbox import LIMITED_TOKEN, SERVICE_ID, SERVICE_TOKEN
from authlete_sandbox import seed as demo
from authlete_sandbox.modes import Modes
from authlete_sandbox.server import SandboxServer
from tests.authlete_sandbox.spec_defects import SPEC_DEFECTS

SPEC_DIR = Path(__file__).resolve().parents[1] / "contracts" / "authlete"
SPEC_SERVER = "https://us.authlete.com"
JOHN = demo.SUBJECT_JOHN
NOTES = demo.INKWELL_NOTES
UNKNOWN_CLIENT = 99_999_999_999_999


def _load(name: str) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load((SPEC_DIR / name).read_text(), Loader=loader)  # noqa: S506 - a safe loader


@pytest.fixture(scope="module")
def spec_dict() -> dict[str, Any]:
    return _load("openapi.yaml")


@pytest.fixture(scope="module")
def spec(spec_dict: dict[str, Any]) -> OpenAPI:
    return OpenAPI.from_dict(spec_dict)


class Api:
    """Calls the sandbox's v3 API and checks each exchange against the spec."""

    def __init__(self, server: SandboxServer, spec: OpenAPI) -> None:
        self.url = server.url
        self.spec = spec
        self.http = requests.Session()

    def call(self, method: str, path: str, *, token: str | None = SERVICE_TOKEN, **kwargs: Any):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.http.request(
            method, f"{self.url}/api/{SERVICE_ID}{path}", headers=headers, timeout=5, **kwargs
        )

    def check(self, response: requests.Response, *, request_valid: bool = True) -> dict[str, Any]:
        """Validate the response, and the request unless it is wrong on purpose, with the spec."""
        request = _rebased(response.request)
        if request_valid:
            self.spec.validate_request(request)
        self.spec.validate_response(request, RequestsOpenAPIResponse(response))
        return response.json() if response.content else {}

    def rejects(
        self, response: requests.Response, defect: str, *, request_valid: bool = True
    ) -> None:
        """The spec rejects this exchange: proof that the SPEC_DEFECTS entry is still needed."""
        assert defect in SPEC_DEFECTS
        with pytest.raises(OpenAPIError):
            self.check(response, request_valid=request_valid)


def _rebased(
    prepared: requests.PreparedRequest, method: str | None = None
) -> RequestsOpenAPIRequest:
    """The request as if sent to Authlete's own server, which is the one the spec names."""
    copy = prepared.copy()
    url = urlsplit(copy.url)
    copy.url = SPEC_SERVER + url.path + (f"?{url.query}" if url.query else "")
    if method:
        copy.method = method
    return RequestsOpenAPIRequest(copy)


def _schema_check(spec_dict: dict[str, Any], name: str, value: Any) -> None:
    OAS30Validator(spec_dict["components"]["schemas"][name]).validate(value)


def _is_result(spec_dict: dict[str, Any], body: dict[str, Any]) -> None:
    _schema_check(spec_dict, "result", body)
    assert body["resultCode"].startswith("A") and body["resultMessage"].startswith("[A")


@pytest.fixture(autouse=True, params=["documented", "session"])
def modes(request: pytest.FixtureRequest, server: SandboxServer, _portal_settings: None) -> str:
    """The modes a check runs in; after the world's reset, which brings back the session's."""
    if request.param == "documented":
        put_modes(server, **Modes().as_json())
    return request.param


def put_modes(server: SandboxServer, /, **changes: Any) -> None:
    requests.put(f"{server.url}/_sandbox/modes", json=changes, timeout=5).raise_for_status()


@pytest.fixture
def dedicated(server: SandboxServer) -> None:
    """A dedicated Authlete server, the only kind that serves the granted-scopes APIs."""
    put_modes(server, server="dedicated")


@pytest.fixture
def api(server: SandboxServer, spec: OpenAPI) -> Api:
    return Api(server, spec)


@pytest.fixture
def issued(server: SandboxServer) -> dict[str, Any]:
    response = requests.post(
        f"{server.url}/_sandbox/authorize",
        json={"clientId": NOTES, "subject": JOHN, "scopes": ["profile", "email"]},
        timeout=5,
    )
    response.raise_for_status()
    return response.json()


# --- Credentials and errors every operation shares ----------------------------------------------


def test_service_get_full_and_limited_views(api):
    full = api.check(api.call("GET", "/service/get"))
    assert full["supportedScopes"] and full["unauthorizedOnClientConfigSupported"] is False
    limited = api.check(api.call("GET", "/service/get", token=LIMITED_TOKEN))
    assert set(limited) == {"apiKey", "description", "number", "serviceName"}


def test_missing_and_wrong_credentials_are_401_results(api, spec_dict):
    missing = api.call("GET", "/service/get", token=None)
    wrong = api.call("GET", "/service/get", token="not-a-token")
    assert (missing.status_code, wrong.status_code) == (401, 401)
    # A request without the bearer token breaks the spec's security requirement on purpose.
    api.check(missing, request_valid=False)
    assert api.check(wrong)["resultCode"] == "A001203"
    _is_result(spec_dict, missing.json())


def test_a_token_for_another_service_is_a_403_result(api):
    response = api.http.get(
        f"{api.url}/api/123456/service/get",
        headers={"Authorization": f"Bearer {SERVICE_TOKEN}"},
        timeout=5,
    )
    assert response.status_code == 403
    api.check(response)


def test_a_server_error_is_a_500_result(api, server):
    requests.post(
        f"{server.url}/_sandbox/faults",
        json={"kind": "status500", "path": "/service/get"},
        timeout=5,
    )
    response = api.call("GET", "/service/get")
    assert response.status_code == 500
    api.check(response)


# --- Clients ------------------------------------------------------------------------------------


def test_client_get(api):
    client = api.check(api.call("GET", f"/client/get/{NOTES}"))
    assert client["clientId"] == NOTES and client["logoUri"]
    by_alias = api.check(api.call("GET", "/client/get/inkwell-notes"))
    assert by_alias["clientId"] == NOTES


def test_client_get_with_a_limited_token_is_a_403_result(api):
    response = api.call("GET", f"/client/get/{NOTES}", token=LIMITED_TOKEN)
    assert response.status_code == 403
    api.check(response)


def test_client_get_of_an_unknown_client_is_an_undocumented_404(api, spec_dict):
    response = api.call("GET", f"/client/get/{UNKNOWN_CLIENT}")
    assert response.status_code == 404
    api.rejects(response, "undocumented-404")
    _is_result(spec_dict, response.json())


def test_client_list_by_developer_full_and_limited(api):
    body = api.check(
        api.call("GET", "/client/get/list", params={"developer": "dev-contract", "end": 10})
    )
    assert body["totalCount"] == 0
    api.call("POST", "/client/create", json={"clientName": "Listed", "developer": "dev-contract"})
    full = api.check(api.call("GET", "/client/get/list", params={"developer": "dev-contract"}))
    assert [c["clientName"] for c in full["clients"]] == ["Listed"]
    limited = api.check(
        api.call(
            "GET", "/client/get/list", params={"developer": "dev-contract"}, token=LIMITED_TOKEN
        )
    )
    assert "clientSecret" not in limited["clients"][0]


def test_client_create(api):
    body = {
        "clientName": "Contract Client",
        "clientType": "CONFIDENTIAL",
        "applicationType": "WEB",
        "developer": "dev-contract",
        "redirectUris": ["https://contract.example/cb"],
        "grantTypes": ["AUTHORIZATION_CODE", "REFRESH_TOKEN"],
        "responseTypes": ["CODE"],
    }
    response = api.call("POST", "/client/create", json=body)
    assert response.status_code == 201
    created = api.check(response)
    assert created["clientId"] and created["clientSecret"] and created["number"]


def test_client_create_with_a_bad_client_type_is_a_400_result(api):
    response = api.call("POST", "/client/create", json={"clientName": "X", "clientType": "SECRET"})
    assert response.status_code == 400
    api.check(response, request_valid=False)


# --- Authorizations -----------------------------------------------------------------------------


def test_authorization_list_by_get_and_post(api):
    by_get = api.check(
        api.call("GET", "/client/authorization/get/list", params={"subject": JOHN, "end": 20})
    )
    by_post = api.check(
        api.call(
            "POST",
            "/client/authorization/get/list",
            json={"subject": JOHN, "developer": "dev-acme"},
        )
    )
    assert by_get["totalCount"] == len(demo.DEMO_GRANTS[JOHN])
    assert by_post["developer"] == "dev-acme" and by_post["end"] == 5


def test_authorization_list_without_subject_is_a_400_result(api):
    response = api.call("POST", "/client/authorization/get/list", json={"start": 0})
    assert response.status_code == 400
    api.check(response, request_valid=False)


def test_authorization_update(api, spec_dict):
    body = api.check(
        api.call(
            "POST",
            f"/client/authorization/update/{NOTES}",
            json={"subject": JOHN, "scopes": ["email"]},
        )
    )
    assert body["resultCode"] == "A138001"
    missing = api.call("POST", f"/client/authorization/update/{NOTES}", json={"scopes": ["email"]})
    assert missing.status_code == 400
    api.check(missing, request_valid=False)
    unknown = api.call(
        "POST", f"/client/authorization/update/{UNKNOWN_CLIENT}", json={"subject": JOHN}
    )
    assert unknown.status_code == 404
    api.check(unknown)  # documented as "The client was not found.", without a schema
    _is_result(spec_dict, unknown.json())


def test_authorization_delete_by_post_and_delete(api, spec_dict):
    by_post = api.check(
        api.call("POST", f"/client/authorization/delete/{NOTES}", json={"subject": JOHN})
    )
    assert by_post["resultCode"] == "A137001"
    by_delete = api.check(
        api.call(
            "DELETE", f"/client/authorization/delete/{demo.TEMPO_PLANNER}", params={"subject": JOHN}
        )
    )
    assert by_delete["resultCode"] == "A137001"
    missing = api.call("DELETE", f"/client/authorization/delete/{NOTES}")
    assert missing.status_code == 400
    api.check(missing, request_valid=False)
    unknown = api.call(
        "DELETE", f"/client/authorization/delete/{UNKNOWN_CLIENT}", params={"subject": JOHN}
    )
    assert unknown.status_code == 404
    api.rejects(unknown, "undocumented-404")
    _is_result(spec_dict, unknown.json())


def test_granted_scopes_get_by_get_and_post(api, dedicated):
    by_get = api.check(
        api.call("GET", f"/client/granted_scopes/get/{NOTES}", params={"subject": JOHN})
    )
    by_post = api.check(
        api.call("POST", f"/client/granted_scopes/get/{NOTES}", json={"subject": JOHN})
    )
    assert by_get == by_post
    assert by_get["latestGrantedScopes"] != by_get["mergedGrantedScopes"]


def test_granted_scopes_get_without_a_record_answers_null(api, dedicated, spec_dict):
    response = api.call("POST", f"/client/granted_scopes/get/{NOTES}", json={"subject": "nobody"})
    body = response.json()
    assert body["latestGrantedScopes"] is None and body["mergedGrantedScopes"] is None
    api.rejects(response, "granted-scopes-null")
    # Apart from the nulls the answer is what the spec says.
    _schema_check(
        spec_dict,
        "client_authorization_delete_response",
        {key: value for key, value in body.items() if value is not None},
    )


def test_granted_scopes_of_an_unknown_client_is_an_undocumented_404(api, dedicated, spec_dict):
    response = api.call(
        "GET", f"/client/granted_scopes/get/{UNKNOWN_CLIENT}", params={"subject": JOHN}
    )
    assert response.status_code == 404
    api.rejects(response, "undocumented-404")
    _is_result(spec_dict, response.json())


def test_granted_scopes_delete(api, dedicated):
    body = api.check(
        api.call("DELETE", f"/client/granted_scopes/delete/{NOTES}", params={"subject": JOHN})
    )
    assert set(body) == {"resultCode", "resultMessage"}


def test_granted_scopes_delete_by_post_answers_as_delete(api, dedicated):
    response = api.call("POST", f"/client/granted_scopes/delete/{NOTES}", json={"subject": JOHN})
    api.rejects(response, "granted-scopes-delete-post")
    as_delete = _rebased(response.request, method="DELETE")
    api.spec.validate_response(as_delete, RequestsOpenAPIResponse(response))


def test_granted_scopes_on_the_shared_server_are_403_results(api, server, spec_dict):
    put_modes(server, server="shared")
    got = api.call("GET", f"/client/granted_scopes/get/{NOTES}", params={"subject": JOHN})
    deleted = api.call("DELETE", f"/client/granted_scopes/delete/{NOTES}", params={"subject": JOHN})
    assert (got.status_code, deleted.status_code) == (403, 403)
    for response in (got, deleted):
        api.check(response)
        _is_result(spec_dict, response.json())


@pytest.mark.parametrize(
    ("method", "path", "params"),
    [
        ("GET", f"/client/get/{UNKNOWN_CLIENT}", {}),
        ("DELETE", f"/client/authorization/delete/{UNKNOWN_CLIENT}", {"subject": JOHN}),
        ("GET", f"/client/granted_scopes/get/{UNKNOWN_CLIENT}", {"subject": JOHN}),
        ("DELETE", f"/client/granted_scopes/delete/{UNKNOWN_CLIENT}", {"subject": JOHN}),
        ("GET", "/auth/token/get/list", {"clientIdentifier": UNKNOWN_CLIENT}),
        ("DELETE", "/auth/token/delete/no-such-token", {}),
    ],
)
def test_unknown_ids_in_the_400_mode_are_results_the_spec_lists(
    api, server, spec_dict, dedicated, method, path, params
):
    put_modes(server, unknown_id=400)
    response = api.call(method, path, params=params)
    assert response.status_code == 400
    api.check(response)  # no SPEC_DEFECTS entry needed
    _is_result(spec_dict, response.json())


# --- Tokens -------------------------------------------------------------------------------------


def test_token_list(api, issued, spec_dict):
    body = api.check(
        api.call(
            "GET",
            "/auth/token/get/list",
            params={"subject": JOHN, "clientIdentifier": NOTES, "end": 20},
        )
    )
    assert issued["accessTokenHash"] in {token["accessTokenHash"] for token in body["accessTokens"]}
    limited_fields = spec_dict["components"]["schemas"]["client_limited"]["properties"]
    assert set(body["client"]) <= set(limited_fields)


def test_token_list_over_the_cap_and_refused_are_results_the_spec_lists(api, server, spec_dict):
    put_modes(server, token_list_cap=20)
    over = api.call("GET", "/auth/token/get/list", params={"subject": JOHN, "end": 21})
    put_modes(server, token_list="refused")
    refused = api.call("GET", "/auth/token/get/list", params={"subject": JOHN})
    assert (over.status_code, refused.status_code) == (400, 403)
    for response in (over, refused):
        api.check(response)
        _is_result(spec_dict, response.json())


def test_token_list_of_an_unknown_client_is_an_undocumented_404(api, spec_dict):
    response = api.call("GET", "/auth/token/get/list", params={"clientIdentifier": UNKNOWN_CLIENT})
    assert response.status_code == 404
    api.rejects(response, "undocumented-404")
    _is_result(spec_dict, response.json())


def test_token_create(api):
    created = api.check(
        api.call(
            "POST",
            "/auth/token/create",
            json={
                "grantType": "AUTHORIZATION_CODE",
                "clientId": NOTES,
                "subject": JOHN,
                "scopes": ["email"],
            },
        )
    )
    assert created["action"] == "OK" and created["refreshToken"]
    refused = api.check(
        api.call(
            "POST",
            "/auth/token/create",
            json={
                "grantType": "AUTHORIZATION_CODE",
                "clientId": NOTES,
                "subject": JOHN,
                "scopes": ["nope"],
            },
        )
    )
    assert refused["action"] == "BAD_REQUEST"


def test_token_update(api, issued):
    updated = api.check(
        api.call(
            "POST",
            "/auth/token/update",
            json={"accessToken": issued["accessToken"], "scopes": ["email"]},
        )
    )
    assert updated["action"] == "OK" and updated["scopes"] == ["email"]
    missing = api.check(
        api.call("POST", "/auth/token/update", json={"accessToken": "no-such-token"})
    )
    assert missing["action"] == "NOT_FOUND"


def test_token_update_by_hash(api, issued):
    response = api.call(
        "POST",
        "/auth/token/update",
        json={"accessTokenHash": issued["accessTokenHash"], "scopes": ["email"]},
    )
    api.rejects(response, "token-update-by-hash")
    newer = OpenAPI.from_dict(_load("openapi.speakeasy-ruby-sdk.yaml"))
    request = _rebased(response.request)
    newer.validate_request(request)
    newer.validate_response(request, RequestsOpenAPIResponse(response))
    api.check(response, request_valid=False)
    assert response.json()["action"] == "OK"


def test_token_delete(api, issued, spec_dict):
    response = api.call("DELETE", f"/auth/token/delete/{issued['accessTokenHash']}")
    assert response.status_code == 204 and not response.content
    api.check(response)
    again = api.call("DELETE", f"/auth/token/delete/{issued['accessTokenHash']}")
    assert again.status_code == 404
    api.rejects(again, "undocumented-404")
    _is_result(spec_dict, again.json())


def test_token_revoke(api, issued):
    by_token = api.check(
        api.call(
            "POST", "/auth/token/revoke", json={"accessTokenIdentifier": issued["accessToken"]}
        )
    )
    assert by_token["count"] == 1
    by_pair = api.check(
        api.call(
            "POST", "/auth/token/revoke", json={"clientIdentifier": str(NOTES), "subject": JOHN}
        )
    )
    assert by_pair["count"] == 2
    unknown = api.call("POST", "/auth/token/revoke", json={"accessTokenIdentifier": "gone"})
    assert unknown.status_code == 404
    api.check(unknown)
    nothing = api.call("POST", "/auth/token/revoke", json={})
    assert nothing.status_code == 400
    api.check(nothing)


def test_introspection_actions(api, issued):
    ok = api.check(api.call("POST", "/auth/introspection", json={"token": issued["accessToken"]}))
    forbidden = api.check(
        api.call(
            "POST",
            "/auth/introspection",
            json={"token": issued["accessToken"], "scopes": ["files.write"]},
        )
    )
    unknown = api.check(api.call("POST", "/auth/introspection", json={"token": "no-such-token"}))
    bad = api.check(api.call("POST", "/auth/introspection", json={}), request_valid=False)
    assert [ok["action"], forbidden["action"], unknown["action"], bad["action"]] == [
        "OK",
        "FORBIDDEN",
        "UNAUTHORIZED",
        "BAD_REQUEST",
    ]


# --- Dynamic client registration ----------------------------------------------------------------


def test_client_registration_lifecycle(api, server):
    requests.post(
        f"{server.url}/_sandbox/service",
        json={"unauthorizedOnClientConfigSupported": True},
        timeout=5,
    ).raise_for_status()
    metadata = {"client_name": "Contract DCR", "redirect_uris": ["https://dcr.example/cb"]}
    created = api.check(
        api.call("POST", "/client/registration", json={"json": json.dumps(metadata)})
    )
    assert created["action"] == "CREATED"
    content = json.loads(created["responseContent"])
    ids = {"clientId": content["client_id"], "token": content["registration_access_token"]}

    assert api.check(api.call("POST", "/client/registration/get", json=ids))["action"] == "OK"
    metadata["client_name"] = "Contract DCR 2"
    updated = api.check(
        api.call("POST", "/client/registration/update", json={**ids, "json": json.dumps(metadata)})
    )
    assert updated["action"] == "UPDATED"
    wrong = api.check(api.call("POST", "/client/registration/get", json={**ids, "token": "wrong"}))
    assert wrong["action"] == "UNAUTHORIZED"
    deleted = api.check(api.call("POST", "/client/registration/delete", json=ids))
    assert deleted["action"] == "DELETED"


def test_client_registration_with_bad_metadata(api):
    body = api.check(api.call("POST", "/client/registration", json={"json": "{not json"}))
    assert body["action"] == "BAD_REQUEST"
    assert json.loads(body["responseContent"])["error"] == "invalid_client_metadata"
