"""The RFC 7591/7592 registration endpoints: client metadata passed to Authlete and back.

Nobody signs in here, so each client address may call them ``PORTAL_WRITES_PER_MINUTE`` times a
minute: one caller cannot turn them into a flood of Authlete calls.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from connected_apps import authlete
from connected_apps.models import AuditEvent
from connected_apps.services import registration
from connected_apps.services.client_audit import client_change_record
from connected_apps.views.common import View, actor_for, over_limit, retry_after

logger = logging.getLogger(__name__)

# Client metadata is a few kilobytes at most; anything far larger is not a registration.
MAX_BODY_BYTES = 64 * 1024
# Real metadata nests three levels at most (a JWKS); far deeper is an attack on the parsers.
MAX_DEPTH = 16

# Authlete's action decides the status; responseContent is the body (contract §6).
_STATUSES = {
    "CREATED": 201,
    "OK": 200,
    "UPDATED": 200,
    "DELETED": 204,
    "BAD_REQUEST": 400,
    "UNAUTHORIZED": 401,
    "INTERNAL_SERVER_ERROR": 500,
}
# The changes to an existing registration, which go on the audit trail even when refused.
_AUDITED = {"PUT": AuditEvent.Action.CLIENT_UPDATE, "DELETE": AuditEvent.Action.CLIENT_DELETE}


def _rate_limited(view: View) -> View:
    """Answer 429 with Retry-After to an address over the limit, before Authlete is called."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not over_limit(f"registration:{actor_for(request).ip_address or 'unknown'}"):
            return view(request, *args, **kwargs)
        _audit_refused(request, str(kwargs.get("client_id", "")), AuditEvent.Refusal.TOO_MANY)
        response = _json(
            429,
            {
                "error": "temporarily_unavailable",
                "error_description": "Too many requests from this address; try again later.",
            },
        )
        response["Retry-After"] = retry_after()
        return response

    return wrapper


def _audit_refused(request: HttpRequest, client_id: str, refusal: str) -> None:
    """A change to a registration refused before Authlete was asked; reads are not recorded."""
    if request.method in _AUDITED:
        client_change_record(
            actor=actor_for(request),
            action=_AUDITED[request.method],
            client_id=client_id,
            refusal=refusal,
        )


@login_not_required
@csrf_exempt
@require_POST
@_rate_limited
def register(request: HttpRequest) -> HttpResponse:
    """RFC 7591 §3: register a client; an initial access token, if any, comes as a Bearer token."""
    metadata, problem = _metadata(request)
    if problem:
        return problem
    return _answer(
        lambda: registration.client_registration_create(
            metadata_json=metadata, initial_access_token=_bearer(request)
        )
    )


@login_not_required
@csrf_exempt
@require_http_methods(["GET", "PUT", "DELETE"])
@_rate_limited
def client_configuration(request: HttpRequest, client_id: str) -> HttpResponse:
    """RFC 7592 §2: read, replace or delete a registration with its registration access token."""
    token = _bearer(request)
    if not token:
        _audit_refused(request, client_id, AuditEvent.Refusal.CREDENTIALS)
        response = _json(401, {"error": "invalid_token"})
        response["WWW-Authenticate"] = "Bearer"
        return response
    if request.method == "GET":
        return _answer(
            lambda: registration.client_registration_get(client_id=client_id, token=token)
        )
    if request.method == "DELETE":
        return _answer(
            lambda: registration.client_registration_delete(
                client_id=client_id, token=token, actor=actor_for(request)
            )
        )
    metadata, problem = _metadata(request)
    if problem:
        _audit_refused(request, client_id, AuditEvent.Refusal.INVALID)
        return problem
    return _answer(
        lambda: registration.client_registration_update(
            client_id=client_id, token=token, metadata_json=metadata, actor=actor_for(request)
        )
    )


def _metadata(request: HttpRequest) -> tuple[str, HttpResponse | None]:
    """The body as JSON text for Authlete, or the 400 to answer without calling it."""
    # Only JSON: a plain-text body needs no CORS preflight, so any web page could otherwise make
    # its visitors' browsers register clients.
    if request.content_type != "application/json":
        return "", _invalid("The client metadata must be sent as application/json.")
    length = request.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > MAX_BODY_BYTES:
        return "", _invalid("The request body is too large.")
    try:
        raw = request.body
    except RequestDataTooBig:
        return "", _invalid("The request body is too large.")
    if len(raw) > MAX_BODY_BYTES:
        return "", _invalid("The request body is too large.")
    try:
        text = raw.decode("utf-8")
        parsed = json.loads(text)
    except ValueError:
        return "", _invalid("The request body is not JSON.")
    except RecursionError:
        return "", _invalid("The client metadata is nested too deeply.")
    if _depth(parsed) > MAX_DEPTH:
        return "", _invalid("The client metadata is nested too deeply.")
    if not isinstance(parsed, dict):
        return "", _invalid("The client metadata must be a JSON object.")
    return text, None


def _answer(call: Callable[[], authlete.RegistrationResult]) -> HttpResponse:
    try:
        result = call()
    except authlete.AuthleteUnavailable as exc:
        logger.warning("registration: Authlete unavailable: %s", exc)
        return _json(503, {"error": "temporarily_unavailable"})
    except authlete.AuthleteError as exc:
        # Authlete refused our own call (credentials, a malformed answer): not the client's fault.
        logger.error("registration: Authlete refused the call: %s", exc)
        return _json(500, {"error": "server_error"})
    status = _STATUSES.get(result.action)
    if status is None:
        logger.warning("registration: Authlete answered an unknown action %r", result.action)
        return _json(500, {"error": "server_error"})
    if status == 204:
        return _no_store(HttpResponse(status=204))
    response = HttpResponse(result.response_content, status=status, content_type="application/json")
    if status == 401:
        # RFC 6750 §3: every 401 for a Bearer token says how to authenticate.
        response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return _no_store(response)


def _depth(value: object) -> int:
    """How deeply JSON containers nest in ``value``, counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return deepest


def _bearer(request: HttpRequest) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def _invalid(description: str) -> HttpResponse:
    return _json(400, {"error": "invalid_client_metadata", "error_description": description})


def _json(status: int, body: dict[str, str]) -> HttpResponse:
    return _no_store(HttpResponse(json.dumps(body), status=status, content_type="application/json"))


def _no_store(response: HttpResponse) -> HttpResponse:
    # RFC 7591 §3.2.1: the answer may carry credentials and must not be cached.
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response
