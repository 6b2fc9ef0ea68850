"""Modes: how the sandbox answers where Authlete's answer depends on plan or server, or is unknown.

Each default is what Authlete documents; where nobody knows, the default is the cautious reading of
the documents and the other reading is one mode away. docs/authlete-behaviours.md gives the sources.
A mode is set when the sandbox starts (``--mode name=value``, ``SandboxServer(modes=...)``) or
while it runs (``PUT /_sandbox/modes``); resetting the world leaves the modes alone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Modes:
    """One consistent set of modes; a change makes a new set."""

    # Authlete KB "Getting a list of issued access tokens": at most 20 tokens a call
    # ("end" - "start" > 20 is an error) and "end" defaults to 20. 0 = no cap, and the
    # spec's default "end" of 5.
    token_list_cap: int = 20
    # authlete-java-common AuthorizationResponse and AuthleteApi.getGrantedScopes: the
    # /client/granted_scopes/* APIs of the shared Authlete server answer 403.
    server: str = "shared"
    # Unknown: the docs say an update sets the scopes of access tokens, and nothing of refresh
    # tokens; "stay" leaves refresh-token scopes as issued.
    refresh_scopes: str = "stay"
    # authlete-java-common ClientAuthorizationUpdateRequest and TokenUpdateRequest: scopes the
    # service does not support, or the client may not request, "are ignored on the server side".
    scope_filtering: bool = True
    # API v2 spec: /service/get/{serviceApiKey} takes ServiceOwnerCredentials
    # (authlete-java-common AuthleteApiImpl.getService uses ServiceOwnerGetApiCaller).
    v2_owner_credentials: bool = True
    # Unknown: the v3 spec lists no 404 on client/get, client/authorization/delete,
    # client/granted_scopes/*, auth/token/get/list or auth/token/delete.
    unknown_id: int = 404
    # Authlete KB "Getting a list of issued access tokens": "This function is not available
    # for free plan users yet."
    token_list: str = "available"  # noqa: S105 - a mode, not a secret

    def changed(self, changes: Mapping[str, Any]) -> Modes:
        """These modes with some changed; ValueError names an unknown mode or value."""
        unknown = sorted(set(changes) - set(MEANINGS))
        if unknown:
            raise ValueError(f"unknown mode {', '.join(unknown)}; modes are {', '.join(MEANINGS)}")
        values = {name: _value(name, value) for name, value in changes.items()}
        return dataclasses.replace(self, **values)

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def as_text(self) -> dict[str, str]:
        """Each mode's value as the command line writes it."""
        return {
            name: ("on" if value else "off") if isinstance(value, bool) else str(value)
            for name, value in self.as_json().items()
        }


# What --help says of each mode, in the order it lists them.
MEANINGS = {
    "token_list_cap": "most tokens one /auth/token/get/list call may ask for",
    "server": "shared: every /client/granted_scopes/* call answers 403",
    "refresh_scopes": "whether scope updates change refreshTokenScopes too",
    "scope_filtering": "scope updates drop unsupported and unrequestable scopes",
    "v2_owner_credentials": "v2 /service/get takes the service owner's key and secret",
    "unknown_id": "status for an unknown client or token where the spec lists no 404",
    "token_list": "refused: /auth/token/get/list answers 403 (free plan)",
}
_CHOICES: dict[str, tuple[Any, ...]] = {
    "server": ("shared", "dedicated"),
    "refresh_scopes": ("stay", "follow"),
    "unknown_id": (404, 400),
    "token_list": ("available", "refused"),
}
_SWITCHES = ("scope_filtering", "v2_owner_credentials")
_ON = ("on", "true")
_OFF = ("off", "false")


def values_of(name: str) -> str:
    """The values a mode takes, for --help."""
    if name == "token_list_cap":
        return "N|off"
    if name in _SWITCHES:
        return "on|off"
    return "|".join(str(choice) for choice in _CHOICES[name])


def parse_assignment(text: str) -> tuple[str, Any]:
    """``name=value`` from the command line, checked: the name and the value it sets."""
    name, separator, value = text.partition("=")
    if not separator:
        raise ValueError(f"{text!r} is not name=value")
    name = name.strip().replace("-", "_")
    return name, getattr(Modes().changed({name: value.strip()}), name)


def _value(name: str, value: Any) -> Any:
    """A mode's value from JSON or the command line, or ValueError."""
    text = value.lower() if isinstance(value, str) else None
    if name == "token_list_cap":
        if text in _OFF:
            return 0
        if text is not None and text.isdigit():
            return int(text)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
    elif name in _SWITCHES:
        if isinstance(value, bool):
            return value
        if text in _ON or text in _OFF:
            return text in _ON
    elif name == "unknown_id":
        if not isinstance(value, bool) and str(value) in ("404", "400"):
            return int(value)
    elif text in _CHOICES[name]:
        return text
    raise ValueError(f"{name} takes {values_of(name)}, not {value!r}")
