"""Dynamic client registration (RFC 7591 and 7592), and client metadata <-> Authlete client."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from authlete_sandbox import SERVICE_ID
from authlete_sandbox.store import (
    ApiError,
    Store,
    new_token_value,
    now_ms,
    read_service,
    result,
    token_hash,
)
from authlete_sandbox.store.clients import (
    ASSIGNED_CLIENT_FIELDS,
    CLIENT_DEFAULTS,
    delete_client,
    find_client,
    insert_client,
    save_client,
)

# A registration step: it changes or reads a client inside the store's transaction, and gives
# back the client and the registration access token to show (None: the answer shows neither).
_Step = Callable[[sqlite3.Connection], tuple[dict[str, Any], str | None]]


class _Refusal(Exception):
    """A registration call answered with an error action and an RFC 7591 error document."""

    def __init__(self, error: str, description: str, action: str = "BAD_REQUEST") -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.action = action

    def response(self, api: int) -> dict[str, Any]:
        outcome = {"invalid_client_metadata": "301", "invalid_redirect_uri": "302"}.get(
            self.error, "303"
        )
        content = json.dumps({"error": self.error, "error_description": self.description})
        return result(
            f"A{api:03d}{outcome}", self.description, action=self.action, responseContent=content
        )


def _bad_metadata(description: str) -> _Refusal:
    return _Refusal("invalid_client_metadata", description)


def registration_create(store: Store, params: dict[str, Any]) -> dict[str, Any]:
    def create(db: sqlite3.Connection) -> tuple[dict[str, Any], str]:
        metadata = _parse_metadata(params.get("json"))
        # Authlete names the developer of a registered client after the service unless
        # the metadata (here: a plain "developer" member) says otherwise.
        metadata.setdefault("developer", f"authlete_{SERVICE_ID}")
        try:
            client = insert_client(db, metadata, dynamically_registered=True)
        except ApiError as refused:
            raise _Refusal("invalid_client_metadata", refused.message) from refused
        registration_token = new_token_value()
        client["registrationAccessTokenHash"] = token_hash(registration_token)
        save_client(db, client)
        return client, registration_token

    return _answer(store, 202, "CREATED", "The client was created with id {}.", create)


def registration_get(store: Store, params: dict[str, Any]) -> dict[str, Any]:
    def get(db: sqlite3.Connection) -> tuple[dict[str, Any], str]:
        return _registered_client(db, params), params["token"]

    return _answer(store, 217, "OK", "The client (ID = {}) was found.", get)


def registration_update(store: Store, params: dict[str, Any]) -> dict[str, Any]:
    """Replace a registered client's metadata (RFC 7592 §2.2); what Authlete assigned stays."""

    def update(db: sqlite3.Connection) -> tuple[dict[str, Any], str]:
        client = _registered_client(db, params)
        metadata = _parse_metadata(params.get("json"))
        if _claimed_client_id(params["json"]) not in (None, str(client["clientId"])):
            message = "'client_id' does not match the client being updated."
            raise _Refusal("invalid_client_metadata", message)
        # The metadata replaces the client's own fields. What Authlete assigned stays,
        # and so does the developer unless the metadata names one.
        kept = {
            key: client[key]
            for key in (*ASSIGNED_CLIENT_FIELDS, "clientIdAlias", "clientIdAliasEnabled")
            if key in client
        }
        developer = {"developer": client["developer"]} if "developer" in client else {}
        client = {**CLIENT_DEFAULTS, **developer, **metadata, **kept}
        client["modifiedAt"] = now_ms()
        save_client(db, client)
        return client, params["token"]

    return _answer(store, 213, "UPDATED", "The client (ID = {}) was updated.", update)


def registration_delete(store: Store, params: dict[str, Any]) -> dict[str, Any]:
    def delete(db: sqlite3.Connection) -> tuple[dict[str, Any], None]:
        client = _registered_client(db, params)
        delete_client(db, client["clientId"])
        return client, None

    return _answer(store, 216, "DELETED", "The client (ID = {}) was deleted.", delete)


def _answer(store: Store, api: int, action: str, message: str, step: _Step) -> dict[str, Any]:
    """Run a registration step: its result on success, else the RFC 7591 error it refused with."""
    try:
        with store.tx() as db:
            client, token = step(db)
            content = None if token is None else _registration_content(db, client, token)
    except _Refusal as refusal:
        return refusal.response(api)
    code, message = f"A{api:03d}001", message.format(client["clientId"])
    if content is None:
        return result(code, message, action=action)
    return result(code, message, action=action, responseContent=content, client=client)


