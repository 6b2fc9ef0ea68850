"""The service and its clients: service/get, client/get, /get/list, /create and /delete."""

from __future__ import annotations

from authlete_sandbox import SERVICE_ID
from authlete_sandbox import seed as demo
from tests.authlete_sandbox.conftest import JOHN, NOTES, UNKNOWN_CLIENT


def test_service_get_describes_scopes_in_three_languages(api):
    service = api.ok("GET", api.service_path())
    assert service["serviceName"] == demo.SERVICE_NAME
    assert service["apiKey"] == int(SERVICE_ID)
    # Off, as on a real service that has not turned it on (authlete-java-common Service.java).
    assert service["unauthorizedOnClientConfigSupported"] is False
    scopes = {scope["name"]: scope for scope in service["supportedScopes"]}
    assert len(scopes) >= 12
    assert scopes["email"]["description"] == "See your email address"
    assert {d["tag"] for d in scopes["calendar.write"]["descriptions"]} == {"ja", "fr"}
    assert service["createdAt"] > 10**12 and service["modifiedAt"] >= service["createdAt"]


def test_client_get_returns_the_full_client_by_id_or_alias(api):
    client = api.ok("GET", f"/client/get/{NOTES}")
    assert client["clientName"] == "Inkwell Notes"
    assert {n["tag"] for n in client["clientNames"]} == {"ja", "fr"}
    assert client["logoUri"] == f"{api.url}/_sandbox/logos/notebook.svg"
    for field in ("clientUri", "policyUri", "tosUri"):
        assert client[field].startswith("https://inkwell.example/")
    assert client["developer"] == "dev-northwind" and client["clientSecret"]
    assert client["dynamicallyRegistered"] is False and client["number"] == 1001
    assert api.ok("GET", "/client/get/inkwell-notes")["clientId"] == NOTES


def test_an_unknown_client_is_404(api):
    response = api.call("GET", f"/client/get/{UNKNOWN_CLIENT}")
    assert response.status_code == 404
    assert "was not found" in response.json()["resultMessage"]


def test_client_create_assigns_id_secret_number_and_times(api):
    response = api.call(
        "POST", "/client/create", json={"clientName": "Kite", "developer": "dev-kite"}
    )
    # v3 answers 201; its "legacy compatibility" 200 is what v2 answers.
    assert response.status_code == (201 if api.version == "v3" else 200)
    created = response.json()
    assert len(str(created["clientId"])) == 14 and created["clientSecret"]
    assert created["number"] == 1001 + len(demo.CLIENT_NAMES)
    assert created["clientIdAlias"] == str(created["clientId"])
    assert created["createdAt"] == created["modifiedAt"] > 0
    assert api.ok("GET", f"/client/get/{created['clientId']}")["clientName"] == "Kite"


def test_the_client_list_pages_and_filters_by_developer(api):
    for n in range(3):
        api.call("POST", "/client/create", json={"clientName": f"Dev {n}", "developer": "dev-list"})
    body = api.ok("GET", "/client/get/list", params={"developer": "dev-list", "start": 1, "end": 2})
    assert (body["start"], body["end"], body["totalCount"]) == (1, 2, 3)
    assert [c["clientName"] for c in body["clients"]] == ["Dev 1"]
    everyone = api.ok("GET", "/client/get/list", params={"end": 1000})
    assert everyone["totalCount"] > 3
    assert api.status("GET", "/client/get/list", params={"start": -1}) == 400


def test_client_create_refuses_a_taken_alias(api):
    response = api.call("POST", "/client/create", json={"clientIdAlias": "inkwell-notes"})
    assert response.status_code == 400


def test_client_delete_removes_the_client_and_its_tokens_and_is_404_after(api):
    created = api.call("POST", "/client/create", json={"clientName": "Brief"}).json()
    client_id = created["clientId"]
    api.authorize(clientId=client_id, subject=JOHN, scopes=["email"])
    deleted = api.call("DELETE", f"/client/delete/{client_id}")
    # SPEC client_delete_api: 204 with no body; an unknown client is its documented 404.
    assert deleted.status_code == 204 and not deleted.content
    assert api.status("GET", f"/client/get/{client_id}") == 404
    assert api.tokens(JOHN, client_id) == []
    assert api.status("DELETE", f"/client/delete/{client_id}") == 404
