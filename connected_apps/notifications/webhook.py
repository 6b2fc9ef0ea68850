"""``POST /hooks/grant-issued``: the authorization server says it let a new app in.

For machines: no session and no CSRF (the HMAC signature stands in for both), JSON in and out.
Answers: 202 accepted (also for a subject with no account here: nothing is sent, and the
caller learns nothing about who has an account); 200 for a repeat of an event already received;
400 for a body that is not the expected JSON, 401 for a missing or wrong signature or one too
old, 409 for an event id already used by another event, 413 for a body over 8 KB, 415 for
another content type; 404 when ``PORTAL_WEBHOOK_SECRET`` is not set, as if there were no such
endpoint. Nothing is stored for a refused call.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from connected_apps.notifications.grants import Receipt, ReportedGrant, grant_received
from connected_apps.notifications.signatures import HEADER, SignatureProblem, signature_verify

MAX_BODY_BYTES = 8 * 1024
_FIELDS = {"id", "subject", "client_id", "scopes", "issued_at"}
_MAX_SCOPES = 100
_BIGGEST_ID = 2**63 - 1


class BadPayload(Exception):
    """The body is not the grant event this endpoint takes; the message says what is wrong."""


@login_not_required
@csrf_exempt
@require_POST
def grant_issued(request: HttpRequest) -> JsonResponse:
    secret = settings.PORTAL_WEBHOOK_SECRET
    if not secret:
        raise Http404
    if request.content_type != "application/json":
        return _error(415, "unsupported_media_type", "Send the event as application/json.")
    body = _body(request)
    if body is None:
        return _error(413, "too_large", f"The body may be at most {MAX_BODY_BYTES} bytes.")
    try:
        signature_verify(secret=secret, header=request.headers.get(HEADER, ""), body=body)
    except SignatureProblem as problem:
        return _error(401, problem.code, problem.description)
    try:
        grant = _grant(body)
    except BadPayload as problem:
        return _error(400, "invalid_request", str(problem))
    receipt = grant_received(grant=grant, body=body)
    if receipt == Receipt.CONFLICT:
        return _error(409, "event_id_reused", "This event id was received with another body.")
    status = 200 if receipt == Receipt.DUPLICATE else 202
    return JsonResponse({"status": receipt.value, "id": grant.event_id}, status=status)


def _body(request: HttpRequest) -> bytes | None:
    """The raw body, or None when it is over the limit (read no further than that)."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        return None
    body = request.read(MAX_BODY_BYTES + 1)
    return None if len(body) > MAX_BODY_BYTES else body


def _grant(body: bytes) -> ReportedGrant:
    try:
        data = json.loads(body, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise BadPayload(f"The body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadPayload("The body must be a JSON object.")
    if missing := sorted(_FIELDS - data.keys()):
        raise BadPayload(f"Missing fields: {', '.join(missing)}.")
    if unknown := sorted(data.keys() - _FIELDS):
        raise BadPayload(f"Unknown fields: {', '.join(unknown)}.")
    return ReportedGrant(
        event_id=_text(data["id"], "id", 100),
        subject=_text(data["subject"], "subject", 255),
        client_id=_client_id(data["client_id"]),
        scopes=_scopes(data["scopes"]),
        issued_at=_moment(data["issued_at"]),
    )


def _text(value: Any, name: str, longest: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadPayload(f"{name} must be a non-empty string.")
    if len(value) > longest or not value.isprintable():
        raise BadPayload(f"{name} must be at most {longest} printable characters.")
    return value


def _client_id(value: Any) -> int:
    # bool is an int in Python, and true is not a client id.
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= _BIGGEST_ID:
        raise BadPayload("client_id must be a positive integer.")
    return value


def _scopes(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or len(value) > _MAX_SCOPES:
        raise BadPayload(f"scopes must be a list of at most {_MAX_SCOPES} strings.")
    return tuple(_text(scope, "each scope", 200) for scope in value)


def _moment(value: Any) -> datetime:
    moment = parse_datetime(value) if isinstance(value, str) and len(value) <= 40 else None
    if moment is None or moment.tzinfo is None:
        raise BadPayload("issued_at must be an ISO 8601 date and time with its offset.")
    return moment


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError("a key appears twice")
    return dict(pairs)


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _error(status: int, code: str, description: str) -> JsonResponse:
    response = JsonResponse({"error": code, "error_description": description}, status=status)
    response["Cache-Control"] = "no-store"
    return response
