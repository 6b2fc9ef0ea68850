"""How a call reaches Authlete: pooled sessions, timeouts, retries within a deadline, a breaker."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from copy import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.exceptions import (
    ConnectTimeoutError,
    InvalidHeader,
    MaxRetryError,
    NewConnectionError,
    ReadTimeoutError,
    ResponseError,
)
from urllib3.util import Retry, Timeout

from connected_apps.authlete import pacing
from connected_apps.authlete.breaker import Breaker
from connected_apps.authlete.errors import (
    AuthleteCredentialsError,
    AuthleteError,
    AuthleteMalformed,
    AuthleteNotFound,
    AuthleteRejected,
    AuthleteTimeout,
    AuthleteUnavailable,
)
from connected_apps.authlete.parsing import json_object, result_fields

if TYPE_CHECKING:
    from types import TracebackType

    from urllib3.connectionpool import ConnectionPool
    from urllib3.response import BaseHTTPResponse

logger = logging.getLogger(__name__)

# Pauses between attempts: none before the first retry, then 0.4 s, 0.8 s, ... unless Authlete
# asks for longer with Retry-After.
_BACKOFF_FACTOR = 0.2
# Statuses that mean "not processed, ask again later"; only 429 also says so of a write.
_READ_RETRY_STATUSES = frozenset({429, 502, 503, 504})
_WRITE_RETRY_STATUSES = frozenset({429})

# requests gives an adapter's Retry and Timeout no per-call state, so the deadline of the call in
# progress on this thread reaches them through a context variable.
_deadline: ContextVar[float] = ContextVar("authlete_deadline", default=math.inf)


@dataclass(frozen=True, slots=True)
class Limits:
    """How long one call may take, how often it may be sent, and when to stop calling at all."""

    connect_timeout: float
    read_timeout: float
    deadline: float
    max_retries: int
    breaker_failures: int
    breaker_cooldown: float

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            connect_timeout=float(settings.AUTHLETE_CONNECT_TIMEOUT),
            read_timeout=float(settings.AUTHLETE_READ_TIMEOUT),
            deadline=float(settings.AUTHLETE_DEADLINE),
            max_retries=int(settings.AUTHLETE_MAX_RETRIES),
            breaker_failures=int(settings.AUTHLETE_BREAKER_FAILURES),
            breaker_cooldown=float(settings.AUTHLETE_BREAKER_COOLDOWN),
        )


class Transport:
    """Sends calls to Authlete and turns every outcome into a JSON object or an AuthleteError.

    Reads are repeated after connection failures, timeouts, 429 and 502/503/504. A write is
    repeated only when Authlete cannot have acted on it: the connection was never made, or it
    answered 429. Authlete's reads are often POST, so reads and writes get sessions of their own
    rather than urllib3's choice by method. No call outlasts the deadline, retries included.
    """

    def __init__(
        self, limits: Limits, *, headers: Mapping[str, str], auth: tuple[str, str] | None
    ) -> None:
        self._limits = limits
        self._timeout = _Timeout(connect=limits.connect_timeout, read=limits.read_timeout)
        reads = _Retry(
            total=limits.max_retries,
            allowed_methods=None,
            status_forcelist=_READ_RETRY_STATUSES,
            backoff_factor=_BACKOFF_FACTOR,
            raise_on_status=False,
        )
        # After a read error (a timeout or reset once the request went out), or any error but a
        # failed connect, Authlete may have acted on a write: it ends there.
        writes = reads.new(read=False, other=0, status_forcelist=_WRITE_RETRY_STATUSES)
        self._reads = _session(reads, headers=headers, auth=auth)
        self._writes = _session(writes, headers=headers, auth=auth)
        self._breaker = Breaker(failures=limits.breaker_failures, cooldown=limits.breaker_cooldown)

    def close(self) -> None:
        self._reads.close()
        self._writes.close()

    def call(
        self,
        operation: str,
        method: str,
        url: str,
        *,
        json_body: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        write: bool = False,
        expect_body: bool = True,
        auth: tuple[str, str] | None = None,
    ) -> dict[str, Any]:
        """One Authlete call; ``auth`` replaces the session's credentials for this call only."""
        started = time.monotonic()
        session = self._writes if write else self._reads
        if time.monotonic() >= _deadline.get():
            # The page's time is up: say so without sending anything.
            _log(operation, None, None, started, "timeout")
            raise AuthleteTimeout(
                f"No time was left to ask Authlete for {operation}.",
                operation=operation,
                never_sent=True,
            )
        # A paced caller (a long background job) waits its turn here, before the breaker.
        pacing.wait_turn()
        with self._breaker.guard(operation), deadline(self._limits.deadline):
            try:
                response = session.request(
                    method, url, json=json_body, params=params, timeout=self._timeout, auth=auth
                )
            except requests.RequestException as exc:
                error = _transport_error(operation, exc)
                _log(operation, None, None, started, error.reason)
                raise error from exc
            retries = response.raw.retries
            attempts = len(retries.history) + 1 if retries else 1
            # Without a body the documented answer is 204; anything else proves nothing.
            unexpected = response.status_code != 204 or response.content.strip()
            if response.status_code < 300 and not expect_body and unexpected:
                _log(operation, response.status_code, None, started, "malformed", attempts)
                raise AuthleteMalformed(
                    f"Authlete answered {operation} with HTTP {response.status_code} and "
                    "not the documented 204.",
                    operation=operation,
                )
            if response.status_code < 300:
                _log(operation, response.status_code, None, started, "ok", attempts)
                return json_object(response, operation) if expect_body else {}
            error = _error_for_status(operation, response)
            _log(operation, error.status, error.result_code, started, error.reason, attempts)
            raise error


