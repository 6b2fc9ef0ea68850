"""The frozen dataclasses the Authlete client returns, named after what Authlete holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class LocalizedText:
    tag: str
    value: str


@dataclass(frozen=True, slots=True)
class ScopeDefinition:
    name: str
    description: str
    descriptions: tuple[LocalizedText, ...] = ()
    # The scope's key/value attributes as the operator set them on the service.
    attributes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Service:
    api_key: str
    name: str
    description: str
    scopes: tuple[ScopeDefinition, ...]
    # A token without service-view rights gets a limited view with no scopes at all.
    limited: bool


@dataclass(frozen=True, slots=True)
class ClientSummary:
    """What the authorized-clients list says of a client (v3 gives only these fields)."""

    client_id: int
    alias: str
    name: str
    names: tuple[LocalizedText, ...]
    description: str
    descriptions: tuple[LocalizedText, ...]
    client_type: str


@dataclass(frozen=True, slots=True)
class ClientDetails(ClientSummary):
    """A client's display metadata. Secrets are never copied in."""

    logo_uri: str
    logo_uris: tuple[LocalizedText, ...]
    client_uri: str
    client_uris: tuple[LocalizedText, ...]
    policy_uri: str
    policy_uris: tuple[LocalizedText, ...]
    tos_uri: str
    tos_uris: tuple[LocalizedText, ...]
    developer: str
    application_type: str
    contacts: tuple[str, ...]
    redirect_uris: tuple[str, ...]
    dynamically_registered: bool
    created_at: datetime | None
    modified_at: datetime | None
    # The client's key/value attributes as the operator set them (e.g. first_party=true).
    attributes: tuple[tuple[str, str], ...] = ()
    # Locked by the service (client/lock_flag/update): it can get no new tokens.
    locked: bool = False


@dataclass(frozen=True, slots=True)
class Page:
    """One window of a list Authlete pages by ``start`` and ``end``, and how long the list is."""

    start: int
    end: int
    total_count: int


@dataclass(frozen=True, slots=True)
class AuthorizedClientPage(Page):
    subject: str
    clients: tuple[ClientSummary, ...]


@dataclass(frozen=True, slots=True)
class ClientPage(Page):
    """One page of a service's clients, optionally only those of one developer."""

    clients: tuple[ClientDetails, ...]


@dataclass(frozen=True, slots=True)
class GrantedScopes:
    """The remembered consent of a subject for a client.

    ``None`` means Authlete holds no record at all; an empty tuple means a record with no scopes.
    """

    latest: tuple[str, ...] | None
    merged: tuple[str, ...] | None
    modified_at: datetime | None

    @property
    def has_record(self) -> bool:
        return self.latest is not None or self.merged is not None


@dataclass(frozen=True, slots=True)
class ResultOutcome:
    """Authlete's confirmation of a change, with the number of tokens it touched when it says."""

    result_code: str
    result_message: str
    token_count: int | None


@dataclass(frozen=True, slots=True)
class TokenProperty:
    key: str
    value: str
    hidden: bool


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """One access token as Authlete lists it: identified by hash, never by value."""

    access_token_hash: str
    access_token_expires_at: datetime | None
    refresh_token_hash: str
    refresh_token_expires_at: datetime | None
    created_at: datetime | None
    last_refreshed_at: datetime | None
    client_id: int
    subject: str
    grant_type: str
    scopes: tuple[str, ...]
    refresh_token_scopes: tuple[str, ...]
    properties: tuple[TokenProperty, ...]


@dataclass(frozen=True, slots=True)
class TokenPage(Page):
    tokens: tuple[TokenInfo, ...]
    # The client the tokens belong to, as much as the list says of it (v3: the limited view).
    client: ClientSummary | None = None


@dataclass(frozen=True, slots=True)
class TokenUpdateResult:
    action: str  # OK, BAD_REQUEST, FORBIDDEN, NOT_FOUND or INTERNAL_SERVER_ERROR
    result_code: str
    result_message: str
    scopes: tuple[str, ...] | None
    access_token_expires_at: datetime | None
    properties: tuple[TokenProperty, ...] | None


@dataclass(frozen=True, slots=True)
class TokenCreateResult:
    """What /auth/token/create issued; the token values are never copied in."""

    action: str  # OK, BAD_REQUEST, FORBIDDEN or INTERNAL_SERVER_ERROR
    result_code: str
    result_message: str
    refresh_token_issued: bool
    scopes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RegistrationResult:
    """Outcome of an RFC 7591/7592 call; ``response_content`` goes back to the caller verbatim."""

    action: str  # CREATED, OK, UPDATED, DELETED, BAD_REQUEST, UNAUTHORIZED, INTERNAL_SERVER_ERROR
    response_content: str
    result_code: str
    client_id: int | None
