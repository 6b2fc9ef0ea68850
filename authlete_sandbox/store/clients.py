"""Clients: client/get, /get/list, /create and /delete, and the client lookups other areas use."""

from __future__ import annotations

import json
import secrets
import sqlite3
from typing import Any

from authlete_sandbox.store import (
    CLIENT_NOT_FOUND,
    CONFLICT,
    ApiError,
    Store,
    dump,
    now_ms,
    read_service,
)
from authlete_sandbox.store.params import bad_request, developer_of, page_of, string_list

GRANT_TYPES = (
    "AUTHORIZATION_CODE",
    "IMPLICIT",
    "PASSWORD",
    "CLIENT_CREDENTIALS",
    "REFRESH_TOKEN",
    "CIBA",
    "DEVICE_CODE",
    "TOKEN_EXCHANGE",
    "JWT_BEARER",
    "PRE_AUTHORIZED_CODE",
)
CLIENT_TYPES = ("PUBLIC", "CONFIDENTIAL")
APPLICATION_TYPES = ("WEB", "NATIVE")

# What a caller without the right to view a client gets (SPEC `client_limited`).
LIMITED_CLIENT_FIELDS = (
    "number",
    "clientName",
    "clientNames",
    "description",
    "descriptions",
    "clientId",
    "clientIdAlias",
    "clientIdAliasEnabled",
    "clientType",
)

# Fields of a client that Authlete assigns; a caller's values for them are ignored.
ASSIGNED_CLIENT_FIELDS = (
    "clientId",
    "clientSecret",
    "number",
    "serviceNumber",
    "createdAt",
    "modifiedAt",
    "dynamicallyRegistered",
    "registrationAccessTokenHash",
    "derivedSectorIdentifier",
)

# What a new client has unless its creator says otherwise.
CLIENT_DEFAULTS = {
    "clientType": "CONFIDENTIAL",
    "grantTypes": ["AUTHORIZATION_CODE", "REFRESH_TOKEN"],
    "responseTypes": ["CODE"],
    "tokenAuthMethod": "CLIENT_SECRET_BASIC",
    "subjectType": "PUBLIC",
    "idTokenSignAlg": "RS256",
}


def limited_client(client: dict[str, Any]) -> dict[str, Any]:
    return {key: client[key] for key in LIMITED_CLIENT_FIELDS if key in client}


def client_get(store: Store, identifier: str) -> dict[str, Any]:
    with store.tx() as db:
        return known_client(db, identifier)


def client_create(store: Store, fields: dict[str, Any], **assigned: Any) -> dict[str, Any]:
    """Create a client. ``assigned`` lets the seed fix clientId, number and createdAt."""
    with store.tx() as db:
        return insert_client(db, fields, **assigned)


def client_delete(store: Store, identifier: str) -> None:
    """Delete a client and what was issued to it (client/delete); an unknown client is a 404."""
    with store.tx() as db:
        delete_client(db, known_client(db, identifier)["clientId"])


def client_list(store: Store, params: dict[str, Any], *, limited: bool) -> dict[str, Any]:
    """The service's clients, or only those of ``developer``, by number (client/get/list)."""
    developer = developer_of(params)
    start, end = page_of(params)
    query, args = "SELECT data FROM clients", []
    if developer is not None:
        query += " WHERE developer = ?"
        args.append(developer)
    with store.tx() as db:
        clients = [json.loads(row["data"]) for row in db.execute(query + " ORDER BY number", args)]
    page = clients[start:end]
    return {
        "start": start,
        "end": end,
        "totalCount": len(clients),
        "clients": [limited_client(c) for c in page] if limited else page,
    }


def known_client(db: sqlite3.Connection, identifier: Any) -> dict[str, Any]:
    """The client by ID or alias, or a 404."""
    client = find_client(db, identifier)
    if client is None:
        # The spec's words; the client's ID is in the path that the error message starts with.
        raise ApiError(404, CLIENT_NOT_FOUND, "The client was not found.")
    return client


