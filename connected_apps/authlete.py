"""The only module that speaks HTTP to Authlete: typed calls in, frozen dataclasses out.

Both API versions are served by one client. v3 authenticates with a service access token and puts
the service id in the path (``/api/{serviceId}/...``); v2 uses HTTP Basic with the service API key
and secret (``/api/...``). Grant calls send the subject in a JSON body (or, where the spec allows
nothing else, in the query string) so an arbitrary subject never becomes part of a URL path.

Every failure surfaces as one exception family rooted at :class:`AuthleteError`. Messages and logs
carry the operation, HTTP status, Authlete's resultCode and the duration — never credentials.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from requests.adapters import HTTPAdapter

logger = logging.getLogger(__name__)

# Retry pauses grow from this base (0.2 s, 0.4 s, ...) unless Authlete asks for longer.
_BACKOFF_SECONDS = 0.2
_RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
# Failures further apart than this are not an outage in progress: the breaker counts afresh.
_BREAKER_WINDOW_SECONDS = 60.0
_COUNT_IN_MESSAGE = re.compile(r"(?:Updated|Deleted|Revoked) (\d+) access token")


# --- Exceptions -------------------------------------------------------------------------------


class AuthleteError(Exception):
    """Authlete could not do what was asked. ``reason`` is a short word for logs and probes."""

    reason = "error"

    def __init__(
        self,
        message: str,
        *,
        operation: str,
        status: int | None = None,
        result_code: str | None = None,
        result_message: str | None = None,
    ) -> None:
        super().__init__(message)
        self.operation = operation
        self.status = status
        self.result_code = result_code
        # Authlete's own text embeds ids; keep it for logs and admins, never show it to end-users.
        self.result_message = result_message


class AuthleteUnavailable(AuthleteError):
    """Authlete could not be reached, answered 5xx, or kept asking us to slow down."""

    reason = "unavailable"


class AuthleteTimeout(AuthleteUnavailable):
    """Authlete did not answer within the configured timeouts or the call's deadline."""

    reason = "timeout"


class AuthleteRejected(AuthleteError):
    """Authlete refused the call (4xx) and said why in its resultCode."""

    reason = "rejected"


class AuthleteNotFound(AuthleteRejected):
    """The client (or token) named in the call does not exist."""

    reason = "not_found"


class AuthleteCredentialsError(AuthleteRejected):
    """Authlete did not accept our credentials (401) or they lack a permission (403)."""

    reason = "bad_credentials"


class AuthleteMalformed(AuthleteError):
    """Authlete answered, but not with the JSON shape its API documents."""

    reason = "malformed"


# --- Results ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LocalizedText:
    tag: str
    value: str


@dataclass(frozen=True, slots=True)
class ScopeDefinition:
    name: str
    description: str
    descriptions: tuple[LocalizedText, ...] = ()


@dataclass(frozen=True, slots=True)
class Service:
    api_key: str
    name: str
    description: str
    scopes: tuple[ScopeDefinition, ...]
    # A token without service-view rights gets a limited view with no scopes at all.
    limited: bool


@dataclass(frozen=True, slots=True)
class ClientSummary:
    """What the authorized-clients list says of a client (v3 gives only these fields)."""

    client_id: int
    alias: str
    name: str
    names: tuple[LocalizedText, ...]
    description: str
    descriptions: tuple[LocalizedText, ...]
    client_type: str


@dataclass(frozen=True, slots=True)
class ClientDetails:
    """A client's display metadata. Secrets are never copied in."""

    client_id: int
    alias: str
    name: str
    names: tuple[LocalizedText, ...]
    description: str
    descriptions: tuple[LocalizedText, ...]
    logo_uri: str
    logo_uris: tuple[LocalizedText, ...]
    client_uri: str
    client_uris: tuple[LocalizedText, ...]
    policy_uri: str
    policy_uris: tuple[LocalizedText, ...]
    tos_uri: str
    tos_uris: tuple[LocalizedText, ...]
    developer: str
    client_type: str
    application_type: str
    contacts: tuple[str, ...]
    redirect_uris: tuple[str, ...]
    dynamically_registered: bool
    created_at: datetime | None
    modified_at: datetime | None