def _registered_client(db: sqlite3.Connection, params: dict[str, Any]) -> dict[str, Any]:
    """The client a registration access token opens, or a _Refusal."""
    client_id, token = params.get("clientId"), params.get("token")
    if client_id is None or client_id == "":
        raise _Refusal("invalid_request", "The request does not contain 'clientId'.")
    client = find_client(db, client_id)
    expected = client.get("registrationAccessTokenHash") if client else None
    if expected is not None and isinstance(token, str) and token_hash(token) == expected:
        return client
    # RFC 7592 asks for 401; Authlete answers so only when the service opts in (contract §6).
    opted_in = read_service(db).get("unauthorizedOnClientConfigSupported")
    raise _Refusal(
        "invalid_token",
        "The registration access token is not valid for the client.",
        "UNAUTHORIZED" if opted_in else "BAD_REQUEST",
    )


def _registration_content(
    db: sqlite3.Connection, client: dict[str, Any], registration_token: str
) -> str:
    endpoint = read_service(db).get("registrationEndpoint", "https://as.example.com/register")
    content = _client_metadata(client)
    content["registration_access_token"] = registration_token
    content["registration_client_uri"] = f"{endpoint.rstrip('/')}/{client['clientId']}"
    return json.dumps(content, ensure_ascii=False)


# --- Client metadata (RFC 7591) <-> Authlete client ----------------------------------------------
_METADATA_GRANT_TYPES = {
    "authorization_code": "AUTHORIZATION_CODE",
    "implicit": "IMPLICIT",
    "password": "PASSWORD",
    "client_credentials": "CLIENT_CREDENTIALS",
    "refresh_token": "REFRESH_TOKEN",
    "urn:openid:params:grant-type:ciba": "CIBA",
    "urn:ietf:params:oauth:grant-type:device_code": "DEVICE_CODE",
    "urn:ietf:params:oauth:grant-type:token-exchange": "TOKEN_EXCHANGE",
    "urn:ietf:params:oauth:grant-type:jwt-bearer": "JWT_BEARER",
    "urn:ietf:params:oauth:grant-type:pre-authorized_code": "PRE_AUTHORIZED_CODE",
}
_METADATA_RESPONSE_TYPES = {
    "none": "NONE",
    "code": "CODE",
    "token": "TOKEN",
    "id_token": "ID_TOKEN",
    "code token": "CODE_TOKEN",
    "code id_token": "CODE_ID_TOKEN",
    "id_token token": "ID_TOKEN_TOKEN",
    "code id_token token": "CODE_ID_TOKEN_TOKEN",
}
_RESPONSE_TYPE_WORD_ORDER = ("none", "code", "id_token", "token")
_METADATA_AUTH_METHODS = (
    "none",
    "client_secret_basic",
    "client_secret_post",
    "client_secret_jwt",
    "private_key_jwt",
    "tls_client_auth",
    "self_signed_tls_client_auth",
)
# Metadata that may carry a language tag ("client_name#ja") and the client fields they map to.
_LOCALIZABLE = {
    "client_name": ("clientName", "clientNames"),
    "logo_uri": ("logoUri", "logoUris"),
    "client_uri": ("clientUri", "clientUris"),
    "policy_uri": ("policyUri", "policyUris"),
    "tos_uri": ("tosUri", "tosUris"),
}
_PLAIN_STRINGS = {
    "software_id": "softwareId",
    "software_version": "softwareVersion",
    "developer": "developer",
}


def _parse_metadata(text: Any) -> dict[str, Any]:
    """Client fields from RFC 7591 metadata; raises _Refusal with the error to send back."""
    metadata = _metadata_object(text)
    fields = _metadata_strings(metadata)
    lists = {
        key: _metadata_list(metadata, key)
        for key in ("redirect_uris", "grant_types", "response_types", "contacts")
    }
    grant_types = lists["grant_types"] or ["authorization_code"]
    if any(value not in _METADATA_GRANT_TYPES for value in grant_types):
        raise _bad_metadata("'grant_types' holds an unsupported grant type.")
    response_types = [_canonical_response_type(v) for v in lists["response_types"] or ["code"]]
    if any(value not in _METADATA_RESPONSE_TYPES for value in response_types):
        raise _bad_metadata("'response_types' holds an unsupported value.")
    application_type = metadata.get("application_type", "web")
    if application_type not in ("web", "native"):
        raise _bad_metadata("'application_type' must be 'web' or 'native'.")
    auth_method = metadata.get("token_endpoint_auth_method", "client_secret_basic")
    if auth_method not in _METADATA_AUTH_METHODS:
        raise _bad_metadata("'token_endpoint_auth_method' is not supported.")
    redirect_uris = lists["redirect_uris"] or []
    if not redirect_uris and {"authorization_code", "implicit"} & set(grant_types):
        raise _Refusal("invalid_redirect_uri", "'redirect_uris' is required for redirect flows.")
    for uri in redirect_uris:
        problem = _redirect_uri_problem(uri, application_type)
        if problem:
            raise _Refusal("invalid_redirect_uri", f"The redirect URI {uri} {problem}.")
    fields.update(
        redirectUris=redirect_uris,
        grantTypes=[_METADATA_GRANT_TYPES[value] for value in grant_types],
        responseTypes=[_METADATA_RESPONSE_TYPES[value] for value in response_types],
        applicationType=application_type.upper(),
        tokenAuthMethod=auth_method.upper(),
        clientType="PUBLIC" if auth_method == "none" else "CONFIDENTIAL",
    )
    if lists["contacts"] is not None:
        fields["contacts"] = lists["contacts"]
    return fields


