"""A local, stateful stand-in for the Authlete API (v3 and v2), for the demo and the tests.

Run it with ``python -m authlete_sandbox``. These are the credentials it accepts; they are not
secrets, they only open this local stand-in.
"""

from __future__ import annotations

# The v3 service id. Authlete uses the same number as the v2 service API key.
SERVICE_ID = "715948317"

# v3 bearer token with full rights on the service.
SERVICE_TOKEN = "sandbox-service-token"  # noqa: S105

# v3 bearer token that may use the service but has no view rights: it gets the limited
# /service/get view and may not call /client/get.
LIMITED_TOKEN = "sandbox-limited-token"  # noqa: S105

# v2 HTTP Basic credentials (service API key and secret).
API_KEY = SERVICE_ID
API_SECRET = "sandbox-service-secret"  # noqa: S105

# v2 HTTP Basic credentials of the service owner, which v2 /service/get/{apiKey} takes
# (the v2 spec's ServiceOwnerCredentials) unless the v2_owner_credentials mode is off.
OWNER_API_KEY = "502138496"
OWNER_API_SECRET = "sandbox-owner-secret"  # noqa: S105

DEFAULT_PORT = 8765
