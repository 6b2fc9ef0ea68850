"""Liveness and readiness probes for load balancers and container orchestrators."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from connected_apps import authlete


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
    """Ready to serve people: the database answers and so does Authlete."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except DatabaseError:
        checks["database"] = "unreachable"
    try:
        authlete.get_client().service_get()
        checks["authlete"] = "ok"
    except authlete.AuthleteError as exc:
        checks["authlete"] = exc.reason
    ready = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503
    )
