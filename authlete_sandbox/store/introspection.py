"""Introspection (auth/introspection): what a resource server learns about an access token."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from authlete_sandbox.store import ApiError, Store, now_ms, result, token_hash
from authlete_sandbox.store.clients import find_client
from authlete_sandbox.store.params import string_list


def introspect(store: Store, params: dict[str, Any]) -> dict[str, Any]:
    token = params.get("token")
    if not isinstance(token, str) or not token:
        message = "The request does not contain an access token."
        return _introspection("BAD_REQUEST", "A056201", message, "invalid_request")
    try:
        required = string_list(params.get("scopes"), "scopes") or []
    except ApiError as refused:
        return _introspection("BAD_REQUEST", "A056201", refused.message, "invalid_request")
    with store.tx() as db:
        row = db.execute(
            "SELECT * FROM tokens WHERE access_token_hash = ?", (token_hash(token),)
        ).fetchone()
        if row is None:
            message = "The access token does not exist."
            return _introspection("UNAUTHORIZED", "A056301", message, "invalid_token")
        facts = _token_facts(db, row, required)
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


def _token_facts(db: sqlite3.Connection, row: sqlite3.Row, required: list[str]) -> dict[str, Any]:
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
        "refreshable": bool(row["refresh_token_hash"]) and row["refresh_token_expires_at"] > now,
    }
    client = find_client(db, row["client_id"])
    if client is not None:
        facts.update(clientIdAlias=client["clientIdAlias"], clientIdAliasUsed=False)
    return facts


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
    response = result(code, message, action=action, responseContent=content)
    facts = facts or {"existent": False, "usable": False, "sufficient": False, "refreshable": False}
    response.update({key: value for key, value in facts.items() if value is not None})
    return response
