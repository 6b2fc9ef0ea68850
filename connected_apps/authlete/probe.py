"""Operations only an operator's check performs: a throwaway client, tokens for it, and deletes.

They live on a subclass of AuthleteClient, not on it, because the portal never creates clients
or issues tokens: the process-wide client offers only what the portal does, and the contract
tests hold every one of its operations to Authlete's spec. ``probe_client()`` builds a client of
its own from the same settings, for one run, which the caller closes.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from connected_apps.authlete import parsing
from connected_apps.authlete.client import AuthleteClient, _Config
from connected_apps.authlete.types import ClientDetails, Service, TokenCreateResult


class ProbeClient(AuthleteClient):
    """The portal's operations, and the ones an operator's check of the service needs."""

    @property
    def owner_credentials_configured(self) -> bool:
        return bool(self._config.owner_api_key and self._config.owner_api_secret)

    def service_get_with_service_credentials(self) -> Service:
        """v2: service/get with the service's own key and secret, even when the owner's are set.

        v3 has one kind of credentials, so this is ``service_get()``.
        """
        if self._v3:
            return self.service_get()
        path = f"/service/get/{quote(self._config.api_key)}"
        return self._call("service_get", "GET", path, parsing.service)

    def client_create(
        self,
        *,
        name: str,
        description: str,
        grant_types: Sequence[str],
        redirect_uris: Sequence[str],
    ) -> ClientDetails:
        """A confidential web client answering the authorization code flow."""
        payload = {
            "clientName": name,
            "description": description,
            "clientType": "CONFIDENTIAL",
            "applicationType": "WEB",
            "grantTypes": list(grant_types),
            "responseTypes": ["CODE"],
            "redirectUris": list(redirect_uris),
        }
        return self._call(
            "client_create",
            "POST",
            "/client/create",
            parsing.client_details,
            json_body=payload,
            write=True,
        )

    def client_delete(self, client_id: int) -> None:
        self._transport.call(
            "client_delete",
            "DELETE",
            self._url(f"/client/delete/{int(client_id)}"),
            write=True,
            expect_body=False,
        )

    def token_create(
        self, *, client_id: int, subject: str, scopes: Sequence[str]
    ) -> TokenCreateResult:
        """A token as if the subject had just approved the client (the authorization code grant)."""
        payload = {
            "grantType": "AUTHORIZATION_CODE",
            "clientId": int(client_id),
            "subject": subject,
            "scopes": list(scopes),
        }
        return self._call(
            "token_create",
            "POST",
            "/auth/token/create",
            parsing.token_create_result,
            json_body=payload,
            write=True,
        )


def probe_client() -> ProbeClient:
    """A client for one check, built from settings; ImproperlyConfigured names what is missing."""
    return ProbeClient(_Config.from_settings())
