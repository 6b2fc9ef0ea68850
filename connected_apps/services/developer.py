"""A client developer's own registered clients: list them, read one, change its metadata."""

from __future__ import annotations

import json

from django.conf import settings

from connected_apps import authlete
from connected_apps.models import AuditEvent
from connected_apps.services import bylines, reads
from connected_apps.services.audit import Actor
from connected_apps.services.client_audit import client_change_record
from connected_apps.services.errors import ClientNotYours
from connected_apps.services.registration import (
    client_registration_get,
    client_registration_update,
)
from connected_apps.services.types import DeveloperClientPage

# RFC 7592 §2.2: the client must not send these back in an update.
_SERVER_ASSIGNED_METADATA = (
    "registration_access_token",
    "registration_client_uri",
    "client_secret_expires_at",
    "client_id_issued_at",
)


def developer_client_list(*, developer: str, page: int = 1) -> DeveloperClientPage:
    """One page of the clients staff confirmed as this developer's, fresh from Authlete.

    A client's own ``developer`` metadata is not enough: anyone may register a client under
    any developer name, and it must not appear on that developer's page.
    """
    size = max(1, settings.PORTAL_PAGE_SIZE)
    ids, total = bylines.confirmed_client_ids(
        developer=developer, start=(page - 1) * size, end=page * size
    )
    wanted = page
    page, page_count = reads.clamp_page(page, total, size)
    if page != wanted:
        ids, total = bylines.confirmed_client_ids(
            developer=developer, start=(page - 1) * size, end=page * size
        )
    found = reads.fan_out(_client_or_none, ids)
    # A confirmed client since deleted from Authlete is simply not listed.
    clients = tuple(details for details in found if details is not None)
    return DeveloperClientPage(clients=clients, page=page, page_count=page_count, total_count=total)


def developer_client_get(*, developer: str, client_id: int) -> authlete.ClientDetails:
    """One of the developer's confirmed clients, fresh from Authlete, or ClientNotYours."""
    if not bylines.is_confirmed(developer=developer, client_id=client_id):
        raise ClientNotYours(client_id)
    details = _client_or_none(client_id)
    if details is None:
        raise ClientNotYours(client_id)
    return details


def developer_client_update(
    *,
    developer: str,
    client: authlete.ClientDetails,
    token: str,
    changes: dict[str, object],
    actor: Actor,
) -> authlete.RegistrationResult:
    """Change some of a registered client's metadata with its registration access token.

    An RFC 7592 update replaces the whole registration, so the current metadata is read with
    the same token first and only ``changes`` differ in what is sent back. A token Authlete
    does not accept fails the read, and that answer is returned as it is (and audited).
    """
    client_id = str(client.client_id)
    current = client_registration_get(client_id=client_id, token=token)
    if current.action != "OK":
        client_change_record(
            actor=actor,
            action=AuditEvent.Action.CLIENT_UPDATE,
            client_id=client_id,
            metadata=changes,
            result=current,
        )
        return current
    metadata = _metadata_object(current.response_content)
    for key in _SERVER_ASSIGNED_METADATA:
        metadata.pop(key, None)
    metadata.update(changes)
    # An emptied field is left out: an RFC 7592 update drops whatever is not sent.
    metadata = {key: value for key, value in metadata.items() if value is not None}
    metadata["client_id"] = client_id
    return client_registration_update(
        client_id=client_id, token=token, metadata_json=json.dumps(metadata), actor=actor
    )


def _client_or_none(client_id: int) -> authlete.ClientDetails | None:
    try:
        return authlete.get_client().client_get(client_id)
    except authlete.AuthleteNotFound:
        return None


def _metadata_object(content: str) -> dict[str, object]:
    try:
        metadata = json.loads(content)
    except ValueError:
        raise authlete.AuthleteMalformed(
            "Authlete's registration metadata was not JSON.", operation="registration_get"
        ) from None
    if not isinstance(metadata, dict):
        raise authlete.AuthleteMalformed(
            "Authlete's registration metadata was not an object.", operation="registration_get"
        )
    return metadata
