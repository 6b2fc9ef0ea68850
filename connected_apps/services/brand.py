"""The service's name as people know it: the header's brand and "Made by …" on its own apps."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache

from connected_apps import authlete

_CACHE_KEY = "authlete:service-name"
# When Authlete will not say its name, it is not asked again on every page for this long.
_UNKNOWN_SECONDS = 60


def brand_name() -> str:
    """The name the header shows: only what the operator configured, so that no page, not even
    sign-in, waits on Authlete for it."""
    return settings.PORTAL_SERVICE_NAME


def service_name() -> str:
    """The configured name, else the Authlete service's serviceName; empty when neither is known."""
    if settings.PORTAL_SERVICE_NAME:
        return settings.PORTAL_SERVICE_NAME
    name = cache.get(_CACHE_KEY)
    if name is None:
        try:
            name = authlete.get_client().service_get().name
        except authlete.AuthleteError:
            cache.set(_CACHE_KEY, "", _UNKNOWN_SECONDS)
            return ""
        cache.set(_CACHE_KEY, name, settings.PORTAL_CLIENT_CACHE_SECONDS)
    return name