def find_client(db: sqlite3.Connection, identifier: Any) -> dict[str, Any] | None:
    # Authlete accepts the numeric client ID or the client ID alias wherever it takes a client.
    text = str(identifier).strip()
    row = None
    # ASCII digits only: str.isdigit() also holds for "³", which int() refuses.
    if text.isascii() and text.isdigit() and len(text) < 19:
        row = db.execute("SELECT data FROM clients WHERE client_id = ?", (int(text),)).fetchone()
    if row is None:
        row = db.execute("SELECT data FROM clients WHERE alias = ?", (text,)).fetchone()
    return json.loads(row["data"]) if row else None


def insert_client(
    db: sqlite3.Connection,
    fields: dict[str, Any],
    *,
    client_id: int | None = None,
    number: int | None = None,
    created_at: int | None = None,
    dynamically_registered: bool = False,
) -> dict[str, Any]:
    client = {k: v for k, v in fields.items() if k not in ASSIGNED_CLIENT_FIELDS and v is not None}
    _check_client_fields(client)
    client_id = client_id or _new_client_id(db)
    if number is None:
        number = db.execute("SELECT COALESCE(MAX(number), 1000) + 1 FROM clients").fetchone()[0]
    created_at = created_at or now_ms()
    alias = client.get("clientIdAlias") or str(client_id)
    if find_client(db, alias) is not None:
        raise ApiError(400, CONFLICT, f"The client ID alias '{alias}' is already in use.")
    service = read_service(db)
    client = {
        "clientId": client_id,
        "clientIdAlias": alias,
        "clientIdAliasEnabled": True,
        **CLIENT_DEFAULTS,
        **client,
        "clientSecret": secrets.token_urlsafe(64),
        "number": number,
        "serviceNumber": service["number"],
        "dynamicallyRegistered": dynamically_registered,
        "createdAt": created_at,
        "modifiedAt": created_at,
    }
    db.execute(
        "INSERT INTO clients (client_id, number, alias, developer, data) VALUES (?, ?, ?, ?, ?)",
        (client_id, number, alias, client.get("developer"), dump(client)),
    )
    return client


def save_client(db: sqlite3.Connection, client: dict[str, Any]) -> None:
    db.execute(
        "UPDATE clients SET alias = ?, developer = ?, data = ? WHERE client_id = ?",
        (client["clientIdAlias"], client.get("developer"), dump(client), client["clientId"]),
    )


def delete_client(db: sqlite3.Connection, client_id: int) -> None:
    """The client and everything issued to it."""
    for table in ("clients", "tokens", "granted_scopes"):
        db.execute(f"DELETE FROM {table} WHERE client_id = ?", (client_id,))  # noqa: S608


def _new_client_id(db: sqlite3.Connection) -> int:
    while True:
        candidate = 10**13 + secrets.randbelow(9 * 10**13)
        if find_client(db, candidate) is None:
            return candidate


def _check_client_fields(client: dict[str, Any]) -> None:
    if client.get("clientType", "CONFIDENTIAL") not in CLIENT_TYPES:
        raise bad_request(f"'clientType' must be one of {', '.join(CLIENT_TYPES)}.")
    if client.get("applicationType", "WEB") not in APPLICATION_TYPES:
        raise bad_request(f"'applicationType' must be one of {', '.join(APPLICATION_TYPES)}.")
    for name in ("clientName", "description", "developer", "clientIdAlias", "logoUri", "clientUri"):
        if name in client and not isinstance(client[name], str):
            raise bad_request(f"'{name}' must be a string.")
    for name in ("redirectUris", "contacts"):
        string_list(client.get(name), name)
    if any(
        value not in GRANT_TYPES
        for value in string_list(client.get("grantTypes"), "grantTypes") or []
    ):
        raise bad_request("'grantTypes' holds an unknown grant type.")
