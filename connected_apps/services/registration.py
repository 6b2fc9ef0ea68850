"""Dynamic client registration (RFC 7591/7592), passed to Authlete; cached metadata forgotten."""

from __future__ import annotations

from connected_apps import authlete
from connected_apps.services import reads


def client_registration_create(
    *, metadata_json: str, initial_access_token: str | None
) -> authlete.RegistrationResult:
    return authlete.get_client().registration_create(
        metadata_json=metadata_json, initial_access_token=initial_access_token
    )


def client_registration_get(*, client_id: str, token: str) -> authlete.RegistrationResult:
    return authlete.get_client().registration_get(client_id=client_id, token=token)


def client_registration_update(
    *, client_id: str, token: str, metadata_json: str
) -> authlete.RegistrationResult:
    result = authlete.get_client().registration_update(
        client_id=client_id, token=token, metadata_json=metadata_json
    )
    _forget(client_id)
    return result


def client_registration_delete(*, client_id: str, token: str) -> authlete.RegistrationResult:
    result = authlete.get_client().registration_delete(client_id=client_id, token=token)
    _forget(client_id)
    return result


def _forget(client_id: str) -> None:
    # The registration API names clients by string; only Authlete's numeric ids are cached.
    if client_id.isdigit():
        reads.forget_client_details(int(client_id))
