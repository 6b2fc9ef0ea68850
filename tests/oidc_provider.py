"""A real OpenID Connect provider on loopback for the sign-in tests, and the settings for it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import oidc_provider_mock
import requests
from werkzeug.serving import make_server

# The test provider accepts any client; these only have to be what the portal sends.
CLIENT_ID = "connected-apps-portal"
CLIENT_SECRET = "test-provider-accepts-any-secret"
NAME = "Acme Account"


class OidcProvider:
    """A running provider: who may sign in there, and with which claims."""

    def __init__(self, url: str) -> None:
        self.url = url

    def add_person(self, sub: str, **claims: Any) -> None:
        """Give ``sub`` these claims (email, preferred_username, ...) at the provider."""
        response = requests.put(f"{self.url}/users/{sub}", json=claims, timeout=10)
        response.raise_for_status()


@contextmanager
def running_oidc_provider() -> Iterator[OidcProvider]:
    """Serve oidc-provider-mock on a free loopback port until the block ends."""
    server = make_server("127.0.0.1", 0, oidc_provider_mock.app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield OidcProvider(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def sign_in_through(provider: OidcProvider, settings: Any) -> None:
    """Configure the portal as OIDC_SERVER_URL and friends would for ``provider``.

    ``settings`` is pytest-django's fixture, so everything is restored after the test. allauth
    reads these settings and the provider's discovery document afresh for each sign-in.
    """
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "APPS": [
                {
                    "provider_id": settings.OIDC_PROVIDER_ID,
                    "name": NAME,
                    "client_id": CLIENT_ID,
                    "secret": CLIENT_SECRET,
                    "settings": {"server_url": provider.url},
                }
            ],
            "OAUTH_PKCE_ENABLED": True,
        }
    }
    csp = settings.SECURE_CSP
    settings.SECURE_CSP = {**csp, "form-action": [*csp["form-action"], provider.url]}
