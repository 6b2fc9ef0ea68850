"""The circuit breaker: stop calling an Authlete that keeps failing, and try it again later."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from typing import Any

import pybreaker

from connected_apps.authlete.errors import AuthleteError, AuthleteUnavailable

logger = logging.getLogger(__name__)


class Breaker:
    """Stop calling an Authlete that keeps failing, so pages fail at once instead of waiting.

    After ``failures`` consecutive calls that ended unavailable (after their own retries), calls
    fail fast for ``cooldown`` seconds without a request. Then one trial call goes out: its
    success closes the circuit, its failure opens it for another cool-down. Rejections and
    garbled answers are answers: Authlete is up. ``failures`` below one turns the breaker off.
    """

    def __init__(self, *, failures: int, cooldown: float) -> None:
        self._off = failures < 1
        self._cooldown = timedelta(seconds=cooldown)
        # State is kept per process. pybreaker's CircuitRedisStorage could share it between
        # workers, but it reads and writes Redis on every call, so each Authlete call would
        # also wait on Redis; a worker that opens after its own few failures is soon enough.
        self._storage = pybreaker.CircuitMemoryStorage(pybreaker.STATE_CLOSED)
        self._breaker = pybreaker.CircuitBreaker(
            fail_max=max(failures, 1),
            reset_timeout=cooldown,
            state_storage=self._storage,
            listeners=[_BreakerLog()],
            name="authlete",
        )
        # pybreaker holds its lock until a guarded function returns, which would queue every
        # Authlete call of the process behind the one in flight. So calls run outside it and
        # only their outcome goes through it; this lock lets one trial out after the cool-down.
        self._trial = threading.Lock()

    @contextmanager
    def guard(self, operation: str) -> Iterator[None]:
        if self._off:
            yield
            return
        trial = self._admit(operation)
        try:
            yield
        except AuthleteUnavailable:
            self._record(failed=True)
            raise
        except AuthleteError:
            self._record(failed=False)
            raise
        else:
            self._record(failed=False)
        finally:
            if trial:
                self._trial.release()

    def _admit(self, operation: str) -> bool:
        """Let a call out, saying whether it is the trial, or fail it fast."""
        if self._breaker.current_state == pybreaker.STATE_CLOSED:
            return False
        opened = self._storage.opened_at or datetime.now(UTC)
        wait = (opened + self._cooldown - datetime.now(UTC)).total_seconds()
        if wait <= 0 and self._trial.acquire(blocking=False):
            return True
        logger.info("authlete op=%s outcome=circuit_open", operation)
        raise AuthleteUnavailable(
            f"Authlete is unavailable for {operation}: it failed repeatedly, so calls pause "
            f"for {max(wait, 0):.0f} s.",
            operation=operation,
            never_sent=True,
        )

    def _record(self, *, failed: bool) -> None:
        # An open circuit refuses late outcomes, and a failure that opens it raises: both are
        # the breaker's news, not the caller's.
        with suppress(_CallFailed, pybreaker.CircuitBreakerError):
            self._breaker.call(_replay, failed)


class _CallFailed(Exception):
    """Stands for a call that found Authlete unavailable, when telling pybreaker of it."""


def _replay(failed: bool) -> None:
    if failed:
        raise _CallFailed


class _BreakerLog(pybreaker.CircuitBreakerListener):
    def state_change(self, cb: pybreaker.CircuitBreaker, old_state: Any, new_state: Any) -> None:
        was = old_state.name if old_state else None
        if new_state.name == pybreaker.STATE_OPEN and was == pybreaker.STATE_HALF_OPEN:
            logger.warning("authlete circuit open again: the trial call failed")
        elif new_state.name == pybreaker.STATE_OPEN:
            logger.warning(
                "authlete circuit open after %d consecutive failures; cool-down %.1fs",
                cb.fail_counter,
                cb.reset_timeout,
            )
        elif new_state.name == pybreaker.STATE_CLOSED and was is not None:
            logger.info("authlete circuit closed: Authlete answered again")
