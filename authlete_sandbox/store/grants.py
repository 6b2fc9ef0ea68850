"""What users gave clients: the authorized-client list, narrowing, disconnecting, granted scopes."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from authlete_sandbox import SERVICE_ID
from authlete_sandbox.store import Store, dump, result
from authlete_sandbox.store.client_lock import refuse_if_locked
from authlete_sandbox.store.clients import known_client, limited_client
from authlete_sandbox.store.params import (
    developer_of,
    optional_int,
    page_of,
    string_list,
    subject_of,
)
from authlete_sandbox.store.tokens import ScopeUpdate, issue, update_tokens


def authorization_list(
    store: Store,
    params: dict[str, Any],
    *,
    full_clients: bool,
) -> dict[str, Any]:
    """The clients a subject has authorized: every client the subject holds any token for."""
    subject = subject_of(params)
    developer = developer_of(params)
    start, end = page_of(params)
    query = (
        "SELECT data FROM clients"
        " WHERE client_id IN (SELECT client_id FROM tokens WHERE subject = ?)"
    )
    args: list[Any] = [subject]
    if developer is not None:
        query += " AND developer = ?"
        args.append(developer)
    with store.tx() as db:
        clients = [json.loads(row["data"]) for row in db.execute(query + " ORDER BY number", args)]
    page = clients[start:end]
    response: dict[str, Any] = {"start": start, "end": end, "subject": subject}
    if developer is not None:
        response["developer"] = developer
    response["totalCount"] = len(clients)
    response["clients"] = page if full_clients else [limited_client(c) for c in page]
    return response


def authorization_update(
    store: Store,
    identifier: str,
    params: dict[str, Any],
    scope_update: ScopeUpdate | None = None,
) -> dict[str, Any]:
    """Replace the scopes of every token of (client, subject), granted or not, like Authlete."""
    subject = subject_of(params)
    scopes = string_list(params.get("scopes"), "scopes")
    scope_update = scope_update or ScopeUpdate()
    with store.tx() as db:
        client = known_client(db, identifier)
        client_id = client["clientId"]
        if scopes is None:
            count = db.execute(
                "SELECT COUNT(*) FROM tokens WHERE client_id = ? AND subject = ?",
                (client_id, subject),
            ).fetchone()[0]
        else:
            changes = scope_update.columns(db, client, scopes)
            count = update_tokens(db, changes, "client_id = ? AND subject = ?", client_id, subject)
    return _tokens_result("A138001", "Updated", count, client_id)


def authorization_delete(store: Store, identifier: str, params: dict[str, Any]) -> dict[str, Any]:
    """Delete every token (access and refresh) of (client, subject); granted scopes stay."""
    subject = subject_of(params)
    with store.tx() as db:
        client_id = known_client(db, identifier)["clientId"]
        count = db.execute(
            "DELETE FROM tokens WHERE client_id = ? AND subject = ?", (client_id, subject)
        ).rowcount
    return _tokens_result("A137001", "Deleted", count, client_id)


def _tokens_result(code: str, done: str, count: int, client_id: int) -> dict[str, Any]:
    return result(
        code,
        f"{done} {count} access token(s) issued to the client (ID = {client_id}) "
        f"of the service (API Key = {SERVICE_ID}).",
    )


def granted_scopes_get(store: Store, identifier: str, params: dict[str, Any]) -> dict[str, Any]:
    subject = subject_of(params)
    with store.tx() as db:
        client_id = known_client(db, identifier)["clientId"]
        row = db.execute(
            "SELECT * FROM granted_scopes WHERE client_id = ? AND subject = ?",
            (client_id, subject),
        ).fetchone()
    response = result(
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


def granted_scopes_delete(store: Store, identifier: str, params: dict[str, Any]) -> dict[str, Any]:
    """Forget the remembered consent; tokens and their scopes stay as they are."""
    subject = subject_of(params)
    with store.tx() as db:
        client_id = known_client(db, identifier)["clientId"]
        db.execute(
            "DELETE FROM granted_scopes WHERE client_id = ? AND subject = ?",
            (client_id, subject),
        )
    return result(
        "A140001",
        f"Deleted the granted scopes of the client (ID = {client_id}) for the subject.",
    )


def authorize(
    store: Store,
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
    scopes = string_list(scopes, "scopes") or []
    with store.tx() as db:
        client = known_client(db, client_id)
        refuse_if_locked(client)
        issued = issue(
            db,
            client,
            subject=subject,
            scopes=scopes,
            grant_type="AUTHORIZATION_CODE",
            access_duration=optional_int(access_duration, "accessTokenDuration"),
            refresh_duration=optional_int(refresh_duration, "refreshTokenDuration"),
            refresh=bool(refresh),
            created_at=optional_int(created_at, "createdAt"),
            last_refreshed_at=optional_int(last_refreshed_at, "lastRefreshedAt"),
        )
        _record_grant(db, client["clientId"], subject, scopes, issued["createdAt"])
    return {
        "accessToken": issued["accessToken"],
        "refreshToken": issued["refreshToken"],
        "accessTokenHash": issued["accessTokenHash"],
        "refreshTokenHash": issued["refreshTokenHash"],
    }


def _record_grant(
    db: sqlite3.Connection, client_id: int, subject: str, scopes: list[str], at: int
) -> None:
    row = db.execute(
        "SELECT merged FROM granted_scopes WHERE client_id = ? AND subject = ?",
        (client_id, subject),
    ).fetchone()
    merged = list(dict.fromkeys([*(json.loads(row["merged"]) if row else []), *scopes]))
    db.execute(
        "INSERT OR REPLACE INTO granted_scopes"
        " (client_id, subject, latest, merged, modified_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (client_id, subject, dump(scopes), dump(merged), at),
    )
