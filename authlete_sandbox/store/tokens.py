"""Tokens: list, create, update, delete and revoke; only their hashes are ever stored."""

from __future__ import annotations

import json
import secrets
import sqlite3
from dataclasses import dataclass
from typing import Any

from authlete_sandbox.store import (
    CLIENT_NOT_FOUND,
    CONFLICT,
    TOKEN_NOT_FOUND,
    ApiError,
    Store,
    dump,
    new_token_value,
    now_ms,
    read_service,
    result,
    supported_scopes,
    token_hash,
)
from authlete_sandbox.store.clients import GRANT_TYPES, find_client, known_client, limited_client
from authlete_sandbox.store.params import (
    bad_request,
    optional_int,
    page_of,
    property_list,
    string_list,
)


@dataclass(frozen=True)
class ScopeUpdate:
    """How client/authorization/update and auth/token/update treat the scopes they are given."""

    filtered: bool = True  # drop scopes the service does not support or the client may not request
    refresh_follows: bool = False  # set the refresh-token scopes to the new access-token scopes

    def columns(
        self, db: sqlite3.Connection, client: dict[str, Any], scopes: list[str]
    ) -> dict[str, str]:
        """The columns that updating the scopes of the client's tokens to ``scopes`` sets."""
        if self.filtered:
            # authlete-java-common ClientAuthorizationUpdateRequest and TokenUpdateRequest: scopes
            # "not supported by the service and those that the client application is not allowed
            # to request are ignored"; ClientExtension: requestableScopes bind while enabled.
            allowed = set(supported_scopes(db))
            extension = client.get("extension") or {}
            if extension.get("requestableScopesEnabled"):
                allowed &= set(extension.get("requestableScopes") or [])
            scopes = [scope for scope in scopes if scope in allowed]
        changes = {"scopes": dump(scopes)}
        if self.refresh_follows:
            changes["refresh_scopes"] = changes["scopes"]
        return changes


def token_list(
    store: Store, params: dict[str, Any], *, full_clients: bool, cap: int = 0
) -> dict[str, Any]:
    """A page of tokens, named by hash only; the values are never stored, so never shown.

    ``cap``: the most tokens a call may ask for, also the default ``end`` (0: no cap).
    """
    identifier = params.get("clientIdentifier") or None
    subject = params.get("subject") or None
    start, end = page_of(params, default_end=cap or 5)
    # Authlete KB "Getting a list of issued access tokens": "Authlete server will return an
    # error when you request more than 20 (= "end" - "start" > 20)".
    if cap and end - start > cap:
        raise bad_request(f"'end' - 'start' must not be more than {cap}.")
    query, args = "SELECT * FROM tokens WHERE 1 = 1", []
    with store.tx() as db:
        client = known_client(db, identifier) if identifier is not None else None
        if client is not None:
            query += " AND client_id = ?"
            args.append(client["clientId"])
        if subject is not None:
            query += " AND subject = ?"
            args.append(subject)
        # Counted, then only the window read: a client may hold tens of thousands of tokens.
        total = db.execute(query.replace("*", "COUNT(*)", 1), args).fetchone()[0]
        rows = db.execute(
            query + " ORDER BY id LIMIT ? OFFSET ?", [*args, max(end - start, 0), start]
        ).fetchall()
    response: dict[str, Any] = {"start": start, "end": end, "totalCount": total}
    if client is not None:
        response["client"] = client if full_clients else limited_client(client)
    if subject is not None:
        response["subject"] = subject
    response["accessTokens"] = [_token_view(row) for row in rows]
    return response


