"""Authlete's JSON answers checked against their documented shape and built into dataclasses."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from connected_apps.authlete.errors import AuthleteMalformed
from connected_apps.authlete.types import (
    AuthorizedClientPage,
    ClientDetails,
    ClientPage,
    ClientSummary,
    GrantedScopes,
    LocalizedText,
    RegistrationResult,
    ResultOutcome,
    ScopeDefinition,
    Service,
    TokenCreateResult,
    TokenInfo,
    TokenPage,
    TokenProperty,
    TokenUpdateResult,
)

if TYPE_CHECKING:
    import requests

type Body = Mapping[str, Any]

_COUNT_IN_MESSAGE = re.compile(r"(?:Updated|Deleted|Revoked) (\d+) access token")


class _ShapeError(ValueError):
    """A field in Authlete's answer is not of the documented type."""


def json_object(response: requests.Response, operation: str) -> dict[str, Any]:
    """The answer's body, which Authlete documents as a JSON object."""
    try:
        body = response.json()
    except ValueError:
        shape = "JSON"
    else:
        if isinstance(body, dict):
            return body
        shape = "a JSON object"
    raise AuthleteMalformed(
        f"Authlete's answer to {operation} was not {shape}.",
        operation=operation,
        status=response.status_code,
    )


def result_fields(response: requests.Response) -> tuple[str | None, str | None]:
    """Authlete's resultCode and resultMessage from an error answer, when it sent them."""
    try:
        body = response.json()
    except ValueError:
        return None, None
    if not isinstance(body, dict):
        return None, None
    code, message = body.get("resultCode"), body.get("resultMessage")
    return (str(code) if code is not None else None, str(message) if message else None)


def parse[R](operation: str, build: Callable[[Body], R], body: Body) -> R:
    """Build the answer to ``operation``, reporting a field of the wrong type as malformed."""
    try:
        return build(body)
    except _ShapeError as exc:
        raise AuthleteMalformed(
            f"Authlete's answer to {operation} has a malformed {exc} field.", operation=operation
        ) from None


# --- Answers ----------------------------------------------------------------------------------


def service(body: Body) -> Service:
    # A token without service-view rights gets an answer with no supportedScopes at all.
    limited = "supportedScopes" not in body
    return Service(
        api_key=str(body.get("apiKey") or ""),
        name=_text(body, "serviceName"),
        description=_text(body, "description"),
        scopes=tuple(
            ScopeDefinition(
                name=_text(item, "name"),
                description=_text(item, "description"),
                descriptions=_localized(item, "descriptions"),
                attributes=_attributes(item),
            )
            for item in _objects(body, "supportedScopes")
        ),
        limited=limited,
    )


def client_summary(data: Body) -> ClientSummary:
    return ClientSummary(**_summary_fields(data))


def client_details(data: Body) -> ClientDetails:
    return ClientDetails(
        **_summary_fields(data),
        logo_uri=_text(data, "logoUri"),
        logo_uris=_localized(data, "logoUris"),
        client_uri=_text(data, "clientUri"),
        client_uris=_localized(data, "clientUris"),
        policy_uri=_text(data, "policyUri"),
        policy_uris=_localized(data, "policyUris"),
        tos_uri=_text(data, "tosUri"),
        tos_uris=_localized(data, "tosUris"),
        developer=_text(data, "developer"),
        application_type=_text(data, "applicationType"),
        contacts=_strings(data, "contacts"),
        redirect_uris=_strings(data, "redirectUris"),
        dynamically_registered=bool(data.get("dynamicallyRegistered")),
        created_at=_millis(data, "createdAt"),
        modified_at=_millis(data, "modifiedAt"),
        attributes=_attributes(data),
        locked=data.get("locked") is True,
    )


def authorized_client_page(
    body: Body, *, subject: str, start: int, end: int
) -> AuthorizedClientPage:
    return AuthorizedClientPage(
        **_window(body, start, end),
        subject=str(body.get("subject") or subject),
        clients=tuple(client_summary(item) for item in _objects(body, "clients")),
    )


def client_page(body: Body, *, start: int, end: int) -> ClientPage:
    return ClientPage(
        **_window(body, start, end),
        clients=tuple(client_details(item) for item in _objects(body, "clients")),
    )


def granted_scopes(body: Body) -> GrantedScopes:
    return GrantedScopes(
        latest=_optional_strings(body, "latestGrantedScopes"),
        merged=_optional_strings(body, "mergedGrantedScopes"),
        modified_at=_millis(body, "modifiedAt"),
    )


def confirmed(body: Body, *, result_code: str) -> ResultOutcome:
    """The outcome of a write, only when Authlete answered with the documented success code:
    any other answer to a 2xx proves nothing and is reported as malformed (an unknown outcome)."""
    answer = outcome(body)
    if answer.result_code != result_code:
        raise _ShapeError(f"resultCode (expected {result_code}, got {answer.result_code!r})")
    return answer


