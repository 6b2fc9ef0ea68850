"""Authlete's API paths (v3 and v2): their credentials, and the operation and modes behind each."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from authlete_sandbox import (
    API_KEY,
    API_SECRET,
    LIMITED_TOKEN,
    OWNER_API_KEY,
    OWNER_API_SECRET,
    SERVICE_ID,
    SERVICE_TOKEN,
)
from authlete_sandbox.modes import Modes
from authlete_sandbox.store import FORBIDDEN, ApiError, Store
from authlete_sandbox.store.client_lock import LOCK_FLAG_API, client_lock_update
from authlete_sandbox.store.clients import client_create, client_delete, client_get, client_list
from authlete_sandbox.store.grants import (
    authorization_delete,
    authorization_list,
    authorization_update,
    granted_scopes_delete,
    granted_scopes_get,
)
from authlete_sandbox.store.introspection import introspect
from authlete_sandbox.store.registration import (
    registration_create,
    registration_delete,
    registration_get,
    registration_update,
)
from authlete_sandbox.store.tokens import (
    ScopeUpdate,
    token_create,
    token_delete,
    token_list,
    token_revoke,
    token_update,
)

# The API number of refusals that come before any operation runs (credentials, routing).
GENERAL_API = 1


@dataclass
class Call:
    """One Authlete API call after routing and authentication."""

    version: str
    args: tuple[str, ...]
    params: dict[str, Any]
    limited: bool
    modes: Modes


Operation = Callable[[Store, Call], tuple[int, dict[str, Any] | None]]


@dataclass
class Route:
    pattern: re.Pattern[str]
    api: int  # the API number in result codes ("A" + api + outcome)
    methods: dict[str, Operation]
    owner: bool = False  # v2: takes the service owner's credentials, not the service's


# --- Authlete operations -------------------------------------------------------------------------


def _service_get(store: Store, call: Call) -> tuple[int, dict[str, Any]]:
    if call.version == "v2" and call.args[0] != SERVICE_ID:
        raise ApiError(403, FORBIDDEN, f"The service (API Key = {call.args[0]}) is not accessible.")
    return 200, store.service(limited=call.limited)


def _client_get(store: Store, call: Call) -> tuple[int, dict[str, Any]]:
    if call.limited:
        raise ApiError(403, "216", "The access token does not have the permission to view clients.")
    return 200, client_get(store, call.args[0])


def _client_list(store: Store, call: Call) -> tuple[int, dict[str, Any]]:
    # A token that may not view clients gets SPEC's limited view of each (contract §5).
    return 200, client_list(store, call.params, limited=call.limited)


def _client_create(store: Store, call: Call) -> tuple[int, dict[str, Any]]:
    # v3 answers 201 and documents 200 as "legacy compatibility", which is what v2 answers.
    return 201 if call.version == "v3" else 200, client_create(store, call.params)


def _client_delete(store: Store, call: Call) -> tuple[int, None]:
    # SPEC client_delete_api: 204 without a body, and a documented 404 for an unknown client.
    client_delete(store, call.args[0])
    return 204, None


def _authorization_list(store: Store, call: Call) -> tuple[int, dict[str, Any]]:
    # v2 lists full clients; v3 lists SPEC's `client_limited` (contract §3.1).
    return 200, authorization_list(store, call.params, full_clients=call.version == "v2")


def _token_list(store: Store, call: Call) -> tuple[int, dict[str, Any]]:
    if call.modes.token_list == "refused":  # noqa: S105 - a mode, not a secret
        # Authlete KB "Getting a list of issued access tokens": "This function is not available
        # for free plan users yet."
        raise ApiError(403, FORBIDDEN, "This function is not available for free plan users.")
    listed = token_list(
        store, call.params, full_clients=call.version == "v2", cap=call.modes.token_list_cap
    )
    return 200, listed


def _authorization_update(store: Store, call: Call) -> tuple[int, dict[str, Any]]:
    return 200, authorization_update(store, call.args[0], call.params, _scope_update(call.modes))


def _token_update(store: Store, call: Call) -> tuple[int, dict[str, Any]]:
    return 200, token_update(store, call.params, _scope_update(call.modes))


def _scope_update(modes: Modes) -> ScopeUpdate:
    return ScopeUpdate(
        # authlete-java-common ClientAuthorizationUpdateRequest and TokenUpdateRequest javadoc.
        filtered=modes.scope_filtering,
        # Unknown (docs/authlete-behaviours.md): the docs name access tokens only.
        refresh_follows=modes.refresh_scopes == "follow",
    )


def _token_delete(store: Store, call: Call) -> tuple[int, None]:
    token_delete(store, call.args[0])
    return 204, None


def _on_client(operation: Callable[[Store, str, dict[str, Any]], dict[str, Any]]) -> Operation:
    """An operation on the client the path names, answering 200."""

    def serve(store: Store, call: Call) -> tuple[int, dict[str, Any]]:
        return 200, operation(store, call.args[0], call.params)

    return serve


def _on_params(operation: Callable[[Store, dict[str, Any]], dict[str, Any]]) -> Operation:
    """An operation on the request's parameters alone, answering 200."""

    def serve(store: Store, call: Call) -> tuple[int, dict[str, Any]]:
        return 200, operation(store, call.params)

    return serve


