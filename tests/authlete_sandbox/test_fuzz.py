"""The v3 operations the portal calls, fuzzed against Authlete's OpenAPI spec with schemathesis.

schemathesis builds requests from the spec's examples and schemas (tests/contracts/authlete/
openapi.yaml), some of them the spec allows and some it does not, and sends them to the session's
sandbox. Every answer must be one the spec allows: a status the operation lists, and for that
status the content type and body schema it gives; an error is Authlete's result body, whatever
its status. Where the spec itself is wrong, spec_defects.SPEC_DEFECTS lets through exactly the
failures it names, each with its reason.

The sandbox runs in Authlete's documented modes; the granted-scopes operations, which the shared
server refuses, run again on a dedicated server. Half the generated identifiers are ones the demo
world knows. Each operation gets a few examples, the same ones on every run.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from openapi_schema_validator import OAS30Validator
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.openapi.checks import JsonSchemaError, UndefinedStatusCode

from authlete_sandbox import SERVICE_ID, SERVICE_TOKEN
from authlete_sandbox import seed as demo
from authlete_sandbox.modes import Modes
from authlete_sandbox.server import SandboxServer
from authlete_sandbox.store import token_hash
from tests.authlete_sandbox.spec_defects import SPEC_DEFECTS, Tolerated, tolerated_by
from tests.conftest import Sandbox

SPEC = Path(__file__).resolve().parents[1] / "contracts" / "authlete" / "openapi.yaml"
PREFIX = "/api/{serviceId}"

# What connected_apps/authlete calls, by the spec's operationId.
PORTAL_OPERATIONS = (
    "client_authorization_get_list_api_post",
    "client_authorization_update_api",
    "client_authorization_delete_api_post",
    "client_granted_scopes_get_api_post",
    "client_granted_scopes_delete_api",
    "client_get_api",
    "client_get_list_api",
    "service_get_api",
    "auth_token_get_list_api",
    "auth_token_update_api",
    "auth_token_delete_api",
    "client_registration_api",
    "client_registration_get_api",
    "client_registration_update_api",
    "client_registration_delete_api",
)
GRANTED_SCOPES_OPERATIONS = (
    "client_granted_scopes_get_api_post",
    "client_granted_scopes_delete_api",
)

# Access tokens each operation's world starts with, so that token calls find some.
KNOWN_TOKENS = tuple(f"fuzz-access-token-{n}" for n in range(3))

# Client metadata for registrations: two that Authlete accepts, two it refuses.
METADATA = (
    json.dumps({"client_name": "Fuzzed", "redirect_uris": ["https://fuzzed.example/cb"]}),
    json.dumps({"client_name": "Fuzzed native", "application_type": "native",
                "redirect_uris": ["com.example.fuzzed:/cb"], "token_endpoint_auth_method": "none"}),
    json.dumps({"redirect_uris": ["http://not-https.example/cb"]}),
    json.dumps({"grant_types": ["authorization_code"]}),
)  # fmt: skip

AUTHORIZATION = {"Authorization": f"Bearer {SERVICE_TOKEN}"}
KNOWN = 0.5  # how often an identifier is one the demo world knows rather than a random one
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 3016,
        "headers": AUTHORIZATION,
        "parameters": {
            "path.serviceId": SERVICE_ID,
            "path.clientId": {"dictionary": "clients", "probability": KNOWN},
            "path.accessTokenIdentifier": {"dictionary": "tokens", "probability": KNOWN},
            "query.clientIdentifier": {"dictionary": "clients", "probability": KNOWN},
            "query.subject": {"dictionary": "subjects", "probability": KNOWN},
            "body.subject": {"dictionary": "subjects", "probability": KNOWN},
            "body.scopes[*]": {"dictionary": "scopes", "probability": KNOWN},
            "body.accessToken": {"dictionary": "tokens", "probability": KNOWN},
            "body.json": {"dictionary": "metadata", "probability": KNOWN},
        },
        "dictionaries": {
            "clients": {
                "values": [str(c.client_id) for c in demo.CLIENTS] + [c.alias for c in demo.CLIENTS]
            },
            "subjects": {"values": list(demo.DEMO_SUBJECTS)},
            "scopes": {"values": [scope.name for scope in demo.SCOPES]},
            "tokens": {"values": [*KNOWN_TOKENS, *map(token_hash, KNOWN_TOKENS)]},
            "metadata": {"values": list(METADATA)},
        },
        # Requests the spec allows and requests it does not, the same ones on every run, and no
        # example database under .hypothesis/.
        "generation": {
            "mode": "all",
            "max-examples": 20,
            "deterministic": True,
            "database": "none",
        },
        # The spec's own examples, then generated ones; the exhaustive phases would take minutes.
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
    }
)
# The C YAML parser reads the 18,000-line spec in a fraction of the time from_path() takes.
_loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_raw = yaml.load(SPEC.read_text(), Loader=_loader)  # noqa: S506 - a safe loader
_spec = schemathesis.openapi.from_dict(_raw, config=CONFIG)
schema = _spec.include(operation_id=list(PORTAL_OPERATIONS))
granted_scopes_schema = _spec.include(operation_id=list(GRANTED_SCOPES_OPERATIONS))

# The client registered in the current world: its clientId and registration access token.
registered: dict[str, str] = {}


def operation_name(case: schemathesis.Case) -> str:
    """The operation as SPEC_DEFECTS names it: the method and the path after /api/{serviceId}."""
    return f"{case.operation.method.upper()} {case.operation.path.removeprefix(PREFIX)}"


@_spec.hook
def filter_failure(context: Any, failure: Any, case: schemathesis.Case, response: Any) -> bool:
    """Keep every failure but those a SPEC_DEFECTS entry lets through."""
    if isinstance(failure, UndefinedStatusCode):
        at = None
    elif isinstance(failure, JsonSchemaError) and failure.instance is None:
        at = tuple(failure.instance_path)
    else:
        return True
    return tolerated_by(operation_name(case), response.status_code, at) is None


@_spec.hook
def flatmap_body(context: Any, body: Any) -> st.SearchStrategy:
    """Half the calls on a registration name the registered client and its token."""
    operation = context.operation
    on_registration = operation is not None and operation.path.startswith(
        f"{PREFIX}/client/registration/"
    )
    if not (on_registration and registered and isinstance(body, dict)):
        return st.just(body)
    return st.sampled_from([body, {**body, **registered}])


def error_answers_are_results(ctx: Any, response: Any, case: schemathesis.Case) -> None:
    """An error is Authlete's result body, also under a status the spec gives no schema."""
    if response.status_code < 400:
        return
    content_type = response.headers.get("content-type", [""])[0]
    assert content_type.startswith("application/json"), f"not JSON but {content_type!r}"
    body = response.json()
    OAS30Validator(_spec.raw_schema["components"]["schemas"]["result"]).validate(body)
    code = body.get("resultCode", "")
    assert code.startswith("A") and body.get("resultMessage", "").startswith(f"[{code}]"), body


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    error_answers_are_results,
]


