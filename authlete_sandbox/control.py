"""The /_sandbox/ control API for tests and the demo: reset, modes, authorize, faults, requests."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from authlete_sandbox import seed
from authlete_sandbox.store import Store
from authlete_sandbox.store.grants import authorize
from authlete_sandbox.store.tokens import tokens_state

if TYPE_CHECKING:
    from authlete_sandbox.server import SandboxServer


def load_world(store: Store, world: str) -> None:
    """Wipe everything (state, faults, request log) and load a seeded world."""
    if world not in seed.WORLDS:
        raise ValueError(f"unknown seed {world!r}; choose one of {', '.join(seed.WORLDS)}")
    # No request may see the store between wiped and loaded.
    with store.exclusive():
        store.wipe()
        seed.load(store, world)


def respond(
    sandbox: SandboxServer,
    *,
    method: str,
    name: str,
    query: dict[str, str],
    body: dict[str, Any],
) -> tuple[int, Any]:
    """The status and JSON body (None: no body) for ``method /_sandbox/name``.

    A refusal raises ApiError (answered with its status) or ValueError (answered with 400).
    """
    store = sandbox.store
    if (method, name) == ("POST", "reset"):
        # The world only: the modes stay as they are.
        world = body.get("seed") or sandbox.seed
        load_world(store, world)
        return 200, {"seed": world}
    if (method, name) == ("GET", "modes"):
        return 200, sandbox.modes.as_json()
    if (method, name) == ("PUT", "modes"):
        # The modes named change; the others keep their values.
        return 200, sandbox.change_modes(body).as_json()
    if (method, name) == ("POST", "authorize"):
        issued = authorize(
            store,
            client_id=body.get("clientId"),
            subject=body.get("subject"),
            scopes=body.get("scopes"),
            refresh=body.get("refresh", True),
            access_duration=body.get("accessTokenDuration"),
            refresh_duration=body.get("refreshTokenDuration"),
            created_at=body.get("createdAt"),
            last_refreshed_at=body.get("lastRefreshedAt"),
        )
        return 201, issued
    if (method, name) == ("POST", "faults"):
        return 201, store.add_fault(body)
    if (method, name) == ("GET", "faults"):
        return 200, store.faults()
    if (method, name) == ("DELETE", "faults"):
        store.clear_faults()
        return 204, None
    if (method, name) == ("GET", "requests"):
        return 200, store.requests()
    if (method, name) == ("DELETE", "requests"):
        store.clear_requests()
        return 204, None
    if (method, name) == ("GET", "state/tokens"):
        return 200, tokens_state(
            store, subject=query.get("subject"), client_id=query.get("clientId")
        )
    if (method, name) == ("POST", "service"):
        return 200, store.update_service(body)
    return 404, error(f"No control path {method} /_sandbox/{name}.")


def error(message: str) -> dict[str, str]:
    return {"error": message}
