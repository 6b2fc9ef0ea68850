"""A client developer's own registered clients: list them, read one, change its metadata."""

from __future__ import annotations

import json

from django.conf import settings

from connected_apps import authlete
from connected_apps.services import reads
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
    """One page of the clients Authlete records under this developer name."""
    client = authlete.get_client()
    size = max(1, settings.PORTAL_PAGE_SIZE)
    listing = client.client_list(developer=developer, start=(page - 1) * size, end=page * size)
    wanted = page
    page, page_count = reads.clamp_page(page, listing.total_count, size)
    if page != wanted:
        listing = client.client_list(developer=developer, start=(page - 1) * size, end=page * size)
    # Authlete filters by developer; a client of anyone else is never shown, whatever it sends.
    mine = tuple(c for c in listing.clients if c.developer == developer)
    return DeveloperClientPage(
        clients=mine, page=page, page_count=page_count, total_count=listing.total_count
    )


def developer_client_get(*, developer: str, client_id: int) -> authlete.ClientDetails:
    """One of the developer's clients, fresh from Authlete, or ClientNotYours."""
    try:
        details = authlete.get_client().client_get(client_id)
    except authlete.AuthleteNotFound:
        raise ClientNotYours(client_id) from None
    if details.developer != developer:
        raise ClientNotYours(client_id)
    return details


def developer_client_update(
    *,
    developer: str,
    client: authlete.ClientDetails,
    token: str,
    changes: dict[str, object],
) -> authlete.RegistrationResult:
    """Change some of a registered client's metadata with its registration access token.

    An RFC 7592 update replaces the whole registration, so the current metadata is read with
    the same token first and only ``changes`` differ in what is sent back. A token Authlete
    does not accept fails the read, and that answer is returned as it is.
    """
    client_id = str(client.client_id)
    current = client_registration_get(client_id=client_id, token=token)
    if current.action != "OK":
        return current
    metadata = _metadata_object(current.response_content)
    for key in _SERVER_ASSIGNED_METADATA:
        metadata.pop(key, None)
    metadata.update(changes)
    # An emptied field is left out: an RFC 7592 update drops whatever is not sent.
    metadata = {key: value for key, value in metadata.items() if value is not None}
    metadata["client_id"] = client_id
    return client_registration_update(
        client_id=client_id, token=token, metadata_json=json.dumps(metadata)
    )


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