def _post(server: SandboxServer, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = requests.post(
        f"{server.url}/api/{SERVICE_ID}{path}",
        json=body,
        headers=AUTHORIZATION,
        timeout=5,
    )
    response.raise_for_status()
    return response.json()


@pytest.fixture
def world(server: SandboxServer) -> Iterator[Sandbox]:
    """The demo world in Authlete's documented modes, with known tokens and a registered client.

    The world is fresh (_portal_settings); afterwards it is the session's again, modes included,
    since the examples delete and change much of it.
    """
    witness = Sandbox(server)
    witness.modes(**Modes().as_json())
    for value in KNOWN_TOKENS:
        token = {"clientId": demo.INKWELL_NOTES, "subject": demo.SUBJECT_JOHN, "scopes": ["email"]}
        created = _post(
            server,
            "/auth/token/create",
            {"grantType": "AUTHORIZATION_CODE", "accessToken": value, **token},
        )
        assert created["action"] == "OK", created
    content = json.loads(
        _post(server, "/client/registration", {"json": METADATA[0]})["responseContent"]
    )
    registered.update(clientId=content["client_id"], token=content["registration_access_token"])
    yield witness
    registered.clear()
    witness.reset()


@pytest.fixture
def dedicated(world: Sandbox) -> None:
    world.modes(server="dedicated")


def call_and_check(case: schemathesis.Case, server: SandboxServer) -> schemathesis.Response:
    response = case.call(base_url=server.url, timeout=5)
    case.validate_response(response, checks=CHECKS)
    return response


# The fixtures set up each operation's world once, for all its examples.
examples = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


@schema.parametrize()
@examples
def test_answers_conform_to_the_spec(
    case: schemathesis.Case, server: SandboxServer, world: Sandbox
):
    call_and_check(case, server)


@granted_scopes_schema.parametrize()
@examples
def test_granted_scopes_answers_on_a_dedicated_server_conform_to_the_spec(
    case: schemathesis.Case, server: SandboxServer, dedicated: None
):
    call_and_check(case, server)


@pytest.mark.parametrize(
    "tolerated",
    [tolerated for defect in SPEC_DEFECTS.values() for tolerated in defect.tolerates],
    ids=str,
)
def test_each_failure_let_through_is_still_what_the_spec_says(tolerated: Tolerated):
    """A fixed spec shows up here: then the entry, and what it lets through, can go."""
    method, path = tolerated.operation.split(" ", 1)
    assert schema[PREFIX + path][method].definition.raw["operationId"] in PORTAL_OPERATIONS
    responses = _spec.raw_schema["paths"][PREFIX + path][method.lower()]["responses"]
    if tolerated.at is None:
        assert str(tolerated.status) not in responses
        return
    body = responses[str(tolerated.status)]["content"]["application/json"]["schema"]
    name = body["$ref"].removeprefix("#/components/schemas/")
    field = _spec.raw_schema["components"]["schemas"][name]["properties"][tolerated.at[0]]
    assert not field.get("nullable")


# Requests the fuzzer once found the sandbox answering with a 500, and what it answers now: "³" and
# "²" are digits to str.isdigit() but not to int().
@pytest.mark.parametrize(
    ("path", "method", "parts", "status"),
    [
        ("/client/get/{clientId}", "GET", {"path_parameters": {"clientId": "³"}}, 404),
        ("/auth/token/get/list", "GET", {"query": {"end": "²"}}, 400),
        ("/client/registration/get", "POST", {"body": {"clientId": "³", "token": "t"}}, 200),
        (
            "/client/authorization/get/list",
            "POST",
            {
                "body": {"subject": demo.SUBJECT_JOHN, "start": "--1"},
                "media_type": "application/json",
            },
            400,
        ),
    ],
)
def test_requests_once_answered_with_a_500_get_answers_the_spec_allows(
    server: SandboxServer,
    world: Sandbox,
    path: str,
    method: str,
    parts: dict[str, Any],
    status: int,
):
    path_parameters = {"serviceId": SERVICE_ID, **parts.get("path_parameters", {})}
    others = {part: value for part, value in parts.items() if part != "path_parameters"}
    case = schema[PREFIX + path][method].Case(
        path_parameters=path_parameters, headers=AUTHORIZATION, **others
    )
    assert call_and_check(case, server).status_code == status
