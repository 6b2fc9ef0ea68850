"""The sandbox's modes, each both ways over HTTP, and how they are set: flags, server, control."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

from authlete_sandbox import API_KEY, API_SECRET, OWNER_API_KEY, OWNER_API_SECRET, SERVICE_ID
from authlete_sandbox.__main__ import add_arguments
from authlete_sandbox.modes import Modes
from authlete_sandbox.server import SandboxServer
from tests.authlete_sandbox.conftest import BOB, JOHN, NOTES, UNKNOWN_CLIENT, Sandbox

ROOT = Path(__file__).resolve().parents[2]

# John as the subject of a call, in a JSON body or in the query.
_IN_BODY = {"json": {"subject": JOHN}}
_IN_QUERY = {"params": {"subject": JOHN}}

DOCUMENTED = {
    "token_list_cap": 20,
    "server": "shared",
    "refresh_scopes": "stay",
    "scope_filtering": True,
    "v2_owner_credentials": True,
    "unknown_id": 404,
    "token_list": "available",
}


def _is_result(response: requests.Response, status: int, code: str) -> None:
    """An Authlete-shaped refusal: the status, and the result code leading the message."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["resultCode"] == code
    assert body["resultMessage"].startswith(f"[{code}] ")


def _tokens(api: Sandbox, subject: str, client_id: int | str) -> list[dict[str, Any]]:
    return api.ok(
        "GET", "/auth/token/get/list", params={"subject": subject, "clientIdentifier": client_id}
    )["accessTokens"]


# --- Setting modes -------------------------------------------------------------------------------


def test_a_sandbox_starts_in_authlete_s_documented_defaults():
    with SandboxServer(seed="empty") as plain:
        modes = requests.get(f"{plain.url}/_sandbox/modes", timeout=5)
        assert modes.json() == DOCUMENTED == Modes().as_json()
    changed = SandboxServer(seed="empty", modes={"server": "dedicated", "unknown_id": "400"})
    try:
        assert changed.modes == changed.start_modes
        assert changed.modes.as_json() == {**DOCUMENTED, "server": "dedicated", "unknown_id": 400}
    finally:
        changed.stop()
    with pytest.raises(ValueError, match=r"server takes shared\|dedicated"):
        SandboxServer(seed="empty", modes={"server": "huge"})


def test_the_control_api_reads_and_changes_some_modes(v3, server):
    assert v3.control("GET", "modes") == server.start_modes.as_json()
    changed = v3.modes(server="shared", token_list_cap=7)
    assert changed == {**server.start_modes.as_json(), "server": "shared", "token_list_cap": 7}
    assert v3.control("GET", "modes") == changed


@pytest.mark.parametrize(
    "changes",
    [
        {"nope": 1},
        {"server": "huge"},
        {"unknown_id": 418},
        {"token_list_cap": -1},
        {"scope_filtering": "maybe"},
    ],
)
def test_an_unknown_mode_or_value_is_refused_and_changes_nothing(v3, server, changes):
    response = v3.http.put(f"{v3.url}/_sandbox/modes", json=changes, timeout=5)
    assert response.status_code == 400 and response.json()["error"]
    assert v3.control("GET", "modes") == server.start_modes.as_json()


def test_resetting_the_world_keeps_the_modes(v3):
    changed = v3.modes(refresh_scopes="stay", token_list="refused")
    v3.control("POST", "reset", json={"seed": "empty"})
    assert v3.control("GET", "modes") == changed


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(argv)


def test_the_command_line_sets_modes_one_flag_each():
    options = _parse(
        "--mode",
        "token_list_cap=off",
        "--mode",
        "server=dedicated",
        "--mode",
        "scope-filtering=off",
        "--mode",
        "unknown_id=400",
    )
    assert dict(options.mode) == {
        "token_list_cap": 0,
        "server": "dedicated",
        "scope_filtering": False,
        "unknown_id": 400,
    }
    assert _parse().mode == []


@pytest.mark.parametrize("flag", ["server", "server=huge", "nope=1", "token_list_cap=lots"])
def test_the_command_line_refuses_bad_modes(flag, capsys):
    with pytest.raises(SystemExit):
        _parse("--mode", flag)
    assert "--mode" in capsys.readouterr().err


def test_the_command_line_announces_and_serves_its_modes():
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "authlete_sandbox", "--port", "0", "--seed", "empty"),
            *("--mode", "server=dedicated", "--mode", "refresh_scopes=follow"),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = process.stdout.readline().split()[3]
        announced = process.stdout.readline()
        served = requests.get(f"{url}/_sandbox/modes", timeout=5).json()
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
    assert announced.startswith("Modes: token_list_cap=20 server=dedicated refresh_scopes=follow")
    assert "scope_filtering=on" in announced
    assert served == {**DOCUMENTED, "server": "dedicated", "refresh_scopes": "follow"}


