"""How a change to a client's registration goes on the audit trail: who, which client, what
Authlete answered, and the public metadata sent; never a token, a secret or Authlete's body."""

from __future__ import annotations

import json
import logging

from django.db import DatabaseError, transaction

from connected_apps import authlete
from connected_apps.models import AuditEvent
from connected_apps.services.audit import (
    Actor,
    audit_event_record,
    audit_refusal,
    outcome_of,
    storable,
)

logger = logging.getLogger(__name__)

# Metadata a person could see on a consent screen or a card; keys, secrets and the rest of a
# registration stay out of the trail.
_PUBLIC_METADATA = (
    "client_name",
    "client_uri",
    "contacts",
    "logo_uri",
    "policy_uri",
    "redirect_uris",
    "tos_uri",
)
_DONE = {"UPDATED", "DELETED"}
# Bounds on what one row keeps of the metadata sent.
_MAX_ITEMS = 20
_MAX_TEXT = 500


def client_change_record(
    *,
    actor: Actor,
    action: str,
    client_id: str,
    metadata: dict[str, object] | None = None,
    result: authlete.RegistrationResult | None = None,
    error: authlete.AuthleteError | None = None,
    refusal: str = "",
    note: str = "",
) -> None:
    """Record one RFC 7592 update or delete once Authlete answered (``result``) or failed, or
    that the portal refused it before sending (``refusal``).

    A token or metadata Authlete refused is a refused attempt, recorded within the per-minute
    cap like any other; a database failure is logged, since the answer is already given.
    """
    sent = metadata or {}
    fields = {
        "actor": actor,
        "action": action,
        "subject": "",
        "client_id": _numeric(client_id),
        # A client is named as its registration calls it; an id we cannot store is kept as text.
        "client_name": str(sent.get("client_name") or client_id)[:255],
        "values_after": {key: _bounded(sent[key]) for key in _PUBLIC_METADATA if key in sent},
        "result_code": result.result_code if result else "",
        "note": note,
    }
    refusal = refusal or _refusal(result)
    if refusal:
        audit_refusal(refusal=refusal, **fields)
        return
    if error is not None:
        outcome = outcome_of(error)
    elif result is not None and result.action in _DONE:
        outcome = AuditEvent.Outcome.SUCCESS
    else:
        outcome = AuditEvent.Outcome.FAILED
    try:
        with transaction.atomic():  # a savepoint, so a failed row leaves the request usable
            audit_event_record(outcome=outcome, error=error, **fields)
    except DatabaseError:
        logger.exception("audit: could not record the %s of client %s", action, client_id)


def public_metadata(metadata_json: str) -> dict[str, object]:
    """The metadata a caller sent, for the trail; anything that is not an object is nothing."""
    try:
        metadata = json.loads(metadata_json)
    except ValueError:
        return {}
    return metadata if isinstance(metadata, dict) else {}


def _refusal(result: authlete.RegistrationResult | None) -> str:
    """Why Authlete refused, when it did: the token (credentials) or the metadata (invalid)."""
    if result is None:
        return ""
    error, _description = oauth_error(result.response_content)
    if result.action == "UNAUTHORIZED" or error == "invalid_token":
        return AuditEvent.Refusal.CREDENTIALS
    if result.action == "BAD_REQUEST":
        return AuditEvent.Refusal.INVALID
    return ""


def oauth_error(content: str) -> tuple[str, str]:
    """The OAuth ``error`` and ``error_description`` of Authlete's answer, if it has them."""
    try:
        body = json.loads(content) if content else {}
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    return str(body.get("error") or ""), str(body.get("error_description") or "")[:300]


def _bounded(value: object) -> object:
    if isinstance(value, list):
        return [_bounded(item) for item in value[:_MAX_ITEMS]]
    if isinstance(value, int | float | bool) or value is None:
        return value
    return storable(str(value)[:_MAX_TEXT])


def _numeric(client_id: str) -> int:
    """Authlete's numeric id, or 0 for an id that is not one (then the name field keeps it)."""
    return int(client_id) if client_id.isdigit() and len(client_id) < 19 else 0
