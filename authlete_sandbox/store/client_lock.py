"""The client lock flag: /client/lock_flag/update, and the refusal a locked client meets."""

from __future__ import annotations

from typing import Any

from authlete_sandbox.store import FORBIDDEN, ApiError, Store, now_ms, result
from authlete_sandbox.store.clients import known_client, save_client
from authlete_sandbox.store.params import bad_request

# The sandbox's own API number: the spec shows no result code for this operation.
LOCK_FLAG_API = 246


def client_lock_update(store: Store, identifier: str, params: dict[str, Any]) -> dict[str, Any]:
    """Set the client's ``locked`` flag (SPEC client_flag_update_api: ``clientLocked`` required).

    The client then shows ``locked`` in client/get (SPEC `client.locked`: "whether this client
    is locked"); its existing tokens stay as they are.
    """
    locked = params.get("clientLocked")
    if isinstance(locked, str) and locked.lower() in ("true", "false"):
        locked = locked.lower() == "true"  # form-encoded bodies carry text
    if not isinstance(locked, bool):
        raise bad_request("'clientLocked' must be true or false.")
    with store.tx() as db:
        client = known_client(db, identifier)
        client = {**client, "locked": locked, "modifiedAt": now_ms()}
        save_client(db, client)
    state = "Locked" if locked else "Unlocked"
    return result(f"A{LOCK_FLAG_API}001", f"{state} the client (ID = {client['clientId']}).")


def refuse_if_locked(client: dict[str, Any]) -> None:
    """A locked client gets no new tokens: the v2 spec's 403 example for a locked client,
    "[A001215] /auth/authorization, The client (ID = ...) is locked." """
    if client.get("locked"):
        raise ApiError(403, FORBIDDEN, f"The client (ID = {client['clientId']}) is locked.")