def _dedicated_only(operation: Operation) -> Operation:
    """An operation that the shared Authlete server refuses."""

    def serve(store: Store, call: Call) -> tuple[int, dict[str, Any] | None]:
        if call.modes.server == "shared":
            # authlete-java-common AuthorizationResponse: "the APIs of the shared Authlete server
            # are disabled intentionally ... and they return 403 Forbidden".
            raise ApiError(403, FORBIDDEN, "The API is not available on the shared server.")
        return operation(store, call)

    return serve


def _undocumented_404(operation: Operation) -> Operation:
    """An operation whose spec lists no 404: an unknown client or token answers as set."""

    def serve(store: Store, call: Call) -> tuple[int, dict[str, Any] | None]:
        try:
            return operation(store, call)
        except ApiError as refused:
            # Unknown (contract §2): the spec lists no 404 here, so Authlete may answer 400.
            if refused.status != 404 or call.modes.unknown_id == 404:
                raise
            raise ApiError(400, refused.outcome, refused.message) from refused

    return serve


def _route(
    path: str,
    api: int,
    *,
    undocumented_404: bool = False,
    owner: bool = False,
    **methods: Operation,
) -> Route:
    pattern = re.compile("^" + path.replace("{id}", "([^/]+)") + "$")
    if undocumented_404:
        methods = {method: _undocumented_404(operation) for method, operation in methods.items()}
    operations = {method.upper(): operation for method, operation in methods.items()}
    return Route(pattern, api, operations, owner)


_authorization_delete = _on_client(authorization_delete)
_granted_scopes_get = _dedicated_only(_on_client(granted_scopes_get))
_granted_scopes_delete = _dedicated_only(_on_client(granted_scopes_delete))

