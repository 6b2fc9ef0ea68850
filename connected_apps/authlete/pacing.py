"""Pacing: a long background job sends Authlete at most so many calls a second, and waits when
Authlete says so (Retry-After).

Pages never pace: they have a deadline instead. A job wraps its work in ``paced(per_second)``;
every call inside it, on any thread the job fans out to, then waits its turn in ``wait_turn``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar


class Pacer:
    """Spaces calls evenly at ``per_second``, and holds them all while Authlete asked to wait."""

    def __init__(self, per_second: float) -> None:
        self.interval = 1.0 / per_second
        self.calls = 0
        self.held = 0.0
        self._next = time.monotonic()
        self._lock = threading.Lock()

    def wait_turn(self) -> None:
        with self._lock:
            now = time.monotonic()
            turn = max(now, self._next)
            self._next = turn + self.interval
            self.calls += 1
        if turn > now:
            time.sleep(turn - now)

    def hold(self, seconds: float) -> None:
        """No call goes out for ``seconds`` from now (Authlete's Retry-After)."""
        with self._lock:
            self._next = max(self._next, time.monotonic() + seconds)
            self.held += seconds


_pacer: ContextVar[Pacer | None] = ContextVar("authlete_pacer", default=None)


@contextmanager
def paced(per_second: float) -> Iterator[Pacer]:
    """Calls to Authlete inside this block go out at most ``per_second`` a second."""
    pacer = Pacer(per_second)
    token = _pacer.set(pacer)
    try:
        yield pacer
    finally:
        _pacer.reset(token)


def wait_turn() -> None:
    """Wait for the current job's next turn; return at once outside a paced block."""
    pacer = _pacer.get()
    if pacer is not None:
        pacer.wait_turn()