# --- Retries within the deadline ----------------------------------------------------------------


class _Retry(Retry):
    """urllib3's Retry, repeating only listed statuses and never pausing past the deadline."""

    # urllib3 would also repeat any 413 or 503 that carries Retry-After, whatever the method;
    # a write answered 503 may have been acted on, so status_forcelist alone decides.
    RETRY_AFTER_STATUS_CODES = frozenset()

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Self:
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        # The pause urllib3 is about to take; a Retry-After of 0 means "use the backoff".
        asked = retry.get_retry_after(response) if response is not None else None
        pause = asked or retry.get_backoff_time()
        if time.monotonic() + pause >= _deadline.get():
            # Waiting that long would break the deadline: stop now, as when out of retries
            # (urllib3 then hands back the last answer, or raises the last error).
            reason = error or ResponseError(f"no time left to retry HTTP {response.status}")
            raise MaxRetryError(_pool, url, reason) from reason
        return retry


class _Timeout(Timeout):
    """Connect and read timeouts for one attempt, each cut to the time left before the deadline."""

    def clone(self) -> _Timeout:
        # urllib3 clones the timeout for every attempt; the base class would make a plain one.
        return copy(self)

    @property
    def connect_timeout(self) -> float:
        return _time_left(super().connect_timeout)

    @property
    def read_timeout(self) -> float:
        return _time_left(super().read_timeout)


def _time_left(limit: Any) -> float:
    # A zero timeout would make the socket non-blocking rather than fail at once.
    return max(min(float(limit), _deadline.get() - time.monotonic()), 0.001)


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """No Authlete call inside this block outlasts ``seconds`` from now, retries included.

    Blocks nest: the earlier end wins. A whole page runs inside one (``portal.middleware``),
    so its calls share one budget however many rounds it makes.
    """
    token = _deadline.set(min(_deadline.get(), time.monotonic() + seconds))
    try:
        yield
    finally:
        _deadline.reset(token)


def _session(
    retry: Retry, *, headers: Mapping[str, str], auth: tuple[str, str] | None
) -> requests.Session:
    session = requests.Session()
    # The list page fans out per-app calls in parallel; the pool must hold them all (as many as
    # the Authlete thread pool in services/reads.py runs at once).
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=64, max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers.update({"Accept": "application/json", **headers})
    session.auth = auth
    return session


# --- Outcomes -----------------------------------------------------------------------------------


def _transport_error(operation: str, exc: requests.RequestException) -> AuthleteError:
    if isinstance(exc, requests.ConnectTimeout):
        return AuthleteTimeout(
            f"Could not connect to Authlete for {operation} in time.",
            operation=operation,
            never_sent=True,
        )
    cause = exc.args[0] if exc.args else None
    # Retries that end on a read timeout surface as a ConnectionError around a MaxRetryError.
    if isinstance(cause, MaxRetryError):
        cause = cause.reason
    if isinstance(exc, requests.Timeout) or isinstance(cause, ReadTimeoutError):
        return AuthleteTimeout(f"Authlete did not answer {operation} in time.", operation=operation)
    # No connection was ever made (refused, no route): the request cannot have been acted on.
    never_sent = isinstance(cause, NewConnectionError | ConnectTimeoutError)
    return AuthleteUnavailable(
        f"Could not reach Authlete for {operation}.", operation=operation, never_sent=never_sent
    )


def _error_for_status(operation: str, response: requests.Response) -> AuthleteError:
    status = response.status_code
    result_code, result_message = result_fields(response)
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
        # Retries within the deadline honoured it already; a caller with more time may too.
        return AuthleteUnavailable(
            f"Authlete is unavailable for {operation}: HTTP {status}{code}.",
            **fields,
            retry_after=_retry_after(response),
        )
    return AuthleteRejected(f"Authlete rejected {operation}: HTTP {status}{code}.", **fields)


def _retry_after(response: requests.Response) -> float | None:
    """The seconds Retry-After asks for (a number or an HTTP date), or None."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return Retry().parse_retry_after(value)
    except InvalidHeader:
        return None


def _log(
    operation: str,
    status: int | None,
    result_code: str | None,
    started: float,
    outcome: str,
    attempts: int | None = None,
) -> None:
    # The operation stands for the URL: its path and query may carry a subject or a token.
    logger.info(
        "authlete op=%s status=%s result=%s outcome=%s attempts=%s duration_ms=%d",
        operation,
        status if status is not None else "-",
        result_code or "-",
        outcome,
        attempts if attempts is not None else "-",
        (time.monotonic() - started) * 1000,
    )
