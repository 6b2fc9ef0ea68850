"""Where Authlete's v3 spec (tests/contracts/authlete/openapi.yaml) is wrong or silent.

The sandbox follows docs/authlete-contract.md instead, and each entry names the section of it that
says why. test_contract.py proves, for each entry it uses, that the spec still rejects the answer;
test_fuzz.py lets through exactly the failures an entry's ``tolerates`` lists, and checks that the
spec still says what makes each of them a failure. Either way a fixed spec shows up in a test.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tolerated:
    """One failure the fuzzer lets through: an operation's answer with this status.

    ``operation`` is the method and the path after ``/api/{serviceId}``. With ``at`` None, the
    failure is that the spec does not list the status; else it is a null at that place in the
    body, which the spec's schema refuses. Any other value there still fails.
    """

    operation: str
    status: int
    at: tuple[str | int, ...] | None = None


@dataclass(frozen=True)
class SpecDefect:
    reason: str
    tolerates: tuple[Tolerated, ...] = ()


def _undocumented(status: int, *operations: str) -> tuple[Tolerated, ...]:
    return tuple(Tolerated(operation, status) for operation in operations)


SPEC_DEFECTS: dict[str, SpecDefect] = {
    "undocumented-404": SpecDefect(
        "§2: client/get, client/authorization/delete, client/granted_scopes/*, "
        "auth/token/get/list and auth/token/delete list no 404. The sandbox answers an unknown "
        "client or token with 404 and the usual result body, as the endpoints that do list one "
        "(§10.4: 404 = already gone). In its unknown_id=400 mode they answer a 400 the spec lists.",
        _undocumented(
            404,
            "GET /client/get/{clientId}",
            "POST /client/authorization/delete/{clientId}",
            "POST /client/granted_scopes/get/{clientId}",
            "DELETE /client/granted_scopes/delete/{clientId}",
            "GET /auth/token/get/list",
            "DELETE /auth/token/delete/{accessTokenIdentifier}",
        ),
    ),
    "post-variants-list-only-200": SpecDefect(
        "§3.3 and §3.4: the POST variants of client/authorization/delete and "
        "client/granted_scopes/get list no error response at all, while their GET and DELETE "
        "variants list the shared 400, 401, 403 and 500. An empty subject is a 400 and the "
        "shared server's refusal a 403 whichever method carries the call.",
        (
            *_undocumented(
                400,
                "POST /client/authorization/delete/{clientId}",
                "POST /client/granted_scopes/get/{clientId}",
            ),
            Tolerated("POST /client/granted_scopes/get/{clientId}", 403),
        ),
    ),
    "granted-scopes-null": SpecDefect(
        "§3.4 and §7: granted_scopes/get points at client_authorization_delete_response, whose "
        "scope arrays are not nullable, yet null is how Authlete says 'no record' (SPEC-V2).",
        (
            Tolerated("POST /client/granted_scopes/get/{clientId}", 200, ("latestGrantedScopes",)),
            Tolerated("POST /client/granted_scopes/get/{clientId}", 200, ("mergedGrantedScopes",)),
        ),
    ),
    "granted-scopes-delete-post": SpecDefect(
        "§1 and §3.4: Authlete's Java and Python clients POST to granted_scopes/delete; the spec "
        "lists DELETE only. The answer is the DELETE operation's."
    ),
    "token-update-by-hash": SpecDefect(
        "§4: the v3 spec still requires accessToken in token/update; the newer SPEC-RB and Java "
        "client 4.46 identify the token by accessTokenHash too."
    ),
}


def tolerated_by(
    operation: str, status: int, at: tuple[str | int, ...] | None = None
) -> str | None:
    """The name of the defect that lets this failure through, if one does."""
    wanted = Tolerated(operation, status, at)
    for name, defect in SPEC_DEFECTS.items():
        if wanted in defect.tolerates:
            return name
    return None
