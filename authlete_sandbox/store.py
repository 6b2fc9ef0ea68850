"""The sandbox's state in SQLite, and what each Authlete operation does to it."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from authlete_sandbox import SERVICE_ID, seed

# Outcome digits of a result code ("A" + API number + these). The first digit is Authlete's
# category: 2 = the caller's mistake, 3 = the client application's (or its token's) problem.
BAD_REQUEST = "201"
CLIENT_NOT_FOUND = "204"
TOKEN_NOT_FOUND = "205"  # noqa: S105 - a result code, not a secret
CONFLICT = "206"

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
FAULT_KINDS = (
    "latency",
    "status500",
    "status503",
    "status429",
    "hang",
    "malformed",
    "wrong_shape",
    "reset",
)
HANG_SECONDS = 30.0

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
LIMITED_SERVICE_FIELDS = ("apiKey", "description", "number", "serviceName")

# Fields of a client that Authlete assigns; a caller's values for them are ignored.
_ASSIGNED_CLIENT_FIELDS = (
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
_CLIENT_DEFAULTS = {
    "clientType": "CONFIDENTIAL",
    "grantTypes": ["AUTHORIZATION_CODE", "REFRESH_TOKEN"],
    "responseTypes": ["CODE"],
    "tokenAuthMethod": "CLIENT_SECRET_BASIC",
    "subjectType": "PUBLIC",
    "idTokenSignAlg": "RS256",
}

_TABLES = ("service", "clients", "tokens", "granted_scopes", "faults", "requests")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS service (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS clients (
    client_id INTEGER PRIMARY KEY,
    number INTEGER NOT NULL UNIQUE,
    alias TEXT UNIQUE,
    developer TEXT,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_id TEXT NOT NULL UNIQUE,
    access_token_hash TEXT NOT NULL UNIQUE,
    refresh_token_hash TEXT UNIQUE,
    client_id INTEGER NOT NULL,
    subject TEXT,
    grant_type TEXT NOT NULL,
    scopes TEXT NOT NULL,
    properties TEXT NOT NULL,
    access_token_expires_at INTEGER NOT NULL,
    refresh_token_expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    last_refreshed_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS tokens_by_subject ON tokens (subject, client_id);
CREATE TABLE IF NOT EXISTS granted_scopes (
    client_id INTEGER NOT NULL,
    subject TEXT NOT NULL,
    latest TEXT NOT NULL,
    merged TEXT NOT NULL,
    modified_at INTEGER NOT NULL,
    PRIMARY KEY (client_id, subject)
);
CREATE TABLE IF NOT EXISTS faults (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    path TEXT NOT NULL,
    method TEXT,
    kind TEXT NOT NULL,
    delay_ms INTEGER,
    retry_after INTEGER,
    times INTEGER
);
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    query TEXT NOT NULL,
    body TEXT,
    status INTEGER,
    at INTEGER NOT NULL
);
"""


class ApiError(Exception):
    """A call the service refuses: the HTTP status, the outcome digits of the result code, why."""

    def __init__(self, status: int, outcome: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.outcome = outcome
        self.message = message


def now_ms() -> int:
    return int(time.time() * 1000)


def token_hash(value: str) -> str:
    """Base64url SHA-256 without padding: the 43-character form Authlete shows for tokens."""
    digest = hashlib.sha256(value.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def new_token_value() -> str:
    return secrets.token_urlsafe(32)


def limited_client(client: dict[str, Any]) -> dict[str, Any]:
    return {key: client[key] for key in LIMITED_CLIENT_FIELDS if key in client}


def _bad_request(message: str) -> ApiError:
    return ApiError(400, BAD_REQUEST, message)


def _subject(params: dict[str, Any]) -> str:
    subject = params.get("subject")
    if not isinstance(subject, str) or not subject:
        raise _bad_request("The request does not contain 'subject'.")
    return subject


def _string_list(value: Any, name: str) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _bad_request(f"'{name}' must be an array of strings.")
    return list(dict.fromkeys(value))


def _properties(value: Any) -> list[dict[str, Any]] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise _bad_request("'properties' must be an array.")
    properties = []
    for item in value:
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("key"), str)
            or not isinstance(item.get("value"), str)
            or not isinstance(item.get("hidden", False), bool)
        ):
            raise _bad_request("Each property needs a string 'key' and 'value'.")
        properties.append(
            {"key": item["key"], "value": item["value"], "hidden": item.get("hidden", False)}
        )
    return properties


def _optional_int(value: Any, name: str) -> int | None:
    # Query strings and form bodies carry numbers as text.
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad_request(f"'{name}' must be an integer.")
    return value


def _page(params: dict[str, Any]) -> tuple[int, int]:
    """``start`` (inclusive, default 0) and ``end`` (exclusive, default 5) of a list call."""
    start = _optional_int(params.get("start"), "start")
    end = _optional_int(params.get("end"), "end")
    start = 0 if start is None else start
    end = 5 if end is None else end
    if start < 0 or end < 0:
        raise _bad_request("'start' and 'end' must not be negative.")
    return start, max(start, end)


def _result(code: str, message: str, **fields: Any) -> dict[str, Any]:
    return {"resultCode": code, "resultMessage": f"[{code}] {message}", **fields}