# Paths after /api/{serviceId} (v3) or /api (v2). Methods follow the spec, plus POST with a JSON
# body wherever Authlete's own Java and Python clients use it (contract §1). API numbers of the
# operations whose result codes the spec does not show are the sandbox's own.
_V3_SERVICE_GET = _route("/service/get", 41, get=_service_get)
_V2_SERVICE_GET = _route("/service/get/{id}", 41, owner=True, get=_service_get)
_SHARED_ROUTES = (
    # Before client/get/{id}, which would take "list" for a client ID.
    _route("/client/get/list", 60, get=_client_list),
    _route("/client/get/{id}", 59, undocumented_404=True, get=_client_get),
    _route("/client/create", 61, post=_client_create),
    _route("/client/delete/{id}", 62, delete=_client_delete),
    # SPEC client_flag_update_api: POST with {"clientLocked": bool}, JSON or form-encoded.
    _route("/client/lock_flag/update/{id}", LOCK_FLAG_API, post=_on_client(client_lock_update)),
    _route(
        "/client/authorization/get/list", 136, get=_authorization_list, post=_authorization_list
    ),
    _route("/client/authorization/update/{id}", 138, post=_authorization_update),
    _route(
        "/client/authorization/delete/{id}",
        137,
        undocumented_404=True,
        post=_authorization_delete,
        delete=_authorization_delete,
    ),
    _route(
        "/client/granted_scopes/get/{id}",
        139,
        undocumented_404=True,
        get=_granted_scopes_get,
        post=_granted_scopes_get,
    ),
    _route(
        "/client/granted_scopes/delete/{id}",
        140,
        undocumented_404=True,
        delete=_granted_scopes_delete,
        post=_granted_scopes_delete,
    ),
    _route("/auth/token/get/list", 131, undocumented_404=True, get=_token_list),
    _route("/auth/token/create", 109, post=_on_params(token_create)),
    _route("/auth/token/update", 135, post=_token_update),
    _route("/auth/token/delete/{id}", 133, undocumented_404=True, delete=_token_delete),
    _route("/auth/token/revoke", 312, post=_on_params(token_revoke)),
    _route("/auth/introspection", 56, post=_on_params(introspect)),
    _route("/client/registration", 202, post=_on_params(registration_create)),
    _route("/client/registration/get", 217, post=_on_params(registration_get)),
    _route("/client/registration/update", 213, post=_on_params(registration_update)),
    _route("/client/registration/delete", 216, post=_on_params(registration_delete)),
)


def match(path: str) -> tuple[Route, str, str | None, tuple[str, ...]] | None:
    """The route, API version, service ID (v3) and path arguments of an /api/ path."""
    rest = path[len("/api") :]
    head, _, tail = rest.lstrip("/").partition("/")
    # v2 paths never start with a number; v3 paths always start with the service ID.
    if head.isdigit():
        version, service_id, rest = "v3", head, "/" + tail
        candidates = (_V3_SERVICE_GET, *_SHARED_ROUTES)
    else:
        version, service_id = "v2", None
        candidates = (_V2_SERVICE_GET, *_SHARED_ROUTES)
    for route in candidates:
        found = route.pattern.match(rest)
        if found:
            return route, version, service_id, tuple(unquote(arg) for arg in found.groups())
    return None


# --- Credentials ---------------------------------------------------------------------------------


def authenticate(
    header: str | None, version: str, service_id: str | None, *, route: Route, modes: Modes
) -> bool:
    """Check the Authorization header; True when the token may use the service but not view it."""
    if not header:
        raise ApiError(401, "202", "Authorization header is missing.")
    scheme, _, credentials = header.partition(" ")
    scheme, credentials = scheme.lower(), credentials.strip()
    owner = (OWNER_API_KEY, OWNER_API_SECRET)
    if route.owner and modes.v2_owner_credentials:
        # API v2 spec: /service/get/{serviceApiKey} takes ServiceOwnerCredentials, and
        # authlete-java-common AuthleteApiImpl.getService sends them (ServiceOwnerGetApiCaller).
        if scheme == "basic" and _basic(credentials) == owner:
            return False
        raise ApiError(401, "203", "Invalid service owner API key or API secret.")
    # Authlete's Java client sends "DPoP <token>" instead of "Bearer <token>" when it uses DPoP.
    if scheme in ("bearer", "dpop") and credentials in (SERVICE_TOKEN, LIMITED_TOKEN):
        if service_id is not None and service_id != SERVICE_ID:
            message = f"The access token is not for the service (ID = {service_id})."
            raise ApiError(403, "204", message)
        return credentials == LIMITED_TOKEN
    if scheme == "basic" and version == "v2":
        accepted = [(API_KEY, API_SECRET), owner] if route.owner else [(API_KEY, API_SECRET)]
        if _basic(credentials) in accepted:
            return False
        raise ApiError(401, "203", "Invalid API key or API secret.")
    if scheme == "basic":
        raise ApiError(401, "203", "Invalid access token: API v3 takes a bearer token.")
    raise ApiError(401, "203", "Invalid access token.")


def _basic(credentials: str) -> tuple[str, str] | None:
    try:
        decoded = base64.b64decode(credentials, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    key, separator, secret = decoded.partition(":")
    return (key, secret) if separator else None
