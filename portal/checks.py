"""System checks that refuse a production start whose rate limits would not hold."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error

# Caches every worker process reaches in common, so a count kept in one is the site's count.
_SHARED_CACHES = {"RedisCache", "PyMemcacheCache", "PyLibMCCache", "DatabaseCache"}


def rate_limits_share_one_cache(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    """Sign-in and change limits count in the cache: a cache of each worker's own would let
    every worker allow the whole limit, multiplying it by the number of workers."""
    workers = settings.GUNICORN_WORKERS
    backend = settings.CACHES["default"]["BACKEND"]
    if settings.DEBUG or workers <= 1 or backend.rsplit(".", 1)[-1] in _SHARED_CACHES:
        return []
    return [
        Error(
            f"GUNICORN_WORKERS is {workers}, but the cache ({backend}) is each worker's own, "
            f"so every rate limit (failed sign-ins, changes, /readyz) would be {workers} times "
            "looser.",
            hint="Set REDIS_URL to a Redis every worker reaches, or GUNICORN_WORKERS=1.",
            id="portal.E001",
        )
    ]
