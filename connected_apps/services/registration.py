"""Dynamic client registration (RFC 7591/7592), passed to Authlete; cached metadata forgotten.

Updates and deletes go on the audit trail with what Authlete answered.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from connected_apps import authlete
from connected_apps.models import AuditEvent
from connected_apps.services import bylines, reads
from connected_apps.services.audit import Actor
from connected_apps.services.client_audit import client_change_record, public_metadata

# Who made a client is for staff to confirm, never for the registering party to claim: anyone
# may register, and a claimed developer name would put the client on that developer's page and
# under their byline. RFC 7591 §2 lets the server replace requested metadata values, so the
# claim is ignored silently, like any other server-controlled value, rather than refused; a
# client's software needs no change, and the answer shows what the server kept.
# The developer is staff-confirmed; attributes are the operator's (one marks first-party apps).
_SERVER_CONTROLLED = ("developer", "attributes")


def client_registration_create(
    *, metadata_json: str, initial_access_token: str | None
) -> authlete.RegistrationResult:
    return authlete.get_client().registration_create(
        metadata_json=_server_controlled(metadata_json, developer=""),
        initial_access_token=initial_access_token,
    )


def client_registration_get(*, client_id: str, token: str) -> authlete.RegistrationResult:
    return authlete.get_client().registration_get(client_id=client_id, token=token)


def client_registration_update(
    *, client_id: str, token: str, metadata_json: str, actor: Actor
) -> authlete.RegistrationResult:
    # An update replaces the whole registration: the confirmed developer, if any, is kept.
    confirmed = bylines.confirmed_developer(int(client_id)) if client_id.isdigit() else ""
    result = _recorded(
        lambda: authlete.get_client().registration_update(
            client_id=client_id,
            token=token,
            metadata_json=_server_controlled(metadata_json, developer=confirmed),
        ),
        actor=actor,
        action=AuditEvent.Action.CLIENT_UPDATE,
        client_id=client_id,
        metadata=public_metadata(metadata_json),
    )
    _forget(client_id)
    return result


def client_registration_delete(
    *, client_id: str, token: str, actor: Actor
) -> authlete.RegistrationResult:
    result = _recorded(
        lambda: authlete.get_client().registration_delete(client_id=client_id, token=token),
        actor=actor,
        action=AuditEvent.Action.CLIENT_DELETE,
        client_id=client_id,
    )
    _forget(client_id)
    return result


def _recorded(
    change: Callable[[], authlete.RegistrationResult], **record: Any
) -> authlete.RegistrationResult:
    """Make the change, then record what Authlete answered, or how the call failed."""
    try:
        result = change()
    except authlete.AuthleteError as exc:
        client_change_record(error=exc, **record)
        raise
    client_change_record(result=result, **record)
    return result


def _server_controlled(metadata_json: str, *, developer: str) -> str:
    """The caller's metadata with the server's own values in place of any it sent for them."""
    try:
        metadata = json.loads(metadata_json)
    except ValueError:
        return metadata_json  # not metadata at all: Authlete answers for it as for any other
    if not isinstance(metadata, dict):
        return metadata_json
    for key in _SERVER_CONTROLLED:
        metadata.pop(key, None)
    if developer:
        metadata["developer"] = developer
    return json.dumps(metadata)


def _forget(client_id: str) -> None:
    # The registration API names clients by string; only Authlete's numeric ids are cached.
    if client_id.isdigit():
        reads.forget_client_details(int(client_id))