# --- token_list_cap ------------------------------------------------------------------------------


def test_with_the_cap_a_window_of_20_works_and_21_is_a_400(api):
    api.modes(token_list_cap=20)
    for _ in range(25):
        api.authorize(clientId=NOTES, subject=BOB, scopes=["email"], refresh=False)
    params = {"subject": BOB, "clientIdentifier": NOTES}
    first = api.ok("GET", "/auth/token/get/list", params={**params, "start": 0, "end": 20})
    second = api.ok("GET", "/auth/token/get/list", params={**params, "start": 20, "end": 40})
    assert (len(first["accessTokens"]), len(second["accessTokens"])) == (20, 5)
    assert first["totalCount"] == second["totalCount"] == 25
    # The knowledge base's default "end" is 20, not the spec's 5.
    default = api.ok("GET", "/auth/token/get/list", params=params)
    assert (default["end"], len(default["accessTokens"])) == (20, 20)
    over = api.call("GET", "/auth/token/get/list", params={**params, "start": 5, "end": 26})
    _is_result(over, 400, "A131201")


def test_without_the_cap_any_window_works_and_end_defaults_to_5(api):
    api.modes(token_list_cap=0)
    body = api.ok("GET", "/auth/token/get/list", params={"subject": JOHN, "end": 100})
    assert len(body["accessTokens"]) == body["totalCount"] > 5
    assert api.ok("GET", "/auth/token/get/list", params={"subject": JOHN})["end"] == 5


# --- server: dedicated | shared ------------------------------------------------------------------

_GRANTED_SCOPES_CALLS = [
    ("GET", "get", _IN_QUERY),
    ("POST", "get", _IN_BODY),
    ("DELETE", "delete", _IN_QUERY),
    ("POST", "delete", _IN_BODY),
]


@pytest.mark.parametrize(("method", "action", "kwargs"), _GRANTED_SCOPES_CALLS)
def test_the_shared_server_refuses_every_granted_scopes_call_with_403(api, method, action, kwargs):
    api.modes(server="shared")
    api_number = {"get": 139, "delete": 140}[action]
    for client in (NOTES, UNKNOWN_CLIENT):  # disabled outright, before any look-up
        response = api.call(method, f"/client/granted_scopes/{action}/{client}", **kwargs)
        _is_result(response, 403, f"A{api_number}215")
    # The record is still there for a dedicated server to show.
    api.modes(server="dedicated")
    assert api.granted(NOTES, JOHN)["mergedGrantedScopes"]


@pytest.mark.parametrize(("method", "action", "kwargs"), _GRANTED_SCOPES_CALLS)
def test_a_dedicated_server_serves_granted_scopes(api, method, action, kwargs):
    api.modes(server="dedicated")
    assert api.status(method, f"/client/granted_scopes/{action}/{NOTES}", **kwargs) == 200


# --- refresh_scopes: stay | follow ---------------------------------------------------------------


def _narrow_by_authorization_update(api: Sandbox, issued: dict[str, Any]) -> None:
    api.ok(
        "POST", f"/client/authorization/update/{NOTES}", json={"subject": BOB, "scopes": ["email"]}
    )


def _narrow_by_token_update(api: Sandbox, issued: dict[str, Any]) -> None:
    body = api.ok(
        "POST",
        "/auth/token/update",
        json={"accessTokenHash": issued["accessTokenHash"], "scopes": ["email"]},
    )
    assert body["action"] == "OK"


@pytest.mark.parametrize("narrow", [_narrow_by_authorization_update, _narrow_by_token_update])
@pytest.mark.parametrize(
    ("mode", "refresh_scopes"), [("stay", ["profile", "email"]), ("follow", ["email"])]
)
def test_refresh_token_scopes_stay_as_issued_or_follow_an_update(api, narrow, mode, refresh_scopes):
    api.modes(refresh_scopes=mode)
    issued = api.authorize(clientId=NOTES, subject=BOB, scopes=["profile", "email"])
    narrow(api, issued)
    [token] = _tokens(api, BOB, NOTES)
    assert (token["scopes"], token["refreshTokenScopes"]) == (["email"], refresh_scopes)
    assert api.tokens(BOB, NOTES)[0]["refreshTokenScopes"] == refresh_scopes


# --- scope_filtering ----------------------------------------------------------------------------


@pytest.fixture
def picky_client(api: Sandbox) -> int:
    """A client that may request only profile and email ("Requestable Scopes per Client")."""
    extension = {"requestableScopesEnabled": True, "requestableScopes": ["profile", "email"]}
    response = api.call(
        "POST", "/client/create", json={"clientName": "Picky", "extension": extension}
    )
    assert response.status_code in (200, 201), response.text
    client_id = response.json()["clientId"]
    api.authorize(clientId=client_id, subject=BOB, scopes=["profile"])
    return client_id