@dataclass(frozen=True, slots=True)
class AuthorizedClientPage:
    subject: str
    start: int
    end: int
    total_count: int
    clients: tuple[ClientSummary, ...]


@dataclass(frozen=True, slots=True)
class GrantedScopes:
    """The remembered consent of a subject for a client.

    ``None`` means Authlete holds no record at all; an empty tuple means a record with no scopes.
    """

    latest: tuple[str, ...] | None
    merged: tuple[str, ...] | None
    modified_at: datetime | None

    @property
    def has_record(self) -> bool:
        return self.latest is not None or self.merged is not None


@dataclass(frozen=True, slots=True)
class ResultOutcome:
    """Authlete's confirmation of a change, with the number of tokens it touched when it says."""

    result_code: str
    result_message: str
    token_count: int | None


@dataclass(frozen=True, slots=True)
class TokenProperty:
    key: str
    value: str
    hidden: bool


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """One access token as Authlete lists it: identified by hash, never by value."""

    access_token_hash: str
    access_token_expires_at: datetime | None
    refresh_token_hash: str
    refresh_token_expires_at: datetime | None
    created_at: datetime | None
    last_refreshed_at: datetime | None
    client_id: int
    subject: str
    grant_type: str
    scopes: tuple[str, ...]
    refresh_token_scopes: tuple[str, ...]
    properties: tuple[TokenProperty, ...]


@dataclass(frozen=True, slots=True)
class TokenPage:
    start: int
    end: int
    total_count: int
    tokens: tuple[TokenInfo, ...]


@dataclass(frozen=True, slots=True)
class TokenUpdateResult:
    action: str  # OK, BAD_REQUEST, FORBIDDEN, NOT_FOUND or INTERNAL_SERVER_ERROR
    result_code: str
    result_message: str
    scopes: tuple[str, ...] | None
    access_token_expires_at: datetime | None
    properties: tuple[TokenProperty, ...] | None


@dataclass(frozen=True, slots=True)
class RegistrationResult:
    """Outcome of an RFC 7591/7592 call; ``response_content`` goes back to the caller verbatim."""

    action: str  # CREATED, OK, UPDATED, DELETED, BAD_REQUEST, UNAUTHORIZED, INTERNAL_SERVER_ERROR
    response_content: str
    result_code: str
    client_id: int | None


@dataclass(frozen=True, slots=True)
class ClientPage:
    """One page of a service's clients, optionally only those of one developer."""

    start: int
    end: int
    total_count: int
    clients: tuple[ClientDetails, ...]


# --- Configuration ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Config:
    base_url: str
    api_version: str
    service_id: str
    service_token: str
    api_key: str
    api_secret: str
    connect_timeout: float
    read_timeout: float
    deadline: float
    max_retries: int
    breaker_failures: int = 5
    breaker_cooldown: float = 15.0

    @classmethod
    def from_settings(cls) -> _Config:
        version = str(getattr(settings, "AUTHLETE_API_VERSION", "v3")).lower()
        if version not in {"v2", "v3"}:
            raise ImproperlyConfigured(f"AUTHLETE_API_VERSION must be v3 or v2, not {version!r}.")
        needed = ["AUTHLETE_BASE_URL"]
        needed += (
            ["AUTHLETE_SERVICE_ID", "AUTHLETE_SERVICE_TOKEN"]
            if version == "v3"
            else ["AUTHLETE_API_KEY", "AUTHLETE_API_SECRET"]
        )
        missing = [name for name in needed if not getattr(settings, name, "")]
        if missing:
            raise ImproperlyConfigured(
                f"Authlete API {version} needs these settings: {', '.join(missing)}."
            )
        return cls(
            base_url=settings.AUTHLETE_BASE_URL.rstrip("/"),
            api_version=version,
            service_id=str(getattr(settings, "AUTHLETE_SERVICE_ID", "")),
            service_token=getattr(settings, "AUTHLETE_SERVICE_TOKEN", ""),
            api_key=getattr(settings, "AUTHLETE_API_KEY", ""),
            api_secret=getattr(settings, "AUTHLETE_API_SECRET", ""),
            connect_timeout=float(settings.AUTHLETE_CONNECT_TIMEOUT),
            read_timeout=float(settings.AUTHLETE_READ_TIMEOUT),
            deadline=float(settings.AUTHLETE_DEADLINE),
            max_retries=int(settings.AUTHLETE_MAX_RETRIES),
            breaker_failures=int(getattr(settings, "AUTHLETE_BREAKER_FAILURES", 5)),
            breaker_cooldown=float(getattr(settings, "AUTHLETE_BREAKER_COOLDOWN", 15.0)),
        )