class Store:
    """All the sandbox's state: one SQLite connection, shared by the threads under a lock."""

    def __init__(
        self, path: str = ":memory:", *, public_url: str = "http://127.0.0.1:8765"
    ) -> None:
        self.public_url = public_url.rstrip("/")
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.executescript(_SCHEMA)
        # Hanging requests wait on this; a new generation (faults cleared, reset, close) wakes them.
        self._wake = threading.Condition()
        self._generation = 0

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._db:
            yield self._db

    def close(self) -> None:
        self.wake_hanging()
        with self._lock:
            self._db.close()

    # --- Lifecycle -------------------------------------------------------------------------------

    def is_empty(self) -> bool:
        with self._tx() as db:
            return db.execute("SELECT 1 FROM service").fetchone() is None

    def reset(self, world: str) -> None:
        """Wipe everything (state, faults, request log) and load a seeded world."""
        if world not in seed.WORLDS:
            raise ValueError(f"unknown seed {world!r}; choose one of {', '.join(seed.WORLDS)}")
        with self._lock:
            with self._db:
                for table in _TABLES:
                    self._db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            self.wake_hanging()
            seed.load(self, world)

    # --- Service ---------------------------------------------------------------------------------

    def install_service(self, service: dict[str, Any]) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO service (id, data) VALUES (1, ?)", (_dump(service),))

    def update_service(self, changes: dict[str, Any]) -> dict[str, Any]:
        with self._tx():
            service = {**self._service(), **changes, "modifiedAt": now_ms()}
            self._db.execute("UPDATE service SET data = ?", (_dump(service),))
            return service

    def service(self, *, limited: bool = False) -> dict[str, Any]:
        with self._tx():
            service = self._service()
        if limited:
            return {key: service[key] for key in LIMITED_SERVICE_FIELDS if key in service}
        return service

    def _service(self) -> dict[str, Any]:
        row = self._db.execute("SELECT data FROM service").fetchone()
        if row is None:
            raise ApiError(500, "101", "The service is not configured.")
        return json.loads(row["data"])

    def _supported_scopes(self) -> list[str]:
        return [scope["name"] for scope in self._service().get("supportedScopes", [])]

    # --- Clients ---------------------------------------------------------------------------------

    def client_get(self, identifier: str) -> dict[str, Any]:
        with self._tx():
            return self._client(identifier)

    def client_create(self, fields: dict[str, Any], **assigned: Any) -> dict[str, Any]:
        """Create a client. ``assigned`` lets the seed fix clientId, number and createdAt."""
        with self._tx():
            return self._create_client(fields, **assigned)

    def client_list(self, params: dict[str, Any], *, limited: bool) -> dict[str, Any]:
        """The service's clients, or only those of ``developer``, by number (client/get/list)."""
        developer = params.get("developer") or None
        if developer is not None and not isinstance(developer, str):
            raise _bad_request("'developer' must be a string.")
        start, end = _page(params)
        query, args = "SELECT data FROM clients", []
        if developer is not None:
            query += " WHERE developer = ?"
            args.append(developer)
        with self._tx() as db:
            clients = [
                json.loads(row["data"]) for row in db.execute(query + " ORDER BY number", args)
            ]
        page = clients[start:end]
        return {
            "start": start,
            "end": end,
            "totalCount": len(clients),
            "clients": [limited_client(c) for c in page] if limited else page,
        }

    def _client(self, identifier: Any) -> dict[str, Any]:
        client = self._find_client(identifier)
        if client is None:
            # The spec's words; the client's ID is in the path that the error message starts with.
            raise ApiError(404, CLIENT_NOT_FOUND, "The client was not found.")
        return client

    def _find_client(self, identifier: Any) -> dict[str, Any] | None:
        # Authlete accepts the numeric client ID or the client ID alias wherever it takes a client.
        text = str(identifier).strip()
        row = None
        if text.isdigit() and len(text) < 19:
            row = self._db.execute(
                "SELECT data FROM clients WHERE client_id = ?", (int(text),)
            ).fetchone()
        if row is None:
            row = self._db.execute("SELECT data FROM clients WHERE alias = ?", (text,)).fetchone()
        return json.loads(row["data"]) if row else None

    def _create_client(
        self,
        fields: dict[str, Any],
        *,
        client_id: int | None = None,
        number: int | None = None,
        created_at: int | None = None,
        dynamically_registered: bool = False,
    ) -> dict[str, Any]:
        client = {
            k: v for k, v in fields.items() if k not in _ASSIGNED_CLIENT_FIELDS and v is not None
        }
        _check_client_fields(client)
        client_id = client_id or self._new_client_id()
        if number is None:
            number = self._db.execute(
                "SELECT COALESCE(MAX(number), 1000) + 1 FROM clients"
            ).fetchone()[0]
        created_at = created_at or now_ms()
        alias = client.get("clientIdAlias") or str(client_id)
        if self._find_client(alias) is not None:
            raise ApiError(400, CONFLICT, f"The client ID alias '{alias}' is already in use.")
        service = self._service()
        client = {
            "clientId": client_id,
            "clientIdAlias": alias,
            "clientIdAliasEnabled": True,
            **_CLIENT_DEFAULTS,
            **client,
            "clientSecret": secrets.token_urlsafe(64),
            "number": number,
            "serviceNumber": service["number"],
            "dynamicallyRegistered": dynamically_registered,
            "createdAt": created_at,
            "modifiedAt": created_at,
        }
        self._db.execute(
            "INSERT INTO clients (client_id, number, alias, developer, data)"
            " VALUES (?, ?, ?, ?, ?)",
            (client_id, number, alias, client.get("developer"), _dump(client)),
        )
        return client

    def _save_client(self, client: dict[str, Any]) -> None:
        self._db.execute(
            "UPDATE clients SET alias = ?, developer = ?, data = ? WHERE client_id = ?",
            (client["clientIdAlias"], client.get("developer"), _dump(client), client["clientId"]),
        )

    def _delete_client(self, client_id: int) -> None:
        for table in ("clients", "tokens", "granted_scopes"):
            self._db.execute(f"DELETE FROM {table} WHERE client_id = ?", (client_id,))  # noqa: S608

    def _new_client_id(self) -> int:
        while True:
            candidate = 10**13 + secrets.randbelow(9 * 10**13)
            if self._find_client(candidate) is None:
                return candidate

    # --- Authorizations: what a user gave to a client --------------------------------------------

    def authorization_list(
        self,
        params: dict[str, Any],
        *,
        full_clients: bool,
    ) -> dict[str, Any]:
        """The clients a subject has authorized: every client the subject holds any token for."""
        subject = _subject(params)
        developer = params.get("developer") or None
        if developer is not None and not isinstance(developer, str):
            raise _bad_request("'developer' must be a string.")
        start, end = _page(params)
        query = (
            "SELECT data FROM clients"
            " WHERE client_id IN (SELECT client_id FROM tokens WHERE subject = ?)"
        )
        args: list[Any] = [subject]
        if developer is not None:
            query += " AND developer = ?"
            args.append(developer)
        with self._tx() as db:
            clients = [
                json.loads(row["data"]) for row in db.execute(query + " ORDER BY number", args)
            ]
        page = clients[start:end]
        response: dict[str, Any] = {"start": start, "end": end, "subject": subject}
        if developer is not None:
            response["developer"] = developer
        response["totalCount"] = len(clients)
        response["clients"] = page if full_clients else [limited_client(c) for c in page]
        return response

    def authorization_update(self, identifier: str, params: dict[str, Any]) -> dict[str, Any]:
        """Replace the scopes of every token of (client, subject), granted or not, like Authlete."""
        subject = _subject(params)
        scopes = _string_list(params.get("scopes"), "scopes")
        with self._tx() as db:
            client_id = self._client(identifier)["clientId"]
            if scopes is None:
                count = db.execute(
                    "SELECT COUNT(*) FROM tokens WHERE client_id = ? AND subject = ?",
                    (client_id, subject),
                ).fetchone()[0]
            else:
                count = db.execute(
                    "UPDATE tokens SET scopes = ? WHERE client_id = ? AND subject = ?",
                    (_dump(scopes), client_id, subject),
                ).rowcount
        return _result(
            "A138001",
            f"Updated {count} access token(s) issued to the client (ID = {client_id}) "
            f"of the service (API Key = {SERVICE_ID}).",
        )

    def authorization_delete(self, identifier: str, params: dict[str, Any]) -> dict[str, Any]:
        """Delete every token (access and refresh) of (client, subject); granted scopes stay."""
        subject = _subject(params)
        with self._tx() as db:
            client_id = self._client(identifier)["clientId"]
            count = db.execute(
                "DELETE FROM tokens WHERE client_id = ? AND subject = ?", (client_id, subject)
            ).rowcount
        return _result(
            "A137001",
            f"Deleted {count} access token(s) issued to the client (ID = {client_id}) "
            f"of the service (API Key = {SERVICE_ID}).",
        )

    def granted_scopes_get(self, identifier: str, params: dict[str, Any]) -> dict[str, Any]:
        subject = _subject(params)
        with self._tx() as db:
            client_id = self._client(identifier)["clientId"]
            row = db.execute(
                "SELECT * FROM granted_scopes WHERE client_id = ? AND subject = ?",
                (client_id, subject),
            ).fetchone()
        response = _result(
            "A139001",
            f"Got the granted scopes of the client (ID = {client_id}) for the subject.",
            serviceApiKey=int(SERVICE_ID),
            clientId=client_id,
            subject=subject,
        )
        # null means no record at all; [] means a record that holds no scope.
        if row is None:
            response.update(latestGrantedScopes=None, mergedGrantedScopes=None)
        else:
            response.update(
                latestGrantedScopes=json.loads(row["latest"]),
                mergedGrantedScopes=json.loads(row["merged"]),
                modifiedAt=row["modified_at"],
            )
        return response

    def granted_scopes_delete(self, identifier: str, params: dict[str, Any]) -> dict[str, Any]:
        """Forget the remembered consent; tokens and their scopes stay as they are."""
        subject = _subject(params)
        with self._tx() as db:
            client_id = self._client(identifier)["clientId"]
            db.execute(
                "DELETE FROM granted_scopes WHERE client_id = ? AND subject = ?",
                (client_id, subject),
            )
        return _result(
            "A140001",
            f"Deleted the granted scopes of the client (ID = {client_id}) for the subject.",
        )

    def _record_grant(self, client_id: int, subject: str, scopes: list[str], at: int) -> None:
        row = self._db.execute(
            "SELECT merged FROM granted_scopes WHERE client_id = ? AND subject = ?",
            (client_id, subject),
        ).fetchone()
        merged = list(dict.fromkeys([*(json.loads(row["merged"]) if row else []), *scopes]))
        self._db.execute(
            "INSERT OR REPLACE INTO granted_scopes"
            " (client_id, subject, latest, merged, modified_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (client_id, subject, _dump(scopes), _dump(merged), at),
        )

    # --- Tokens ----------------------------------------------------------------------------------

    def token_list(self, params: dict[str, Any], *, full_clients: bool) -> dict[str, Any]:
        """A page of tokens, named by hash only; the values are never stored, so never shown."""
        identifier = params.get("clientIdentifier") or None
        subject = params.get("subject") or None
        start, end = _page(params)
        query, args = "SELECT * FROM tokens WHERE 1 = 1", []
        with self._tx() as db:
            client = self._client(identifier) if identifier is not None else None
            if client is not None:
                query += " AND client_id = ?"
                args.append(client["clientId"])
            if subject is not None:
                query += " AND subject = ?"
                args.append(subject)
            rows = db.execute(query + " ORDER BY id", args).fetchall()
        response: dict[str, Any] = {"start": start, "end": end, "totalCount": len(rows)}
        if client is not None:
            response["client"] = client if full_clients else limited_client(client)
        if subject is not None:
            response["subject"] = subject
        response["accessTokens"] = [_token_view(row) for row in rows[start:end]]
        return response

    def token_create(self, params: dict[str, Any]) -> dict[str, Any]:
        """Issue a token as /auth/token/create does. It does not record granted scopes."""
        try:
            with self._tx():
                grant_type = params.get("grantType")
                if grant_type not in GRANT_TYPES:
                    raise _bad_request("'grantType' is missing or not a supported grant type.")
                identifier = params.get("clientId") or params.get("clientIdentifier")
                if identifier is None:
                    raise _bad_request("The request does not contain 'clientId'.")
                client = self._find_client(identifier)
                if client is None:
                    raise ApiError(
                        400, CLIENT_NOT_FOUND, f"The client (ID = {identifier}) does not exist."
                    )
                issued = self._issue(
                    client,
                    subject=params.get("subject"),
                    scopes=_string_list(params.get("scopes"), "scopes") or [],
                    grant_type=grant_type,
                    access_duration=_optional_int(
                        params.get("accessTokenDuration"), "accessTokenDuration"
                    ),
                    refresh_duration=_optional_int(
                        params.get("refreshTokenDuration"), "refreshTokenDuration"
                    ),
                    properties=_properties(params.get("properties")) or [],
                    access_token=params.get("accessToken"),
                    refresh_token=params.get("refreshToken"),
                )
        except ApiError as refused:
            return _result(f"A109{refused.outcome}", refused.message, action="BAD_REQUEST")
        response = _result(
            "A109001",
            f"An access token was created successfully: {grant_type.lower()}, "
            f"client = {client['clientId']}",
            action="OK",
            accessToken=issued["accessToken"],
            clientId=client["clientId"],
            expiresAt=issued["accessTokenExpiresAt"],
            expiresIn=issued["accessTokenDuration"],
            grantType=grant_type,
            scopes=issued["scopes"],
            tokenType="Bearer",
            tokenId=issued["tokenId"],
        )
        if issued["subject"] is not None:
            response["subject"] = issued["subject"]
        if issued["properties"]:
            response["properties"] = issued["properties"]
        if issued["refreshToken"] is not None:
            response["refreshToken"] = issued["refreshToken"]
            response["refreshTokenScopes"] = issued["scopes"]
        return response

    def _issue(
        self,
        client: dict[str, Any],
        *,
        subject: Any,
        scopes: list[str],
        grant_type: str,
        access_duration: int | None = None,
        refresh_duration: int | None = None,
        properties: list[dict[str, Any]] | None = None,
        refresh: bool | None = None,
        created_at: int | None = None,
        last_refreshed_at: int | None = None,
        access_token: Any = None,
        refresh_token: Any = None,
    ) -> dict[str, Any]:
        """Store a new token (pair). Its values are returned this once; only hashes are kept."""
        service = self._service()
        subject = _token_subject(subject, grant_type)
        unsupported = [scope for scope in scopes if scope not in self._supported_scopes()]
        if unsupported:
            raise _bad_request(f"The service does not support {' '.join(unsupported)}.")
        if refresh is None:
            refresh = _issues_refresh_token(service, grant_type)
        access_duration = _duration(access_duration, service["accessTokenDuration"])
        refresh_duration = _duration(refresh_duration, service["refreshTokenDuration"])
        access_token = _token_value(access_token, "accessToken")
        refresh_token = _token_value(refresh_token, "refreshToken") if refresh else None
        created_at = created_at or now_ms()
        # A refresh re-issues both tokens, so their lifetimes run from the last refresh.
        issued_at = last_refreshed_at or created_at
        token = {
            "token_id": secrets.token_urlsafe(16),
            "access_token_hash": token_hash(access_token),
            "refresh_token_hash": token_hash(refresh_token) if refresh_token else None,
            "client_id": client["clientId"],
            "subject": subject,
            "grant_type": grant_type,
            "scopes": _dump(scopes),
            "properties": _dump(properties or []),
            "access_token_expires_at": issued_at + access_duration * 1000,
            "refresh_token_expires_at": issued_at + refresh_duration * 1000 if refresh else 0,
            "created_at": created_at,
            "last_refreshed_at": last_refreshed_at or 0,
        }
        columns = ", ".join(token)
        marks = ", ".join("?" for _ in token)
        try:
            self._db.execute(
                f"INSERT INTO tokens ({columns}) VALUES ({marks})",  # noqa: S608 - fixed columns
                list(token.values()),
            )
        except sqlite3.IntegrityError as clash:
            raise ApiError(400, CONFLICT, "A token with the same value already exists.") from clash
        return {
            "accessToken": access_token,
            "accessTokenHash": token["access_token_hash"],
            "accessTokenExpiresAt": token["access_token_expires_at"],
            "accessTokenDuration": access_duration,
            "refreshToken": refresh_token,
            "refreshTokenHash": token["refresh_token_hash"],
            "subject": subject,
            "scopes": scopes,
            "properties": properties or [],
            "tokenId": token["token_id"],
            "createdAt": created_at,
        }

    def token_update(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            with self._tx() as db:
                row = self._token_to_update(params)
                if row is None:
                    message = "The access token does not exist."
                    return _result(f"A135{TOKEN_NOT_FOUND}", message, action="NOT_FOUND")
                changes, new_value = self._token_changes(params)
                if changes:
                    assignments = ", ".join(f"{column} = ?" for column in changes)
                    db.execute(
                        f"UPDATE tokens SET {assignments} WHERE id = ?",  # noqa: S608 - fixed columns
                        [*changes.values(), row["id"]],
                    )
                row = db.execute("SELECT * FROM tokens WHERE id = ?", (row["id"],)).fetchone()
        except ApiError as refused:
            return _result(f"A135{refused.outcome}", refused.message, action="BAD_REQUEST")
        response = _result("A135001", "Updated the access token successfully.", action="OK")
        access_token = new_value or params.get("accessToken")
        if isinstance(access_token, str) and access_token:
            response["accessToken"] = access_token
        response.update(
            accessTokenExpiresAt=row["access_token_expires_at"],
            scopes=json.loads(row["scopes"]),
            properties=json.loads(row["properties"]),
            tokenType="Bearer",
            tokenId=row["token_id"],
        )
        if row["refresh_token_hash"]:
            response["refreshTokenExpiresAt"] = row["refresh_token_expires_at"]
        return response

    def _token_changes(self, params: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        """The columns a token update sets, and the token's new value if it gets one."""
        changes: dict[str, Any] = {}
        # Absent, null or 0 leave a field as it is (SPEC token_update_request).
        expires_at = _optional_int(params.get("accessTokenExpiresAt"), "accessTokenExpiresAt")
        if expires_at is not None and expires_at > 0:
            changes["access_token_expires_at"] = expires_at
        scopes = _string_list(params.get("scopes"), "scopes")
        if scopes is not None:
            # Scopes the service does not support are silently dropped.
            supported = self._supported_scopes()
            changes["scopes"] = _dump([scope for scope in scopes if scope in supported])
        properties = _properties(params.get("properties"))
        if properties is not None:
            changes["properties"] = _dump(properties)
        new_value = None
        if params.get("accessTokenValueUpdated") is True:
            new_value = new_token_value()
            changes["access_token_hash"] = token_hash(new_value)
        return changes, new_value

    def _token_to_update(self, params: dict[str, Any]) -> sqlite3.Row | None:
        # The value wins over the hash, and the hash over the token ID (SPEC token_update_request).
        for name, column, transform in (
            ("accessToken", "access_token_hash", token_hash),
            ("accessTokenHash", "access_token_hash", str),
            ("tokenId", "token_id", str),
        ):
            value = params.get(name)
            if value is None:
                continue
            if not isinstance(value, str) or not value:
                raise _bad_request(f"'{name}' must be a non-empty string.")
            return self._db.execute(
                f"SELECT * FROM tokens WHERE {column} = ?",  # noqa: S608 - fixed columns
                (transform(value),),
            ).fetchone()
        raise _bad_request("The request does not contain 'accessToken'.")

    def token_delete(self, identifier: str) -> None:
        with self._tx() as db:
            deleted = db.execute(
                "DELETE FROM tokens WHERE access_token_hash IN (?, ?)",
                (identifier, token_hash(identifier)),
            ).rowcount
        if not deleted:
            raise ApiError(404, TOKEN_NOT_FOUND, "The access token does not exist.")

    def token_revoke(self, params: dict[str, Any]) -> dict[str, Any]:
        """Revoke by token, else by client and subject, client alone, or subject alone."""
        with self._tx() as db:
            for name, column in (
                ("accessTokenIdentifier", "access_token_hash"),
                ("refreshTokenIdentifier", "refresh_token_hash"),
            ):
                value = params.get(name)
                if isinstance(value, str) and value:
                    count = db.execute(
                        f"DELETE FROM tokens WHERE {column} IN (?, ?)",  # noqa: S608 - fixed columns
                        (value, token_hash(value)),
                    ).rowcount
                    if not count:
                        raise ApiError(404, TOKEN_NOT_FOUND, "The token does not exist.")
                    break
            else:
                identifier = params.get("clientIdentifier") or None
                subject = params.get("subject") or None
                if identifier is None and subject is None:
                    raise _bad_request("The request identifies no token, client or subject.")
                query, args = "DELETE FROM tokens WHERE 1 = 1", []
                if identifier is not None:
                    query += " AND client_id = ?"
                    args.append(self._client(identifier)["clientId"])
                if subject is not None:
                    query += " AND subject = ?"
                    args.append(subject)
                count = db.execute(query, args).rowcount
        # The message carries no "[code]" prefix in Authlete's own example (SPEC-RB).
        return {
            "resultCode": "A312001",
            "resultMessage": f"Revoked {count} access token(s).",
            "count": count,
        }

    def introspect(self, params: dict[str, Any]) -> dict[str, Any]:
        token = params.get("token")
        if not isinstance(token, str) or not token:
            message = "The request does not contain an access token."
            return _introspection("BAD_REQUEST", "A056201", message, "invalid_request")
        try:
            required = _string_list(params.get("scopes"), "scopes") or []
        except ApiError as refused:
            return _introspection("BAD_REQUEST", "A056201", refused.message, "invalid_request")
        with self._tx() as db:
            row = db.execute(
                "SELECT * FROM tokens WHERE access_token_hash = ?", (token_hash(token),)
            ).fetchone()
            if row is None:
                message = "The access token does not exist."
                return _introspection("UNAUTHORIZED", "A056301", message, "invalid_token")
            facts = self._token_facts(row, required)
            if not facts["usable"]:
                # Authlete sweeps an expired token when it is introspected (contract §3.1); the
                # record stays while its refresh token can still be used.
                if not facts["refreshable"]:
                    db.execute("DELETE FROM tokens WHERE id = ?", (row["id"],))
                message = "The access token has expired."
                return _introspection("UNAUTHORIZED", "A056302", message, "invalid_token", facts)
        subject = params.get("subject")
        if isinstance(subject, str) and subject and subject != row["subject"]:
            message = "The subject of the access token does not match the one in the request."
            return _introspection("FORBIDDEN", "A056304", message, "invalid_token", facts)
        if not facts["sufficient"]:
            message = "The access token does not cover the required scopes."
            scope = " ".join(required)
            return _introspection(
                "FORBIDDEN", "A056303", message, "insufficient_scope", facts, scope=scope
            )
        return _introspection("OK", "A056001", "The access token is valid.", None, facts)

    def _token_facts(self, row: sqlite3.Row, required: list[str]) -> dict[str, Any]:
        """What introspection says about a stored token."""
        now = now_ms()
        scopes = json.loads(row["scopes"])
        facts = {
            "clientId": row["client_id"],
            "subject": row["subject"],
            "scopes": scopes,
            "expiresAt": row["access_token_expires_at"],
            "grantType": row["grant_type"],
            "properties": json.loads(row["properties"]),
            "existent": True,
            "usable": row["access_token_expires_at"] > now,
            "sufficient": set(required) <= set(scopes),
            "refreshable": bool(row["refresh_token_hash"])
            and row["refresh_token_expires_at"] > now,
        }
        client = self._find_client(row["client_id"])
        if client is not None:
            facts.update(clientIdAlias=client["clientIdAlias"], clientIdAliasUsed=False)
        return facts

    # --- Dynamic client registration (RFC 7591 / 7592) ------------------------------------------

    def registration_create(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            metadata = _parse_metadata(params.get("json"))
            with self._tx():
                # Authlete names the developer of a registered client after the service unless
                # the metadata (here: a plain "developer" member) says otherwise.
                metadata.setdefault("developer", f"authlete_{SERVICE_ID}")
                try:
                    client = self._create_client(metadata, dynamically_registered=True)
                except ApiError as refused:
                    raise _Refusal("invalid_client_metadata", refused.message) from refused
                registration_token = new_token_value()
                client["registrationAccessTokenHash"] = token_hash(registration_token)
                self._save_client(client)
        except _Refusal as refusal:
            return refusal.response("A202")
        return _result(
            "A202001",
            f"The client was created with id {client['clientId']}.",
            action="CREATED",
            responseContent=self._registration_content(client, registration_token),
            client=client,
        )

    def registration_get(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            with self._tx():
                client = self._registered_client(params)
        except _Refusal as refusal:
            return refusal.response("A217")
        return _result(
            "A217001",
            f"The client (ID = {client['clientId']}) was found.",
            action="OK",
            responseContent=self._registration_content(client, params["token"]),
            client=client,
        )

    def registration_update(self, params: dict[str, Any]) -> dict[str, Any]:
        """Replace a registered client's metadata (RFC 7592 §2.2); what Authlete assigned stays."""
        try:
            with self._tx():
                client = self._registered_client(params)
                metadata = _parse_metadata(params.get("json"))
                if _claimed_client_id(params["json"]) not in (None, str(client["clientId"])):
                    message = "'client_id' does not match the client being updated."
                    raise _Refusal("invalid_client_metadata", message)
                # The metadata replaces the client's own fields. What Authlete assigned stays,
                # and so does the developer unless the metadata names one.
                kept = {
                    key: client[key]
                    for key in (*_ASSIGNED_CLIENT_FIELDS, "clientIdAlias", "clientIdAliasEnabled")
                    if key in client
                }
                developer = {"developer": client["developer"]} if "developer" in client else {}
                client = {**_CLIENT_DEFAULTS, **developer, **metadata, **kept}
                client["modifiedAt"] = now_ms()
                self._save_client(client)
        except _Refusal as refusal:
            return refusal.response("A213")
        return _result(
            "A213001",
            f"The client (ID = {client['clientId']}) was updated.",
            action="UPDATED",
            responseContent=self._registration_content(client, params["token"]),
            client=client,
        )

    def registration_delete(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            with self._tx():
                client = self._registered_client(params)
                self._delete_client(client["clientId"])
        except _Refusal as refusal:
            return refusal.response("A216")
        message = f"The client (ID = {client['clientId']}) was deleted."
        return _result("A216001", message, action="DELETED")

    def _registered_client(self, params: dict[str, Any]) -> dict[str, Any]:
        """The client a registration access token opens, or a _Refusal."""
        client_id, token = params.get("clientId"), params.get("token")
        if client_id is None or client_id == "":
            raise _Refusal("invalid_request", "The request does not contain 'clientId'.")
        client = self._find_client(client_id)
        expected = client.get("registrationAccessTokenHash") if client else None
        if expected is not None and isinstance(token, str) and token_hash(token) == expected:
            return client
        # RFC 7592 asks for 401; Authlete answers so only when the service opts in (contract §6).
        opted_in = self._service().get("unauthorizedOnClientConfigSupported")
        raise _Refusal(
            "invalid_token",
            "The registration access token is not valid for the client.",
            "UNAUTHORIZED" if opted_in else "BAD_REQUEST",
        )

    def _registration_content(self, client: dict[str, Any], registration_token: str) -> str:
        endpoint = self._service().get("registrationEndpoint", "https://as.example.com/register")
        content = _client_metadata(client)
        content["registration_access_token"] = registration_token
        content["registration_client_uri"] = f"{endpoint.rstrip('/')}/{client['clientId']}"
        return json.dumps(content, ensure_ascii=False)

    # --- Sandbox control -------------------------------------------------------------------------

    def authorize(
        self,
        *,
        client_id: Any,
        subject: Any,
        scopes: Any = None,
        refresh: bool = True,
        access_duration: Any = None,
        refresh_duration: Any = None,
        created_at: Any = None,
        last_refreshed_at: Any = None,
    ) -> dict[str, Any]:
        """A completed authorization: a new token (pair) and the granted-scopes record it leaves."""
        scopes = _string_list(scopes, "scopes") or []
        with self._tx():
            client = self._client(client_id)
            issued = self._issue(
                client,
                subject=subject,
                scopes=scopes,
                grant_type="AUTHORIZATION_CODE",
                access_duration=_optional_int(access_duration, "accessTokenDuration"),
                refresh_duration=_optional_int(refresh_duration, "refreshTokenDuration"),
                refresh=bool(refresh),
                created_at=_optional_int(created_at, "createdAt"),
                last_refreshed_at=_optional_int(last_refreshed_at, "lastRefreshedAt"),
            )
            self._record_grant(client["clientId"], subject, scopes, issued["createdAt"])
        return {
            "accessToken": issued["accessToken"],
            "refreshToken": issued["refreshToken"],
            "accessTokenHash": issued["accessTokenHash"],
            "refreshTokenHash": issued["refreshTokenHash"],
        }

    def tokens_state(self, *, subject: str | None, client_id: str | None) -> list[dict[str, Any]]:
        query, args = "SELECT * FROM tokens WHERE 1 = 1", []
        if subject:
            query += " AND subject = ?"
            args.append(subject)
        if client_id:
            query += " AND client_id = ?"
            args.append(int(client_id) if client_id.isdigit() else -1)
        with self._tx() as db:
            return [
                {**_token_view(row), "tokenId": row["token_id"]} for row in db.execute(query, args)
            ]

    # --- Faults ----------------------------------------------------------------------------------

    def add_fault(self, spec: dict[str, Any]) -> dict[str, Any]:
        kind = spec.get("kind")
        if kind not in FAULT_KINDS:
            raise ValueError(f"'kind' must be one of {', '.join(FAULT_KINDS)}")
        path = spec.get("path") or ""
        method = spec.get("method") or None
        numbers = {name: spec.get(name) for name in ("delayMs", "retryAfter", "times")}
        for name, value in numbers.items():
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 0
            ):
                raise ValueError(f"'{name}' must be a non-negative integer")
        if not isinstance(path, str) or not (method is None or isinstance(method, str)):
            raise ValueError("'path' and 'method' must be strings")
        with self._tx() as db:
            fault_id = db.execute(
                "INSERT INTO faults (path, method, kind, delay_ms, retry_after, times)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (path, method.upper() if method else None, kind, *numbers.values()),
            ).lastrowid
            return _fault_view(
                db.execute("SELECT * FROM faults WHERE id = ?", (fault_id,)).fetchone()
            )

    def faults(self) -> list[dict[str, Any]]:
        with self._tx() as db:
            return [_fault_view(row) for row in db.execute("SELECT * FROM faults ORDER BY id")]

    def clear_faults(self) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM faults")
        self.wake_hanging()

    def take_faults(self, path: str, method: str) -> list[dict[str, Any]]:
        """The faults for this request, in order, using up one of each one's ``times``.

        Latency faults add up; the first fault of any other kind decides the answer.
        """
        taken = []
        with self._tx() as db:
            for row in db.execute("SELECT * FROM faults ORDER BY id").fetchall():
                if row["path"] not in path or (row["method"] and row["method"] != method):
                    continue
                if row["times"] is not None:
                    if row["times"] <= 1:
                        db.execute("DELETE FROM faults WHERE id = ?", (row["id"],))
                    else:
                        db.execute("UPDATE faults SET times = times - 1 WHERE id = ?", (row["id"],))
                taken.append(_fault_view(row))
                if row["kind"] != "latency":
                    break
        return taken

    def wait_hanging(self, seconds: float) -> None:
        """Sleep like a hung server; wake early when faults are cleared, state reset, or we stop."""
        with self._wake:
            generation = self._generation
            self._wake.wait_for(lambda: self._generation != generation, timeout=seconds)

    def wake_hanging(self) -> None:
        with self._wake:
            self._generation += 1
            self._wake.notify_all()

    # --- Request log -----------------------------------------------------------------------------

    def log_request(self, *, method: str, path: str, query: dict[str, Any], body: Any) -> int:
        with self._tx() as db:
            return db.execute(
                "INSERT INTO requests (method, path, query, body, at) VALUES (?, ?, ?, ?, ?)",
                (method, path, _dump(query), _dump(body), now_ms()),
            ).lastrowid

    def log_status(self, request_id: int, status: int | None) -> None:
        with self._tx() as db:
            db.execute("UPDATE requests SET status = ? WHERE id = ?", (status, request_id))

    def requests(self) -> list[dict[str, Any]]:
        with self._tx() as db:
            return [
                {
                    "method": row["method"],
                    "path": row["path"],
                    "query": json.loads(row["query"]),
                    "body": json.loads(row["body"]),
                    "status": row["status"],
                    "at": row["at"],
                }
                for row in db.execute("SELECT * FROM requests ORDER BY id")
            ]

    def clear_requests(self) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM requests")


def _token_subject(subject: Any, grant_type: str) -> str | None:
    """The subject of a new token: required, except for the client credentials grant."""
    if grant_type == "CLIENT_CREDENTIALS":
        return subject if isinstance(subject, str) and subject else None
    if not isinstance(subject, str) or not subject:
        raise _bad_request("The request does not contain 'subject'.")
    # SPEC token_create_request.subject
    if not subject.isascii() or len(subject) > 100:
        raise _bad_request("'subject' must be ASCII and at most 100 characters long.")
    return subject


def _issues_refresh_token(service: dict[str, Any], grant_type: str) -> bool:
    # SPEC token_create_request.refreshTokenDuration: none unless the service supports the
    # REFRESH_TOKEN grant, and never for IMPLICIT or CLIENT_CREDENTIALS.
    supported = "REFRESH_TOKEN" in service.get("supportedGrantTypes", [])
    return supported and grant_type not in ("IMPLICIT", "CLIENT_CREDENTIALS")


def _duration(seconds: int | None, default: int) -> int:
    """A token lifetime in seconds; 0 or absent means the service's default."""
    if seconds is not None and seconds < 0:
        raise _bad_request("Token durations must not be negative.")
    return seconds or default


def _token_value(value: Any, name: str) -> str:
    """A caller's own token value (for migrations), or a new random one."""
    if value is None:
        return new_token_value()
    if not isinstance(value, str) or not value:
        raise _bad_request(f"'{name}' must be a non-empty string.")
    return value


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _check_client_fields(client: dict[str, Any]) -> None:
    if client.get("clientType", "CONFIDENTIAL") not in CLIENT_TYPES:
        raise _bad_request(f"'clientType' must be one of {', '.join(CLIENT_TYPES)}.")
    if client.get("applicationType", "WEB") not in APPLICATION_TYPES:
        raise _bad_request(f"'applicationType' must be one of {', '.join(APPLICATION_TYPES)}.")
    for name in ("clientName", "description", "developer", "clientIdAlias", "logoUri", "clientUri"):
        if name in client and not isinstance(client[name], str):
            raise _bad_request(f"'{name}' must be a string.")
    for name in ("redirectUris", "contacts"):
        _string_list(client.get(name), name)
    if any(
        value not in GRANT_TYPES
        for value in _string_list(client.get("grantTypes"), "grantTypes") or []
    ):
        raise _bad_request("'grantTypes' holds an unknown grant type.")


def _token_view(row: sqlite3.Row) -> dict[str, Any]:
    """A token as /auth/token/get/list shows it (SPEC `access_token`): hashes, never values."""
    view: dict[str, Any] = {
        "accessTokenHash": row["access_token_hash"],
        "accessTokenExpiresAt": row["access_token_expires_at"],
    }
    scopes = json.loads(row["scopes"])
    if row["refresh_token_hash"]:
        view["refreshTokenHash"] = row["refresh_token_hash"]
        view["refreshTokenExpiresAt"] = row["refresh_token_expires_at"]
    view.update(
        createdAt=row["created_at"],
        lastRefreshedAt=row["last_refreshed_at"],
        clientId=row["client_id"],
    )
    if row["subject"] is not None:
        view["subject"] = row["subject"]
    view.update(
        grantType=row["grant_type"], scopes=scopes, properties=json.loads(row["properties"])
    )
    if row["refresh_token_hash"]:
        # Authlete keeps an access token and its refresh token in one record; the sandbox gives
        # them one scope set, so narrowing the record narrows both.
        view["refreshTokenScopes"] = scopes
    return view


def _introspection(
    action: str,
    code: str,
    message: str,
    error: str | None,
    facts: dict[str, Any] | None = None,
    *,
    scope: str | None = None,
) -> dict[str, Any]:
    # responseContent is what a resource server puts in WWW-Authenticate (RFC 6750).
    if error is None:
        content = 'Bearer error="invalid_request"'
    else:
        content = f'Bearer error="{error}",error_description="[{code}] {message}"'
        if scope:
            content += f',scope="{scope}"'
    response = _result(code, message, action=action, responseContent=content)
    facts = facts or {"existent": False, "usable": False, "sufficient": False, "refreshable": False}
    response.update({key: value for key, value in facts.items() if value is not None})
    return response


def _fault_view(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "path": row["path"],
        "method": row["method"],
        "kind": row["kind"],
        "delayMs": row["delay_ms"],
        "retryAfter": row["retry_after"],
        "times": row["times"],
    }


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


class _Refusal(Exception):
    """A registration call answered with an error action and an RFC 7591 error document."""

    def __init__(self, error: str, description: str, action: str = "BAD_REQUEST") -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.action = action

    def response(self, api: str) -> dict[str, Any]:
        outcome = {"invalid_client_metadata": "301", "invalid_redirect_uri": "302"}.get(
            self.error, "303"
        )
        content = json.dumps({"error": self.error, "error_description": self.description})
        return _result(
            f"{api}{outcome}", self.description, action=self.action, responseContent=content
        )


def _bad_metadata(description: str) -> _Refusal:
    return _Refusal("invalid_client_metadata", description)


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
