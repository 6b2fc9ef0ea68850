"""Counting attempts per minute in the shared cache: the one counter behind every portal limit."""

from __future__ import annotations

import time

from django.core.cache import cache


def minute_count(bucket: str) -> int:
    """Count one more attempt in ``bucket`` for the current minute; return the minute's total.

    Every worker behind the same cache shares the count. The window is the clock minute, so
    ``seconds_until_next_minute`` says when a refused caller may try again.
    """
    key = f"ratelimit:{bucket}:{int(time.time() // 60)}"
    # add() then incr() is atomic on Redis and the local-memory cache alike.
    cache.add(key, 0, timeout=120)
    try:
        return cache.incr(key)
    except ValueError:  # the key expired between the two calls
        cache.set(key, 1, timeout=120)
        return 1


def seconds_until_next_minute() -> int:
    return 60 - int(time.time()) % 60
