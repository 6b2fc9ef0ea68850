"""AuthleteClient: one typed method per Authlete operation the portal uses, on API v3 or v2."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

from connected_apps.authlete import parsing
from connected_apps.authlete.transport import Limits, Transport
from connected_apps.authlete.types import (
    AuthorizedClientPage,
    ClientDetails,
    ClientPage,
    GrantedScopes,
    RegistrationResult,
    ResultOutcome,
    Service,
    TokenPage,
    TokenProperty,
    TokenUpdateResult,
)


@dataclass(frozen=True, slots=True)
class _Config:
    base_url: str
    api_version: str
    service_id: str
    service_token: str
    api_key: str
    api_secret: str
    owner_api_key: str
    owner_api_secret: str
    limits: Limits

    @classmethod
    def from_settings(cls) -> _Config:
        version = str(settings.AUTHLETE_API_VERSION).lower()
        if version not in {"v2", "v3"}:
            raise ImproperlyConfigured(f"AUTHLETE_API_VERSION must be v3 or v2, not {version!r}.")
        needed = ["AUTHLETE_BASE_URL"]
        needed += (
            ["AUTHLETE_SERVICE_ID", "AUTHLETE_SERVICE_TOKEN"]
            if version == "v3"
            else ["AUTHLETE_API_KEY", "AUTHLETE_API_SECRET"]
        )
        missing = [name for name in needed if not getattr(settings, name)]
        if missing:
            raise ImproperlyConfigured(
                f"Authlete API {version} needs these settings: {', '.join(missing)}."
            )
        return cls(
            base_url=settings.AUTHLETE_BASE_URL.rstrip("/"),
            api_version=version,
            service_id=str(settings.AUTHLETE_SERVICE_ID),
            service_token=settings.AUTHLETE_SERVICE_TOKEN,
            api_key=settings.AUTHLETE_API_KEY,
            api_secret=settings.AUTHLETE_API_SECRET,
            owner_api_key=settings.AUTHLETE_SERVICE_OWNER_API_KEY,
            owner_api_secret=settings.AUTHLETE_SERVICE_OWNER_API_SECRET,
            limits=Limits.from_settings(),
        )


class AuthleteClient:
    """Typed access to the Authlete operations the portal uses, over pooled sessions.

    v3 authenticates with a service access token and puts the service id in the path
    (``/api/{serviceId}/...``); v2 uses HTTP Basic with the service API key and secret
    (``/api/...``). Grant calls send the subject in a JSON body (or, where the spec allows nothing
    else, in the query string) so an arbitrary subject never becomes part of a URL path.
    """

    def __init__(self, config: _Config) -> None:
        self._config = config
        self._v3 = config.api_version == "v3"
        self._transport = Transport(
            config.limits,
            headers={"Authorization": f"Bearer {config.service_token}"} if self._v3 else {},
            auth=None if self._v3 else (config.api_key, config.api_secret),
        )

    @property
    def api_version(self) -> str:
        return self._config.api_version

    def close(self) -> None:
        self._transport.close()

    # Service and clients ---------------------------------------------------------------------

    def service_get(self) -> Service:
        if self._v3:
            return self._call("service_get", "GET", "/service/get", parsing.service)
        # v2 reads a service with its owner's key and secret (the spec's ServiceOwnerCredentials,
        # as Authlete's Java and Python clients send them); without them, try the service's own.
        config = self._config
        owner = (config.owner_api_key, config.owner_api_secret) if config.owner_api_key else None
        path = f"/service/get/{quote(config.api_key)}"
        return self._call("service_get", "GET", path, parsing.service, auth=owner)

    def client_get(self, client_id: int) -> ClientDetails:
        return self._call(
            "client_get", "GET", f"/client/get/{int(client_id)}", parsing.client_details
        )

    def client_list(
        self, *, developer: str | None = None, start: int = 0, end: int = 5
    ) -> ClientPage:
        """The service's clients, or only those whose ``developer`` is this name (v3). Secrets
        are never copied in."""
        params: dict[str, Any] = {"start": start, "end": end}
        if developer is not None:
            params["developer"] = developer
        return self._call(
            "client_list",
            "GET",
            "/client/get/list",
            partial(parsing.client_page, start=start, end=end),
            params=params,
        )

    def client_lock_update(self, *, client_id: int, locked: bool) -> ResultOutcome:
        """Lock a client (it gets no new tokens) or unlock it; its tokens stay as they are."""
        return self._call(
            "client_lock_update",
            "POST",
            f"/client/lock_flag/update/{int(client_id)}",
            parsing.outcome,
            json_body={"clientLocked": locked},
            write=True,
        )

    # Grants of one subject ------------------------------------------------------------------

    def authorization_list(
        self, *, subject: str, start: int = 0, end: int = 5, developer: str | None = None
    ) -> AuthorizedClientPage:
        payload: dict[str, Any] = {"subject": subject, "start": start, "end": end}
        if developer:
            payload["developer"] = developer
        return self._call(
            "authorization_list",
            "POST",
            "/client/authorization/get/list",
            partial(parsing.authorized_client_page, subject=subject, start=start, end=end),
            json_body=payload,
        )

    def authorization_update(
        self, *, client_id: int, subject: str, scopes: Sequence[str]
    ) -> ResultOutcome:
        return self._call(
            "authorization_update",
            "POST",
            f"/client/authorization/update/{int(client_id)}",
            # The spec's documented success: "[A138001] Updated N access token(s)".
            partial(parsing.confirmed, result_code="A138001"),
            json_body={"subject": subject, "scopes": list(scopes)},
            write=True,
        )

    def authorization_delete(self, *, client_id: int, subject: str) -> ResultOutcome:
        return self._call(
            "authorization_delete",
            "POST",
            f"/client/authorization/delete/{int(client_id)}",
            # The spec's documented success: "[A137001] Deleted N access token(s)".
            partial(parsing.confirmed, result_code="A137001"),
            json_body={"subject": subject},
            write=True,
        )

    def granted_scopes_get(self, *, client_id: int, subject: str) -> GrantedScopes:
        return self._call(
            "granted_scopes_get",
            "POST",
            f"/client/granted_scopes/get/{int(client_id)}",
            parsing.granted_scopes,
            json_body={"subject": subject},
        )

    def granted_scopes_delete(self, *, client_id: int, subject: str) -> ResultOutcome:
        # The spec offers only DELETE with the subject as a query parameter here: it is
        # percent-encoded into the query, never the path.
        return self._call(
            "granted_scopes_delete",
            "DELETE",
            f"/client/granted_scopes/delete/{int(client_id)}",
            parsing.outcome,
            params={"subject": subject},
            write=True,
        )

    # Tokens ----------------------------------------------------------------------------------

    def token_list(
        self, *, subject: str | None, client_id: int | None, start: int = 0, end: int = 5
    ) -> TokenPage:
        """The client's tokens, of one subject, or (``subject=None``) of every subject; with
        ``client_id=None``, the subject's tokens for every client (both are optional)."""
        params: dict[str, Any] = {}
        if client_id is not None:
            params["clientIdentifier"] = str(int(client_id))
        if subject is not None:
            params["subject"] = subject
        return self._call(
            "token_list",
            "GET",
            "/auth/token/get/list",
            partial(parsing.token_page, start=start, end=end),
            params={**params, "start": start, "end": end},
        )

    def token_update(
        self,
        *,
        access_token_hash: str,
        scopes: Sequence[str] | None = None,
        expires_at: datetime | None = None,
        properties: Sequence[TokenProperty] | None = None,
    ) -> TokenUpdateResult:
        payload: dict[str, Any] = {"accessTokenHash": access_token_hash}
        if scopes is not None:
            payload["scopes"] = list(scopes)
        if expires_at is not None:
            payload["accessTokenExpiresAt"] = int(expires_at.timestamp() * 1000)
        if properties is not None:
            payload["properties"] = [
                {"key": p.key, "value": p.value, "hidden": p.hidden} for p in properties
            ]
        return self._call(
            "token_update",
            "POST",
            "/auth/token/update",
            parsing.token_update_result,
            json_body=payload,
            write=True,
        )

    def token_delete(self, *, token_identifier: str) -> None:
        self._transport.call(
            "token_delete",
            "DELETE",
            self._url(f"/auth/token/delete/{quote(token_identifier, safe='')}"),
            write=True,
            expect_body=False,
        )

    # Dynamic client registration (RFC 7591 / 7592) -------------------------------------------

    def registration_create(
        self, *, metadata_json: str, initial_access_token: str | None = None
    ) -> RegistrationResult:
        payload: dict[str, Any] = {"json": metadata_json}
        if initial_access_token:
            payload["token"] = initial_access_token
        return self._registration("registration_create", "/client/registration", payload)

    def registration_get(self, *, client_id: str, token: str) -> RegistrationResult:
        payload = {"clientId": client_id, "token": token}
        return self._registration("registration_get", "/client/registration/get", payload)

    def registration_update(
        self, *, client_id: str, token: str, metadata_json: str
    ) -> RegistrationResult:
        payload = {"clientId": client_id, "token": token, "json": metadata_json}
        return self._registration("registration_update", "/client/registration/update", payload)

    def registration_delete(self, *, client_id: str, token: str) -> RegistrationResult:
        payload = {"clientId": client_id, "token": token}
        return self._registration("registration_delete", "/client/registration/delete", payload)

    def _registration(
        self, operation: str, path: str, payload: Mapping[str, Any]
    ) -> RegistrationResult:
        return self._call(
            operation, "POST", path, parsing.registration_result, json_body=payload, write=True
        )

    # Plumbing --------------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        prefix = f"/api/{quote(self._config.service_id, safe='')}" if self._v3 else "/api"
        return f"{self._config.base_url}{prefix}{path}"

    def _call[R](
        self,
        operation: str,
        method: str,
        path: str,
        build: Callable[[parsing.Body], R],
        *,
        json_body: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        write: bool = False,
        auth: tuple[str, str] | None = None,
    ) -> R:
        body = self._transport.call(
            operation,
            method,
            self._url(path),
            json_body=json_body,
            params=params,
            write=write,
            auth=auth,
        )
        return parsing.parse(operation, build, body)


# --- The process-wide client --------------------------------------------------------------------

_client: AuthleteClient | None = None
_client_lock = threading.Lock()


def get_client() -> AuthleteClient:
    """The process-wide client, built from settings on first use."""
    global _client
    with _client_lock:
        if _client is None:
            _client = AuthleteClient(_Config.from_settings())
        return _client


def _forget_client(*, setting: str, **kwargs: Any) -> None:
    global _client
    if setting.startswith("AUTHLETE_"):
        with _client_lock:
            if _client is not None:
                _client.close()
            _client = None


setting_changed.connect(_forget_client)
