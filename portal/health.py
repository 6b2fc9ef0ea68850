"""Liveness and readiness probes for load balancers and container orchestrators."""

from __future__ import annotations

from allauth.account.adapter import get_adapter as get_account_adapter
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from connected_apps import authlete
from connected_apps.services.limits import minute_count, seconds_until_next_minute

_AUTHLETE_CHECK_KEY = "readyz:authlete"


@never_cache
@login_not_required
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and answering; nothing else is checked."""
    return JsonResponse({"status": "ok"})


@never_cache
@login_not_required
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to serve people: the database answers and so does Authlete (as last checked)."""
    limit = settings.PORTAL_READYZ_PER_MINUTE
    if limit > 0 and minute_count(f"readyz:{_client_address(request)}") > limit:
        response = JsonResponse({"status": "too_many_requests"}, status=429)
        response["Retry-After"] = str(seconds_until_next_minute())
        return response
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except DatabaseError:
        checks["database"] = "unreachable"
    checks["authlete"], checked_at = _authlete_check()
    ready = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {
            "status": "ok" if ready else "unavailable",
            "checks": checks,
            "authlete_checked_at": checked_at,
        },
        status=200 if ready else 503,
    )


def _authlete_check() -> tuple[str, str]:
    """Authlete's state and when it was seen, reused for ``PORTAL_READYZ_CACHE_SECONDS`` so
    any number of probes cost Authlete at most one call per window."""
    cached = cache.get(_AUTHLETE_CHECK_KEY)
    if cached is not None:
        return cached
    try:
        authlete.get_client().service_get()
        state = "ok"
    except authlete.AuthleteError as exc:
        state = exc.reason
    except ImproperlyConfigured:
        state = "not_configured"
    result = (state, timezone.now().isoformat())
    if settings.PORTAL_READYZ_CACHE_SECONDS > 0:
        cache.set(_AUTHLETE_CHECK_KEY, result, timeout=settings.PORTAL_READYZ_CACHE_SECONDS)
    return result


def _client_address(request: HttpRequest) -> str:
    """The address the sign-in limits see, through ``DJANGO_TRUSTED_PROXY_COUNT`` proxies."""
    try:
        return get_account_adapter(request).get_client_ip(request)
    except (PermissionDenied, ImproperlyConfigured):
        # Forwarded headers that do not match the configured proxies: counted together.
        return "unknown"