def token_create(store: Store, params: dict[str, Any]) -> dict[str, Any]:
    """Issue a token as /auth/token/create does. It does not record granted scopes."""
    try:
        with store.tx() as db:
            grant_type = params.get("grantType")
            if grant_type not in GRANT_TYPES:
                raise bad_request("'grantType' is missing or not a supported grant type.")
            identifier = params.get("clientId") or params.get("clientIdentifier")
            if identifier is None:
                raise bad_request("The request does not contain 'clientId'.")
            client = find_client(db, identifier)
            if client is None:
                raise ApiError(
                    400, CLIENT_NOT_FOUND, f"The client (ID = {identifier}) does not exist."
                )
            issued = issue(
                db,
                client,
                subject=params.get("subject"),
                scopes=string_list(params.get("scopes"), "scopes") or [],
                grant_type=grant_type,
                access_duration=optional_int(
                    params.get("accessTokenDuration"), "accessTokenDuration"
                ),
                refresh_duration=optional_int(
                    params.get("refreshTokenDuration"), "refreshTokenDuration"
                ),
                properties=property_list(params.get("properties")) or [],
                access_token=params.get("accessToken"),
                refresh_token=params.get("refreshToken"),
            )
    except ApiError as refused:
        return result(refused.result_code(109), refused.message, action="BAD_REQUEST")
    response = result(
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


def issue(
    db: sqlite3.Connection,
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
    service = read_service(db)
    subject = _token_subject(subject, grant_type)
    unsupported = [scope for scope in scopes if scope not in supported_scopes(db)]
    if unsupported:
        raise bad_request(f"The service does not support {' '.join(unsupported)}.")
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
        "scopes": dump(scopes),
        # Kept for every row, shown only while the row has a refresh token.
        "refresh_scopes": dump(scopes),
        "properties": dump(properties or []),
        "access_token_expires_at": issued_at + access_duration * 1000,
        "refresh_token_expires_at": issued_at + refresh_duration * 1000 if refresh else 0,
        "created_at": created_at,
        "last_refreshed_at": last_refreshed_at or 0,
    }
    columns = ", ".join(token)
    marks = ", ".join("?" for _ in token)
    try:
        db.execute(
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


def token_update(
    store: Store, params: dict[str, Any], scope_update: ScopeUpdate | None = None
) -> dict[str, Any]:
    try:
        with store.tx() as db:
            row = _token_to_update(db, params)
            if row is None:
                message = "The access token does not exist."
                return result(f"A135{TOKEN_NOT_FOUND}", message, action="NOT_FOUND")
            changes, new_value = _token_changes(db, row, params, scope_update or ScopeUpdate())
            if changes:
                update_tokens(db, changes, "id = ?", row["id"])
            row = db.execute("SELECT * FROM tokens WHERE id = ?", (row["id"],)).fetchone()
    except ApiError as refused:
        return result(refused.result_code(135), refused.message, action="BAD_REQUEST")
    response = result("A135001", "Updated the access token successfully.", action="OK")
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


def update_tokens(db: sqlite3.Connection, changes: dict[str, Any], where: str, *args: Any) -> int:
    """Set columns of the tokens that ``where`` selects; how many tokens that was."""
    assignments = ", ".join(f"{column} = ?" for column in changes)
    return db.execute(
        f"UPDATE tokens SET {assignments} WHERE {where}",  # noqa: S608 - fixed columns
        [*changes.values(), *args],
    ).rowcount


def _token_changes(
    db: sqlite3.Connection, row: sqlite3.Row, params: dict[str, Any], scope_update: ScopeUpdate
) -> tuple[dict[str, Any], str | None]:
    """The columns a token update sets, and the token's new value if it gets one."""
    changes: dict[str, Any] = {}
    # Absent, null or 0 leave a field as it is (SPEC token_update_request).
    expires_at = optional_int(params.get("accessTokenExpiresAt"), "accessTokenExpiresAt")
    if expires_at is not None and expires_at > 0:
        changes["access_token_expires_at"] = expires_at
    scopes = string_list(params.get("scopes"), "scopes")
    if scopes is not None:
        client = find_client(db, row["client_id"]) or {}
        changes.update(scope_update.columns(db, client, scopes))
    properties = property_list(params.get("properties"))
    if properties is not None:
        changes["properties"] = dump(properties)
    new_value = None
    if params.get("accessTokenValueUpdated") is True:
        new_value = new_token_value()
        changes["access_token_hash"] = token_hash(new_value)
    return changes, new_value


def _token_to_update(db: sqlite3.Connection, params: dict[str, Any]) -> sqlite3.Row | None:
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
            raise bad_request(f"'{name}' must be a non-empty string.")
        return db.execute(
            f"SELECT * FROM tokens WHERE {column} = ?",  # noqa: S608 - fixed columns
            (transform(value),),
        ).fetchone()
    raise bad_request("The request does not contain 'accessToken'.")


def token_delete(store: Store, identifier: str) -> None:
    with store.tx() as db:
        deleted = db.execute(
            "DELETE FROM tokens WHERE access_token_hash IN (?, ?)",
            (identifier, token_hash(identifier)),
        ).rowcount
    if not deleted:
        raise ApiError(404, TOKEN_NOT_FOUND, "The access token does not exist.")


def token_revoke(store: Store, params: dict[str, Any]) -> dict[str, Any]:
    """Revoke by token, else by client and subject, client alone, or subject alone."""
    with store.tx() as db:
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
                raise bad_request("The request identifies no token, client or subject.")
            query, args = "DELETE FROM tokens WHERE 1 = 1", []
            if identifier is not None:
                query += " AND client_id = ?"
                args.append(known_client(db, identifier)["clientId"])
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


def tokens_state(
    store: Store, *, subject: str | None, client_id: str | None
) -> list[dict[str, Any]]:
    """The stored tokens, of a subject or a client if given, with their IDs (for /_sandbox/)."""
    query, args = "SELECT * FROM tokens WHERE 1 = 1", []
    if subject:
        query += " AND subject = ?"
        args.append(subject)
    if client_id:
        query += " AND client_id = ?"
        args.append(int(client_id) if client_id.isdigit() else -1)
    with store.tx() as db:
        return [{**_token_view(row), "tokenId": row["token_id"]} for row in db.execute(query, args)]


def _token_subject(subject: Any, grant_type: str) -> str | None:
    """The subject of a new token: required, except for the client credentials grant."""
    if grant_type == "CLIENT_CREDENTIALS":
        return subject if isinstance(subject, str) and subject else None
    if not isinstance(subject, str) or not subject:
        raise bad_request("The request does not contain 'subject'.")
    # SPEC token_create_request.subject
    if not subject.isascii() or len(subject) > 100:
        raise bad_request("'subject' must be ASCII and at most 100 characters long.")
    return subject


def _issues_refresh_token(service: dict[str, Any], grant_type: str) -> bool:
    # SPEC token_create_request.refreshTokenDuration: none unless the service supports the
    # REFRESH_TOKEN grant, and never for IMPLICIT or CLIENT_CREDENTIALS.
    supported = "REFRESH_TOKEN" in service.get("supportedGrantTypes", [])
    return supported and grant_type not in ("IMPLICIT", "CLIENT_CREDENTIALS")


def _duration(seconds: int | None, default: int) -> int:
    """A token lifetime in seconds; 0 or absent means the service's default."""
    if seconds is not None and seconds < 0:
        raise bad_request("Token durations must not be negative.")
    return seconds or default


def _token_value(value: Any, name: str) -> str:
    """A caller's own token value (for migrations), or a new random one."""
    if value is None:
        return new_token_value()
    if not isinstance(value, str) or not value:
        raise bad_request(f"'{name}' must be a non-empty string.")
    return value


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
        # Whether scope updates reach them is a mode (ScopeUpdate.refresh_follows).
        view["refreshTokenScopes"] = json.loads(row["refresh_scopes"])
    return view
