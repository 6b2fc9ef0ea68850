"""The one exception family every failure to get an answer from Authlete surfaces as."""

from __future__ import annotations


class AuthleteError(Exception):
    """Authlete could not do what was asked. ``reason`` is a short word for logs and probes."""

    reason = "error"

    def __init__(
        self,
        message: str,
        *,
        operation: str,
        status: int | None = None,
        result_code: str | None = None,
        result_message: str | None = None,
        never_sent: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        # Seconds Authlete asked us to wait (its Retry-After on a 429 or 503), when it said.
        self.retry_after = retry_after
        self.operation = operation
        # True when the request never reached Authlete (no connection, an open circuit): then
        # Authlete surely did nothing, whatever the call was.
        self.never_sent = never_sent
        self.status = status
        self.result_code = result_code
        # Authlete's own text embeds ids; keep it for logs and admins, never show it to end-users.
        self.result_message = result_message


class AuthleteUnavailable(AuthleteError):
    """Authlete could not be reached, answered 5xx, or kept asking us to slow down."""

    reason = "unavailable"


class AuthleteTimeout(AuthleteUnavailable):
    """Authlete did not answer within the configured timeouts or the call's deadline."""

    reason = "timeout"


class AuthleteRejected(AuthleteError):
    """Authlete refused the call (4xx) and said why in its resultCode."""

    reason = "rejected"


class AuthleteNotFound(AuthleteRejected):
    """The client (or token) named in the call does not exist."""

    reason = "not_found"


class AuthleteCredentialsError(AuthleteRejected):
    """Authlete did not accept our credentials (401) or they lack a permission (403)."""

    reason = "bad_credentials"


class AuthleteMalformed(AuthleteError):
    """Authlete answered, but not with the JSON shape its API documents."""

    reason = "malformed"