# --- Circuit breaker --------------------------------------------------------------------------


class _CircuitBreaker:
    """Stop calling an Authlete that keeps failing, so pages fail at once instead of waiting.

    Closed, it counts consecutive calls that ended unavailable or timed out (after their own
    retries). After ``failures`` of them within the window it opens: calls fail fast for
    ``cooldown`` seconds without a request. Then one trial call goes through (half-open); its
    success closes the breaker, its failure opens it for another cool-down. ``failures`` below
    one turns the breaker off. One per client, so per process, shared by all threads.
    """

    def __init__(self, *, failures: int, cooldown: float) -> None:
        self._threshold = failures
        self._cooldown = cooldown
        self._lock = threading.Lock()
        self._failures = 0
        self._last_failure = 0.0
        self._opened_at: float | None = None
        self._trial_in_flight = False

    def allow(self) -> tuple[bool, bool]:
        """Whether a call may go out now, and whether it is the half-open trial."""
        if self._threshold < 1:
            return True, False
        with self._lock:
            if self._opened_at is None:
                return True, False
            cooled = time.monotonic() - self._opened_at >= self._cooldown
            if cooled and not self._trial_in_flight:
                self._trial_in_flight = True
                return True, True
            return False, False

    def retry_in(self) -> float:
        with self._lock:
            if self._opened_at is None:
                return 0.0
            return max(0.0, self._cooldown - (time.monotonic() - self._opened_at))

    def succeeded(self, *, trial: bool) -> None:
        with self._lock:
            if trial:
                self._trial_in_flight = False
            self._failures = 0
            if self._opened_at is not None and (trial or not self._trial_in_flight):
                logger.info("authlete circuit closed: Authlete answered again")
                self._opened_at = None

    def failed(self, *, trial: bool) -> None:
        if self._threshold < 1:
            return
        with self._lock:
            now = time.monotonic()
            if trial:
                self._trial_in_flight = False
                self._opened_at = now
                logger.warning("authlete circuit open again: the trial call failed")
                return
            if now - self._last_failure > _BREAKER_WINDOW_SECONDS:
                self._failures = 0
            self._failures += 1
            self._last_failure = now
            if self._opened_at is None and self._failures >= self._threshold:
                self._opened_at = now
                logger.warning(
                    "authlete circuit open after %d consecutive failures; cool-down %.1fs",
                    self._failures,
                    self._cooldown,
                )

    def abandoned(self, *, trial: bool) -> None:
        """The call ended some other way (a bug, an interrupt): free the trial slot."""
        if trial:
            with self._lock:
                self._trial_in_flight = False


# --- The client -------------------------------------------------------------------------------


class _ShapeError(ValueError):
    """A field in Authlete's answer is not of the documented type."""