def _update_scopes(api: Sandbox, client_id: int, how: str, scopes: list[str]) -> list[str]:
    if how == "authorization":
        api.ok(
            "POST",
            f"/client/authorization/update/{client_id}",
            json={"subject": BOB, "scopes": scopes},
        )
    else:
        [token] = _tokens(api, BOB, client_id)
        update = {"accessTokenHash": token["accessTokenHash"], "scopes": scopes}
        assert api.ok("POST", "/auth/token/update", json=update)["action"] == "OK"
    [token] = _tokens(api, BOB, client_id)
    return token["scopes"]


@pytest.mark.parametrize("how", ["authorization", "token"])
def test_scope_filtering_drops_unsupported_and_unrequestable_scopes(api, picky_client, how):
    api.modes(scope_filtering=True)
    asked = ["email", "not-a-scope", "calendar.read"]  # calendar.read: supported, not requestable
    assert _update_scopes(api, picky_client, how, asked) == ["email"]


@pytest.mark.parametrize("how", ["authorization", "token"])
def test_without_scope_filtering_any_string_is_stored(api, picky_client, how):
    api.modes(scope_filtering=False)
    asked = ["email", "not-a-scope", "calendar.read"]
    assert _update_scopes(api, picky_client, how, asked) == asked


# --- v2_owner_credentials ------------------------------------------------------------------------


def _v2_service_get(api: Sandbox, auth: tuple[str, str]) -> requests.Response:
    return api.http.get(f"{api.url}/api/service/get/{API_KEY}", auth=auth, timeout=5)


def test_v2_service_get_takes_only_the_owner_s_credentials(v3):
    v3.modes(v2_owner_credentials=True)
    owner = _v2_service_get(v3, (OWNER_API_KEY, OWNER_API_SECRET))
    assert owner.status_code == 200 and owner.json()["supportedScopes"]
    _is_result(_v2_service_get(v3, (API_KEY, API_SECRET)), 401, "A001203")
    # The owner's credentials open nothing else, and v3 is unaffected.
    client = v3.http.get(
        f"{v3.url}/api/client/get/{NOTES}", auth=(OWNER_API_KEY, OWNER_API_SECRET), timeout=5
    )
    _is_result(client, 401, "A001203")
    assert v3.ok("GET", "/service/get")["apiKey"] == int(SERVICE_ID)


def test_without_owner_credentials_v2_service_get_takes_the_service_s(v3):
    v3.modes(v2_owner_credentials=False)
    assert _v2_service_get(v3, (API_KEY, API_SECRET)).status_code == 200
    assert _v2_service_get(v3, (OWNER_API_KEY, OWNER_API_SECRET)).status_code == 200


# --- unknown_id: 404 | 400 -----------------------------------------------------------------------

_NO_SPEC_404 = [
    ("GET", f"/client/get/{UNKNOWN_CLIENT}", {}, "A059204"),
    ("POST", f"/client/authorization/delete/{UNKNOWN_CLIENT}", _IN_BODY, "A137204"),
    ("DELETE", f"/client/authorization/delete/{UNKNOWN_CLIENT}", _IN_QUERY, "A137204"),
    ("POST", f"/client/granted_scopes/get/{UNKNOWN_CLIENT}", _IN_BODY, "A139204"),
    ("DELETE", f"/client/granted_scopes/delete/{UNKNOWN_CLIENT}", _IN_QUERY, "A140204"),
    ("GET", "/auth/token/get/list", {"params": {"clientIdentifier": UNKNOWN_CLIENT}}, "A131204"),
    ("DELETE", "/auth/token/delete/no-such-token", {}, "A133205"),
]


@pytest.mark.parametrize("status", [404, 400])
@pytest.mark.parametrize(("method", "path", "kwargs", "code"), _NO_SPEC_404)
def test_an_unknown_id_where_the_spec_lists_no_404_answers_as_set(
    api, status, method, path, kwargs, code
):
    api.modes(unknown_id=status, server="dedicated")
    _is_result(api.call(method, path, **kwargs), status, code)


def test_authorization_update_keeps_its_documented_404_in_the_400_mode(api):
    api.modes(unknown_id=400)
    response = api.call(
        "POST", f"/client/authorization/update/{UNKNOWN_CLIENT}", json={"subject": JOHN}
    )
    _is_result(response, 404, "A138204")


# --- token_list: available | refused -------------------------------------------------------------


def test_a_refused_token_list_is_a_403(api):
    api.modes(token_list="refused")
    for params in ({"subject": JOHN}, {"clientIdentifier": UNKNOWN_CLIENT}):
        _is_result(api.call("GET", "/auth/token/get/list", params=params), 403, "A131215")
    api.modes(token_list="available")
    assert api.ok("GET", "/auth/token/get/list", params={"subject": JOHN})["accessTokens"]