def _metadata_object(text: Any) -> dict[str, Any]:
    if not isinstance(text, str):
        raise _bad_metadata("The request does not contain client metadata.")
    try:
        metadata = json.loads(text)
    except ValueError as problem:
        raise _bad_metadata("The client metadata is not valid JSON.") from problem
    if not isinstance(metadata, dict):
        raise _bad_metadata("The client metadata is not a JSON object.")
    return metadata


def _metadata_strings(metadata: dict[str, Any]) -> dict[str, Any]:
    """The client fields that come from string metadata, with "name#tag" translations."""
    fields: dict[str, Any] = {}
    for key, value in metadata.items():
        name, _, tag = key.partition("#")
        if name not in _LOCALIZABLE and key not in _PLAIN_STRINGS:
            continue
        if not isinstance(value, str):
            raise _bad_metadata(f"'{key}' must be a string.")
        if key in _PLAIN_STRINGS:
            fields[_PLAIN_STRINGS[key]] = value
            continue
        if name != "client_name" and not _is_web_url(value):
            raise _bad_metadata(f"'{key}' must be an http(s) URL.")
        single, tagged = _LOCALIZABLE[name]
        if tag:
            fields.setdefault(tagged, []).append({"tag": tag, "value": value})
        else:
            fields[single] = value
    return fields


def _metadata_list(metadata: dict[str, Any], key: str) -> list[str] | None:
    value = metadata.get(key)
    if value is not None and (
        not isinstance(value, list) or not all(isinstance(item, str) for item in value)
    ):
        error = "invalid_redirect_uri" if key == "redirect_uris" else "invalid_client_metadata"
        raise _Refusal(error, f"'{key}' must be an array of strings.")
    return value


def _claimed_client_id(text: str) -> str | None:
    """The client_id an update's metadata names, if any (RFC 7592 §2.2 requires it to match)."""
    claimed = json.loads(text).get("client_id")
    return None if claimed is None else str(claimed)


def _client_metadata(client: dict[str, Any]) -> dict[str, Any]:
    """The RFC 7591 metadata of a client, as the registration endpoint returns it."""
    metadata: dict[str, Any] = {
        "client_id": str(client["clientId"]),
        "client_id_issued_at": client["createdAt"] // 1000,
    }
    if client.get("clientType") == "CONFIDENTIAL":
        metadata["client_secret"] = client["clientSecret"]
        metadata["client_secret_expires_at"] = 0
    for name, (single, tagged) in _LOCALIZABLE.items():
        if single in client:
            metadata[name] = client[single]
        for entry in client.get(tagged, []):
            metadata[f"{name}#{entry['tag']}"] = entry["value"]
    metadata["redirect_uris"] = client.get("redirectUris", [])
    metadata["grant_types"] = [
        key for key, value in _METADATA_GRANT_TYPES.items() if value in client.get("grantTypes", [])
    ]
    metadata["response_types"] = [
        key
        for key, value in _METADATA_RESPONSE_TYPES.items()
        if value in client.get("responseTypes", [])
    ]
    metadata["token_endpoint_auth_method"] = client.get(
        "tokenAuthMethod", "CLIENT_SECRET_BASIC"
    ).lower()
    if "applicationType" in client:
        metadata["application_type"] = client["applicationType"].lower()
    for key, field in (
        ("contacts", "contacts"),
        ("software_id", "softwareId"),
        ("software_version", "softwareVersion"),
    ):
        if field in client:
            metadata[key] = client[field]
    return metadata


def _canonical_response_type(value: str) -> str:
    words = value.split()
    if any(word not in _RESPONSE_TYPE_WORD_ORDER for word in words):
        return value
    return " ".join(sorted(set(words), key=_RESPONSE_TYPE_WORD_ORDER.index))


def _is_web_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _redirect_uri_problem(uri: str, application_type: str) -> str | None:
    parts = urlsplit(uri)
    if not parts.scheme:
        return "is not absolute"
    if parts.fragment:
        return "has a fragment"
    if application_type == "web" and parts.scheme != "https":
        local = parts.scheme == "http" and parts.hostname in ("localhost", "127.0.0.1", "::1")
        if not local:
            return "must use https"
    return None