def outcome(body: Body) -> ResultOutcome:
    message = _text(body, "resultMessage")
    match = _COUNT_IN_MESSAGE.search(message)
    return ResultOutcome(
        result_code=_text(body, "resultCode"),
        result_message=message,
        token_count=int(match.group(1)) if match else None,
    )


def token_page(body: Body, *, start: int, end: int) -> TokenPage:
    client = body.get("client")
    return TokenPage(
        **_window(body, start, end),
        tokens=tuple(_token(item) for item in _objects(body, "accessTokens")),
        client=client_summary(client)
        if isinstance(client, Mapping) and "clientId" in client
        else None,
    )


def token_update_result(body: Body) -> TokenUpdateResult:
    return TokenUpdateResult(
        action=_text(body, "action"),
        result_code=_text(body, "resultCode"),
        result_message=_text(body, "resultMessage"),
        scopes=_optional_strings(body, "scopes"),
        access_token_expires_at=_millis(body, "accessTokenExpiresAt"),
        properties=_properties(body) if body.get("properties") is not None else None,
    )


def token_create_result(body: Body) -> TokenCreateResult:
    return TokenCreateResult(
        action=_text(body, "action"),
        result_code=_text(body, "resultCode"),
        result_message=_text(body, "resultMessage"),
        refresh_token_issued=bool(body.get("refreshToken")),
        scopes=_strings(body, "scopes"),
    )


def registration_result(body: Body) -> RegistrationResult:
    client = body.get("client")
    client_id = client.get("clientId") if isinstance(client, Mapping) else None
    return RegistrationResult(
        action=_text(body, "action"),
        response_content=_text(body, "responseContent"),
        result_code=_text(body, "resultCode"),
        client_id=int(client_id) if isinstance(client_id, int) else None,
    )


# --- Parts of answers -------------------------------------------------------------------------


def _summary_fields(data: Body) -> dict[str, Any]:
    """The fields every kind of client answer carries; the details add to them."""
    return {
        "client_id": _client_id(data),
        "alias": _text(data, "clientIdAlias"),
        "name": _text(data, "clientName"),
        "names": _localized(data, "clientNames"),
        "description": _text(data, "description"),
        "descriptions": _localized(data, "descriptions"),
        "client_type": _text(data, "clientType"),
    }


def _window(body: Body, start: int, end: int) -> dict[str, int]:
    """Where a page sits in its list; Authlete may leave out the window it was asked for."""
    return {
        "start": _int(body, "start", start),
        "end": _int(body, "end", end),
        "total_count": _int(body, "totalCount", 0),
    }


def _token(data: Body) -> TokenInfo:
    return TokenInfo(
        access_token_hash=_text(data, "accessTokenHash"),
        access_token_expires_at=_millis(data, "accessTokenExpiresAt"),
        refresh_token_hash=_text(data, "refreshTokenHash"),
        refresh_token_expires_at=_millis(data, "refreshTokenExpiresAt"),
        created_at=_millis(data, "createdAt"),
        last_refreshed_at=_millis(data, "lastRefreshedAt"),
        client_id=_client_id(data),
        subject=_text(data, "subject"),
        grant_type=_text(data, "grantType"),
        scopes=_strings(data, "scopes"),
        refresh_token_scopes=_strings(data, "refreshTokenScopes"),
        properties=_properties(data),
    )


def _properties(data: Body) -> tuple[TokenProperty, ...]:
    return tuple(
        TokenProperty(
            key=_text(item, "key"), value=_text(item, "value"), hidden=bool(item.get("hidden"))
        )
        for item in _objects(data, "properties")
    )


def _attributes(data: Body) -> tuple[tuple[str, str], ...]:
    """Authlete's ``attributes``: the key/value pairs an operator sets on a scope or a client."""
    pairs = _objects(data, "attributes")
    return tuple((_text(pair, "key"), _text(pair, "value")) for pair in pairs)


def _localized(data: Body, key: str) -> tuple[LocalizedText, ...]:
    return tuple(
        LocalizedText(tag=_text(item, "tag"), value=_text(item, "value"))
        for item in _objects(data, key)
    )


# --- Fields -----------------------------------------------------------------------------------


def _text(data: Body, key: str) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str | int):
        raise _ShapeError(key)
    return str(value)


def _int(data: Body, key: str, default: int) -> int:
    value = data.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise _ShapeError(key)
    return value


def _client_id(data: Body) -> int:
    value = data.get("clientId")
    if isinstance(value, bool) or not isinstance(value, int):
        raise _ShapeError("clientId")
    return value


def _millis(data: Body, key: str) -> datetime | None:
    value = data.get(key)
    if value in (None, 0):
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _ShapeError(key)
    return datetime.fromtimestamp(value / 1000, tz=UTC)


def _objects(data: Body, key: str) -> list[Body]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise _ShapeError(key)
    return value


def _strings(data: Body, key: str) -> tuple[str, ...]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _ShapeError(key)
    return tuple(value)


def _optional_strings(data: Body, key: str) -> tuple[str, ...] | None:
    return None if data.get(key) is None else _strings(data, key)
