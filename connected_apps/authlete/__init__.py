"""The only code that speaks HTTP to Authlete: typed calls in, frozen dataclasses out.

Callers write ``authlete.get_client().<operation>(...)`` and catch :class:`AuthleteError`, the
root of the one exception family every failure surfaces as. Messages and logs carry the
operation, HTTP status, Authlete's resultCode and the duration, never credentials.
"""

from __future__ import annotations

from connected_apps.authlete.client import AuthleteClient, get_client
from connected_apps.authlete.errors import (
    AuthleteCredentialsError,
    AuthleteError,
    AuthleteMalformed,
    AuthleteNotFound,
    AuthleteRejected,
    AuthleteTimeout,
    AuthleteUnavailable,
)
from connected_apps.authlete.pacing import paced
from connected_apps.authlete.transport import deadline
from connected_apps.authlete.types import (
    AuthorizedClientPage,
    ClientDetails,
    ClientPage,
    ClientSummary,
    GrantedScopes,
    LocalizedText,
    Page,
    RegistrationResult,
    ResultOutcome,
    ScopeDefinition,
    Service,
    TokenInfo,
    TokenPage,
    TokenProperty,
    TokenUpdateResult,
)

__all__ = [
    "AuthleteClient",
    "AuthleteCredentialsError",
    "AuthleteError",
    "AuthleteMalformed",
    "AuthleteNotFound",
    "AuthleteRejected",
    "AuthleteTimeout",
    "AuthleteUnavailable",
    "AuthorizedClientPage",
    "ClientDetails",
    "ClientPage",
    "ClientSummary",
    "GrantedScopes",
    "LocalizedText",
    "Page",
    "RegistrationResult",
    "ResultOutcome",
    "ScopeDefinition",
    "Service",
    "TokenInfo",
    "TokenPage",
    "TokenProperty",
    "TokenUpdateResult",
    "deadline",
    "get_client",
    "paced",
]
