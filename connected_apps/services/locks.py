"""One change at a time per person and app, across every worker that shares the cache.

Two changes that overlap could each pass their check against what Authlete held before either
ran, and the later one would undo the earlier (a narrowing restoring a scope another removed).
Holding this lock, a change reads Authlete afresh, checks, writes and verifies.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import time
from collections.abc import Iterator

from django.conf import settings
from django.core.cache import cache

from connected_apps.services.errors import ChangeInProgress

_POLL_SECONDS = 0.05


def longest_change_seconds() -> float:
    """How long one change may run: a few Authlete calls, each within the deadline. A lock (and
    an unfinished attempt in the audit) older than this belongs to a change that has ended."""
    return settings.AUTHLETE_DEADLINE * 6 + 1


@contextlib.contextmanager
def app_lock(subject: str, client_id: int) -> Iterator[None]:
    """Hold the lock of (subject, client) while the block runs, or raise ChangeInProgress.

    A waiting change gives up after about one Authlete call's deadline. The lock expires by
    itself well after the longest change could last, so a killed worker cannot keep it.
    """
    # Subjects may hold any character; a digest keeps the cache key portable.
    person = hashlib.sha256(subject.encode()).hexdigest()[:32]
    key = f"lock:app:{client_id}:{person}"
    owner = secrets.token_hex(8)
    give_up = time.monotonic() + settings.AUTHLETE_DEADLINE
    # cache.add is atomic on Redis and the local-memory cache: only one caller creates the key.
    while not cache.add(key, owner, timeout=int(longest_change_seconds())):
        if time.monotonic() >= give_up:
            raise ChangeInProgress(client_id)
        time.sleep(_POLL_SECONDS)
    try:
        yield
    finally:
        # Only the holder releases; an expired lock taken by another change is left to it.
        if cache.get(key) == owner:
            cache.delete(key)
