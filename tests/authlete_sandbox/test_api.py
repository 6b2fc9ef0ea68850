"""Authlete's API in the sandbox: credentials, result codes, paths, methods and bodies."""

from __future__ import annotations

import requests

from authlete_sandbox import API_KEY, API_SECRET, LIMITED_TOKEN, SERVICE_ID, SERVICE_TOKEN
from authlete_sandbox import seed as demo
from tests.authlete_sandbox.conftest import JOHN, NOTES

# --- Credentials --------------------------------------------------------------------------------


def test_a_missing_authorization_header_is_401_a001202(api):
    response = api.call("GET", api.service_path(), token=None)
    assert response.status_code == 401
    body = response.json()
    assert body["resultCode"] == "A001202"
    assert body["resultMessage"].startswith("[A001202] /api/")
    assert body["resultMessage"].endswith("Authorization header is missing.")


def test_a_wrong_bearer_token_is_401_a001203(v3):
    response = v3.call("GET", "/service/get", token="wrong-token")
    assert response.status_code == 401
    assert response.json()["resultCode"] == "A001203"
    assert "wrong-token" not in response.text


def test_a_wrong_v2_secret_is_401_a001203(server):
    response = requests.get(
        f"{server.url}/api/service/get/{API_KEY}", auth=(API_KEY, "not-the-secret"), timeout=5
    )
    assert response.status_code == 401
    assert response.json()["resultCode"] == "A001203"


def test_v3_refuses_a_key_and_secret(server):
    response = requests.get(
        f"{server.url}/api/{SERVICE_ID}/service/get", auth=(API_KEY, API_SECRET), timeout=5
    )
    assert response.status_code == 401


def test_a_token_used_for_another_service_is_403(v3):
    response = v3.http.get(
        f"{v3.url}/api/123456/service/get",
        headers={"Authorization": f"Bearer {SERVICE_TOKEN}"},
        timeout=5,
    )
    assert response.status_code == 403
    body = response.json()
    assert body["resultCode"].startswith("A001") and "not for the service" in body["resultMessage"]


def test_v2_service_get_names_the_service_in_the_path(server):
    response = requests.get(
        f"{server.url}/api/service/get/123", auth=(API_KEY, API_SECRET), timeout=5
    )
    assert response.status_code == 403


def test_the_limited_token_sees_the_limited_service_and_no_client(v3):
    service = v3.ok("GET", "/service/get", token=LIMITED_TOKEN)
    assert service == {
        "apiKey": int(SERVICE_ID),
        "description": service["description"],
        "number": demo.SERVICE_NUMBER,
        "serviceName": demo.SERVICE_NAME,
    }
    refused = v3.call("GET", f"/client/get/{NOTES}", token=LIMITED_TOKEN)
    assert refused.status_code == 403
    assert set(refused.json()) == {"resultCode", "resultMessage"}
    # It may still use the service.
    assert v3.ok(
        "POST", "/client/authorization/get/list", token=LIMITED_TOKEN, json={"subject": JOHN}
    )


# --- Transport ----------------------------------------------------------------------------------


def test_an_unknown_path_is_404_and_a_wrong_method_405(api):
    assert api.call("GET", "/client/nothing/here").status_code == 404
    wrong = api.call("DELETE", "/auth/token/update")
    assert wrong.status_code == 405
    assert wrong.headers["Allow"] == "POST"


def test_bad_json_is_400_with_the_operations_result_code(api):
    response = api.call(
        "POST",
        f"/client/authorization/update/{NOTES}",
        data="{not json",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["resultCode"] == "A138201"


def test_form_bodies_take_space_separated_scopes(api):
    body = api.ok(
        "POST",
        f"/client/authorization/update/{NOTES}",
        data={"subject": JOHN, "scopes": "email profile"},
    )
    assert body["resultCode"] == "A138001"
    assert {tuple(t["scopes"]) for t in api.tokens(JOHN, NOTES)} == {("email", "profile")}


def test_paths_outside_the_api_are_404(server):
    assert requests.get(f"{server.url}/nothing", timeout=5).status_code == 404
    assert requests.get(f"{server.url}/_sandbox/nothing", timeout=5).status_code == 404
