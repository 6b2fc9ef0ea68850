"""`manage.py authlete_check --deep` names the sandbox mode each behaviour is in, and cleans up."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from django.core.management import CommandError, call_command
from openapi_core import Config, OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest

from authlete_sandbox import API_KEY, API_SECRET, LIMITED_TOKEN, OWNER_API_KEY, OWNER_API_SECRET
from authlete_sandbox.modes import Modes
from connected_apps.services.behaviours import NAME
from tests.conftest import Sandbox

SPEC = Path(__file__).resolve().parents[1] / "contracts" / "authlete" / "openapi.yaml"
PROBE_PATHS = ("/client/create", "/client/delete/{clientId}", "/auth/token/create")


def _deep(sandbox: Sandbox) -> tuple[str, int]:
    """Run the deep check; its output and exit status, once it is sure nothing is left."""
    out = StringIO()
    try:
        call_command("authlete_check", "--deep", stdout=out)
    except CommandError as error:
        status = error.returncode
    else:
        status = 0
    assert _left_in(sandbox) == ([], [])
    return out.getvalue(), status


def _left_in(sandbox: Sandbox) -> tuple[list[str], list[str]]:
    """Names of throwaway clients, and subjects of throwaway tokens, still in the sandbox."""
    clients = sandbox.api("GET", "/client/get/list", params={"end": 1000}).json()["clients"]
    tokens = sandbox.control("GET", "state/tokens")
    return (
        [client["clientName"] for client in clients if client["clientName"].startswith(NAME)],
        [token["subject"] for token in tokens if (token.get("subject") or "").startswith(NAME)],
    )


def _line(out: str, behaviour: str) -> str:
    lines = [line for line in out.splitlines() if line.startswith(f"{behaviour}: ")]
    assert len(lines) == 1, out
    return lines[0]


def _v2(settings: Any, *, owner: bool) -> None:
    settings.AUTHLETE_API_VERSION = "v2"
    settings.AUTHLETE_API_KEY = API_KEY
    settings.AUTHLETE_API_SECRET = API_SECRET
    settings.AUTHLETE_SERVICE_OWNER_API_KEY = OWNER_API_KEY if owner else ""
    settings.AUTHLETE_SERVICE_OWNER_API_SECRET = OWNER_API_SECRET if owner else ""


# The line of the deep check that reports each v3 mode.
LINES = {
    "token_list_cap": "token list window",
    "server": "granted scopes",
    "refresh_scopes": "refresh-token scopes after an update",
    "scope_filtering": "unknown scopes in an update",
    "unknown_id": "unknown client or token",
    "token_list": "token list",
}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("token_list_cap", "20"),
        ("token_list_cap", "7"),
        ("token_list_cap", "off"),
        ("server", "shared"),
        ("server", "dedicated"),
        ("refresh_scopes", "stay"),
        ("refresh_scopes", "follow"),
        ("scope_filtering", "on"),
        ("scope_filtering", "off"),
        ("unknown_id", "404"),
        ("unknown_id", "400"),
        ("token_list", "available"),
        ("token_list", "refused"),
    ],
    ids=lambda text: text,
)
def test_each_mode_is_named_back_and_nothing_is_left(sandbox, name, value):
    sandbox.modes(**{name: value})
    out, status = _deep(sandbox)
    assert status == 0, out
    assert _line(out, LINES[name]).endswith(f"(mode {name}={value}) ... ok")
    assert re.search(r"^clean-up: deleted 1 token .* and client \d+ \.\.\. ok$", out, re.M), out


def test_authlete_s_documented_modes_are_named_back_together(sandbox):
    sandbox.modes(**Modes().as_json())
    out, status = _deep(sandbox)
    assert status == 0, out
    for name, value in Modes().as_text().items():
        if name in LINES:
            assert _line(out, LINES[name]).endswith(f"(mode {name}={value}) ... ok")
    assert _line(out, "v2 service/get credentials").endswith("access token ... skipped")


def test_a_refused_token_list_skips_what_needs_it(sandbox):
    sandbox.modes(token_list="refused")
    out, _ = _deep(sandbox)
    for behaviour in (
        "token list window",
        "refresh-token scopes after an update",
        "unknown scopes in an update",
    ):
        assert _line(out, behaviour).endswith("the token list is not served ... skipped")


@pytest.mark.parametrize(
    ("mode", "owner", "status", "ending"),
    [
        ("on", True, 0, "(mode v2_owner_credentials=on) ... ok"),
        ("on", False, 1, "(mode v2_owner_credentials=on) ... MISMATCH"),
        ("off", False, 0, "(mode v2_owner_credentials=off) ... ok"),
    ],
)
def test_v2_service_get_credentials_are_named_back(settings, sandbox, mode, owner, status, ending):
    _v2(settings, owner=owner)
    sandbox.modes(v2_owner_credentials=mode)
    out, exit_status = _deep(sandbox)
    assert exit_status == status, out
    line = _line(out, "v2 service/get credentials")
    assert line.endswith(ending)
    if exit_status:
        assert "AUTHLETE_SERVICE_OWNER_API_KEY" in line


def test_a_token_that_may_not_view_clients_is_a_mismatch(settings, sandbox):
    settings.AUTHLETE_SERVICE_TOKEN = LIMITED_TOKEN
    out, status = _deep(sandbox)
    assert status == 1
    assert _line(out, "throwaway client").endswith("may not view clients ... MISMATCH")


def test_a_failure_no_mode_explains_is_a_mismatch_and_still_cleans_up(sandbox):
    sandbox.fault("status500", path="/client/authorization/update")
    out, status = _deep(sandbox)
    assert status == 1
    line = _line(out, "refresh-token scopes after an update")
    assert "HTTP 500" in line and line.endswith("which no mode explains ... MISMATCH")
    assert _line(out, "clean-up").endswith("... ok")


def test_a_failed_clean_up_names_what_to_delete_by_hand(sandbox):
    sandbox.fault("status500", path="/client/delete/", times=1)
    out = StringIO()
    with pytest.raises(CommandError, match="does not match"):
        call_command("authlete_check", "--deep", stdout=out)
    line = _line(out.getvalue(), "clean-up")
    assert line.endswith("by hand ... MISMATCH") and "HTTP 500" in line
    clients, tokens = _left_in(sandbox)
    assert len(clients) == 1 and tokens == []


def test_wrong_credentials_stop_before_anything_is_made(settings, sandbox):
    settings.AUTHLETE_SERVICE_TOKEN = "not-the-token"
    with pytest.raises(CommandError, match="AUTHLETE_SERVICE_TOKEN"):
        call_command("authlete_check", "--deep", stdout=StringIO())
    assert not [r for r in sandbox.writes() if "/client/create" in r["path"]]


def test_the_requests_only_the_deep_check_sends_are_ones_the_v3_spec_documents(sandbox):
    # The portal's own operations are held to the spec in tests/connected_apps/authlete.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    document = yaml.load(SPEC.read_text(), Loader=loader)  # noqa: S506 - a safe loader
    paths = {path: item for path, item in document["paths"].items() if path.endswith(PROBE_PATHS)}
    # The contract tests check the spec document itself; checking it again here takes seconds.
    spec = OpenAPI.from_dict({**document, "paths": paths}, config=Config(spec_validator_cls=None))
    sandbox.clear_requests()
    _deep(sandbox)
    probe_only = re.compile(r"/api/\d+(/client/create|/client/delete/\d+|/auth/token/create)")
    seen = [entry for entry in sandbox.requests() if probe_only.fullmatch(entry["path"])]
    assert len(seen) == 3
    for entry in seen:
        prepared = requests.Request(
            entry["method"],
            "https://us.authlete.com" + entry["path"],
            json=entry["body"],
            headers={"Authorization": "Bearer token"},
        ).prepare()
        spec.validate_request(RequestsOpenAPIRequest(prepared))