def _parsed[**P, R](method: Callable[P, R]) -> Callable[P, R]:
    """Report an answer of the wrong shape as AuthleteMalformed, named after the operation."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except _ShapeError as exc:
            raise AuthleteMalformed(
                f"Authlete's answer to {method.__name__} has a malformed {exc} field.",
                operation=method.__name__,
            ) from None

    return wrapper


class AuthleteClient:
    """Typed access to the Authlete operations the portal uses, over one pooled session."""

    def __init__(self, config: _Config) -> None:
        self._config = config
        self._session = requests.Session()
        # The list page fans out per-app calls in parallel; the pool must hold them all.
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=32, max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._session.headers["Accept"] = "application/json"
        self._breaker = _CircuitBreaker(
            failures=config.breaker_failures, cooldown=config.breaker_cooldown
        )
        if config.api_version == "v3":
            self._session.headers["Authorization"] = f"Bearer {config.service_token}"
        else:
            self._session.auth = (config.api_key, config.api_secret)

    @property
    def api_version(self) -> str:
        return self._config.api_version

    def close(self) -> None:
        self._session.close()

    # Service and clients ---------------------------------------------------------------------

    @_parsed
    def service_get(self) -> Service:
        path = "/service/get" if self._v3 else f"/service/get/{quote(self._config.api_key)}"
        body = self._call("service_get", "GET", path, api_prefix=self._v3)
        if "supportedScopes" not in body:
            limited = True
            scopes: tuple[ScopeDefinition, ...] = ()
        else:
            limited = False
            scopes = tuple(
                ScopeDefinition(
                    name=_text(item, "name"),
                    description=_text(item, "description"),
                    descriptions=_localized(item, "descriptions"),
                )
                for item in _objects(body, "supportedScopes")
            )
        return Service(
            api_key=str(body.get("apiKey") or ""),
            name=_text(body, "serviceName"),
            description=_text(body, "description"),
            scopes=scopes,
            limited=limited,
        )

    @_parsed
    def client_get(self, client_id: int) -> ClientDetails:
        body = self._call("client_get", "GET", f"/client/get/{int(client_id)}")
        return _client_details(body)

    # Grants of one subject ------------------------------------------------------------------

    @_parsed
    def authorization_list(
        self, *, subject: str, start: int = 0, end: int = 5, developer: str | None = None
    ) -> AuthorizedClientPage:
        payload: dict[str, Any] = {"subject": subject, "start": start, "end": end}
        if developer:
            payload["developer"] = developer
        body = self._call(
            "authorization_list", "POST", "/client/authorization/get/list", json_body=payload
        )
        return AuthorizedClientPage(
            subject=str(body.get("subject") or subject),
            start=_int(body, "start", start),
            end=_int(body, "end", end),
            total_count=_int(body, "totalCount", 0),
            clients=tuple(_client_summary(item) for item in _objects(body, "clients")),
        )

    @_parsed
    def authorization_update(
        self, *, client_id: int, subject: str, scopes: Sequence[str]
    ) -> ResultOutcome:
        body = self._call(
            "authorization_update",
            "POST",
            f"/client/authorization/update/{int(client_id)}",
            json_body={"subject": subject, "scopes": list(scopes)},
            write=True,
        )
        return _outcome(body)

    @_parsed
    def authorization_delete(self, *, client_id: int, subject: str) -> ResultOutcome:
        body = self._call(
            "authorization_delete",
            "POST",
            f"/client/authorization/delete/{int(client_id)}",
            json_body={"subject": subject},
            write=True,
        )
        return _outcome(body)

    @_parsed
    def granted_scopes_get(self, *, client_id: int, subject: str) -> GrantedScopes:
        body = self._call(
            "granted_scopes_get",
            "POST",
            f"/client/granted_scopes/get/{int(client_id)}",
            json_body={"subject": subject},
        )
        return GrantedScopes(
            latest=_optional_scopes(body, "latestGrantedScopes"),
            merged=_optional_scopes(body, "mergedGrantedScopes"),
            modified_at=_millis(body, "modifiedAt"),
        )

    @_parsed
    def granted_scopes_delete(self, *, client_id: int, subject: str) -> ResultOutcome:
        # The spec offers only DELETE with the subject as a query parameter here: it is
        # percent-encoded into the query, never the path.
        body = self._call(
            "granted_scopes_delete",
            "DELETE",
            f"/client/granted_scopes/delete/{int(client_id)}",
            params={"subject": subject},
            write=True,
        )
        return _outcome(body)

    # Tokens ----------------------------------------------------------------------------------

    @_parsed
    def token_list(
        self, *, subject: str, client_id: int, start: int = 0, end: int = 5
    ) -> TokenPage:
        body = self._call(
            "token_list",
            "GET",
            "/auth/token/get/list",
            params={
                "clientIdentifier": str(int(client_id)),
                "subject": subject,
                "start": start,
                "end": end,
            },
        )
        return TokenPage(
            start=_int(body, "start", start),
            end=_int(body, "end", end),
            total_count=_int(body, "totalCount", 0),
            tokens=tuple(_token(item) for item in _objects(body, "accessTokens")),
        )

    @_parsed
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
        body = self._call(
            "token_update", "POST", "/auth/token/update", json_body=payload, write=True
        )
        return TokenUpdateResult(
            action=_text(body, "action"),
            result_code=_text(body, "resultCode"),
            result_message=_text(body, "resultMessage"),
            scopes=_optional_scopes(body, "scopes"),
            access_token_expires_at=_millis(body, "accessTokenExpiresAt"),
            properties=(
                tuple(_property(item) for item in _objects(body, "properties"))
                if body.get("properties") is not None
                else None
            ),
        )

    def token_delete(self, *, token_identifier: str) -> None:
        self._call(
            "token_delete",
            "DELETE",
            f"/auth/token/delete/{quote(token_identifier, safe='')}",
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

    @_parsed
    def _registration(
        self, operation: str, path: str, payload: dict[str, Any]
    ) -> RegistrationResult:
        body = self._call(operation, "POST", path, json_body=payload, write=True)
        client = body.get("client")
        client_id = client.get("clientId") if isinstance(client, Mapping) else None
        return RegistrationResult(
            action=_text(body, "action"),
            response_content=_text(body, "responseContent"),
            result_code=_text(body, "resultCode"),
            client_id=int(client_id) if isinstance(client_id, int) else None,
        )

    # Clients of a developer --------------------------------------------------------------------

    @_parsed
    def client_list(self, *, developer: str, start: int = 0, end: int = 5) -> ClientPage:
        """v3 only: the clients whose ``developer`` is this name. Secrets are never copied in."""
        body = self._call(
            "client_list",
            "GET",
            "/client/get/list",
            params={"developer": developer, "start": start, "end": end},
        )
        return ClientPage(
            start=_int(body, "start", start),
            end=_int(body, "end", end),
            total_count=_int(body, "totalCount", 0),
            clients=tuple(_client_details(item) for item in _objects(body, "clients")),
        )

    # Transport -------------------------------------------------------------------------------

    @property
    def _v3(self) -> bool:
        return self._config.api_version == "v3"

    def _url(self, path: str, *, api_prefix: bool = True) -> str:
        prefix = (
            f"/api/{quote(self._config.service_id, safe='')}" if api_prefix and self._v3 else "/api"
        )
        return f"{self._config.base_url}{prefix}{path}"

    def _call(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        json_body: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        write: bool = False,
        expect_body: bool = True,
        api_prefix: bool = True,
    ) -> dict[str, Any]:
        """Send one call with retries inside a total deadline and map the outcome.

        Reads are retried on connection failures, timeouts, 429 and 502/503/504. A write is
        retried only when Authlete cannot have acted on it: the connection was never made, or
        it answered 429 (rate limited before processing). While the circuit breaker is open the
        call fails at once, without a request.
        """
        allowed, trial = self._breaker.allow()
        if not allowed:
            self._log(operation, None, None, time.monotonic(), 0, "circuit_open")
            raise AuthleteUnavailable(
                f"Authlete is unavailable for {operation}: it failed repeatedly, so calls pause "
                f"for {self._breaker.retry_in():.0f} s.",
                operation=operation,
            )
        try:
            body = self._send(
                operation,
                method,
                path,
                json_body=json_body,
                params=params,
                write=write,
                expect_body=expect_body,
                api_prefix=api_prefix,
            )
        except AuthleteUnavailable:
            self._breaker.failed(trial=trial)
            raise
        except AuthleteError:
            # Authlete answered, if not as hoped: it is up.
            self._breaker.succeeded(trial=trial)
            raise
        except BaseException:
            self._breaker.abandoned(trial=trial)
            raise
        self._breaker.succeeded(trial=trial)
        return body

    def _send(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        json_body: Mapping[str, Any] | None,
        params: Mapping[str, Any] | None,
        write: bool,
        expect_body: bool,
        api_prefix: bool,
    ) -> dict[str, Any]:
        """The call itself: attempts and pauses within the deadline, outcome mapped."""
        cfg = self._config
        url = self._url(path, api_prefix=api_prefix)
        started = time.monotonic()
        deadline = started + cfg.deadline
        attempt = 0
        while True:
            attempt += 1
            remaining = deadline - time.monotonic()
            timeout = (min(cfg.connect_timeout, remaining), min(cfg.read_timeout, remaining))
            retry_after: float | None = None
            try:
                response = self._session.request(
                    method, url, json=json_body, params=params, timeout=timeout
                )
            except requests.RequestException as exc:
                error, retryable = _transport_error(operation, exc, write=write)
                self._log(operation, None, None, started, attempt, error.reason)
                cause: BaseException | None = exc
            else:
                status = response.status_code
                if status < 300:
                    self._log(operation, status, None, started, attempt, "ok")
                    return _json_object(response, operation) if expect_body else {}
                result_code, result_message = _result_fields(response)
                error = _error_for_status(operation, status, result_code, result_message)
                retryable = status in _RETRYABLE_STATUSES and (not write or status == 429)
                retry_after = _retry_after_seconds(response)
                self._log(operation, status, result_code, started, attempt, error.reason)
                cause = None
            if not retryable or attempt > cfg.max_retries:
                raise error from cause
            pause = (
                retry_after if retry_after is not None else _BACKOFF_SECONDS * 2 ** (attempt - 1)
            )
            if time.monotonic() + pause >= deadline:
                # Waiting as long as Authlete asks would break our own deadline: give up now.
                raise error from cause
            time.sleep(pause)

    @staticmethod
    def _log(
        operation: str,
        status: int | None,
        result_code: str | None,
        started: float,
        attempt: int,
        outcome: str,
    ) -> None:
        logger.info(
            "authlete op=%s status=%s result=%s outcome=%s attempt=%d duration_ms=%d",
            operation,
            status if status is not None else "-",
            result_code or "-",
            outcome,
            attempt,
            (time.monotonic() - started) * 1000,
        )


# --- Module-level access ----------------------------------------------------------------------

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


# --- Parsing helpers --------------------------------------------------------------------------


def _transport_error(
    operation: str, exc: requests.RequestException, *, write: bool
) -> tuple[AuthleteError, bool]:
    """Map a failure to talk to Authlete, and say whether repeating the call is safe."""
    if isinstance(exc, requests.ConnectTimeout):
        # The connection was never made, so not even a write can have reached Authlete.
        return AuthleteTimeout(
            f"Could not connect to Authlete for {operation} in time.", operation=operation
        ), True
    if isinstance(exc, requests.Timeout):
        return AuthleteTimeout(
            f"Authlete did not answer {operation} in time.", operation=operation
        ), not write
    # A refused connection never reached Authlete; a reset mid-answer may have.
    never_connected = "NewConnectionError" in repr(exc)
    return AuthleteUnavailable(
        f"Could not reach Authlete for {operation}.", operation=operation
    ), not write or never_connected


def _error_for_status(
    operation: str, status: int, result_code: str | None, result_message: str | None
) -> AuthleteError:
    fields = {
        "operation": operation,
        "status": status,
        "result_code": result_code,
        "result_message": result_message,
    }
    code = f" ({result_code})" if result_code else ""
    if status in (401, 403):
        return AuthleteCredentialsError(
            f"Authlete refused our credentials for {operation}: HTTP {status}{code}.", **fields
        )
    if status == 404:
        return AuthleteNotFound(f"Authlete found nothing for {operation}{code}.", **fields)
    if status == 429 or status >= 500:
        return AuthleteUnavailable(
            f"Authlete is unavailable for {operation}: HTTP {status}{code}.", **fields
        )
    return AuthleteRejected(f"Authlete rejected {operation}: HTTP {status}{code}.", **fields)


def _result_fields(response: requests.Response) -> tuple[str | None, str | None]:
    try:
        body = response.json()
    except ValueError:
        return None, None
    if not isinstance(body, dict):
        return None, None
    code, message = body.get("resultCode"), body.get("resultMessage")
    return (str(code) if code is not None else None, str(message) if message else None)


def _retry_after_seconds(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _json_object(response: requests.Response, operation: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise AuthleteMalformed(
            f"Authlete's answer to {operation} was not JSON.",
            operation=operation,
            status=response.status_code,
        ) from None
    if not isinstance(body, dict):
        raise AuthleteMalformed(
            f"Authlete's answer to {operation} was not a JSON object.",
            operation=operation,
            status=response.status_code,
        )
    return body


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str | int):
        raise _ShapeError(key)
    return str(value)


def _int(data: Mapping[str, Any], key: str, default: int) -> int:
    value = data.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise _ShapeError(key)
    return value


def _millis(data: Mapping[str, Any], key: str) -> datetime | None:
    value = data.get(key)
    if value in (None, 0):
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _ShapeError(key)
    return datetime.fromtimestamp(value / 1000, tz=UTC)


def _objects(data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise _ShapeError(key)
    return value


def _strings(data: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _ShapeError(key)
    return tuple(value)


def _optional_scopes(data: Mapping[str, Any], key: str) -> tuple[str, ...] | None:
    return None if data.get(key) is None else _strings(data, key)


def _localized(data: Mapping[str, Any], key: str) -> tuple[LocalizedText, ...]:
    return tuple(
        LocalizedText(tag=_text(item, "tag"), value=_text(item, "value"))
        for item in _objects(data, key)
    )


def _client_id(data: Mapping[str, Any]) -> int:
    value = data.get("clientId")
    if isinstance(value, bool) or not isinstance(value, int):
        raise _ShapeError("clientId")
    return value


def _client_summary(data: Mapping[str, Any]) -> ClientSummary:
    return ClientSummary(
        client_id=_client_id(data),
        alias=_text(data, "clientIdAlias"),
        name=_text(data, "clientName"),
        names=_localized(data, "clientNames"),
        description=_text(data, "description"),
        descriptions=_localized(data, "descriptions"),
        client_type=_text(data, "clientType"),
    )


def _client_details(data: Mapping[str, Any]) -> ClientDetails:
    return ClientDetails(
        client_id=_client_id(data),
        alias=_text(data, "clientIdAlias"),
        name=_text(data, "clientName"),
        names=_localized(data, "clientNames"),
        description=_text(data, "description"),
        descriptions=_localized(data, "descriptions"),
        logo_uri=_text(data, "logoUri"),
        logo_uris=_localized(data, "logoUris"),
        client_uri=_text(data, "clientUri"),
        client_uris=_localized(data, "clientUris"),
        policy_uri=_text(data, "policyUri"),
        policy_uris=_localized(data, "policyUris"),
        tos_uri=_text(data, "tosUri"),
        tos_uris=_localized(data, "tosUris"),
        developer=_text(data, "developer"),
        client_type=_text(data, "clientType"),
        application_type=_text(data, "applicationType"),
        contacts=_strings(data, "contacts"),
        redirect_uris=_strings(data, "redirectUris"),
        dynamically_registered=bool(data.get("dynamicallyRegistered")),
        created_at=_millis(data, "createdAt"),
        modified_at=_millis(data, "modifiedAt"),
    )


def _property(data: Mapping[str, Any]) -> TokenProperty:
    return TokenProperty(
        key=_text(data, "key"), value=_text(data, "value"), hidden=bool(data.get("hidden"))
    )


def _token(data: Mapping[str, Any]) -> TokenInfo:
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
        properties=tuple(_property(item) for item in _objects(data, "properties")),
    )


def _outcome(body: Mapping[str, Any]) -> ResultOutcome:
    message = _text(body, "resultMessage")
    match = _COUNT_IN_MESSAGE.search(message)
    return ResultOutcome(
        result_code=_text(body, "resultCode"),
        result_message=message,
        token_count=int(match.group(1)) if match else None,
    )
