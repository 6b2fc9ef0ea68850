"""The one exception family of the use cases: not yours, refused by a rule, refused by Authlete."""

from __future__ import annotations


class PortalError(Exception):
    """A use case could not do what was asked; nothing was changed by it."""


class NotYours(PortalError):
    """The thing asked for does not exist for this person, or belongs to someone else."""


class AppNotConnected(NotYours):
    """The subject holds no tokens for this client: not theirs to see or change."""


class AppsNotConnected(NotYours):
    """Some of the apps chosen together are not the subject's: the whole choice is refused."""

    def __init__(self, client_ids: list[int]) -> None:
        super().__init__(client_ids)
        self.client_ids = client_ids


class TokenNotFound(NotYours):
    """No token with this hash belongs to this subject and client, as Authlete lists them now."""


class ClientNotYours(NotYours):
    """The client does not exist or another developer registered it."""


class ChangeRefused(PortalError):
    """The change breaks a rule of ours; nothing was sent to Authlete."""


class ScopeChangeRefused(ChangeRefused):
    """The requested scopes are not a strict, non-empty subset of what the app holds."""


class TokenChangeRefused(ChangeRefused):
    """The change asked of one token is not allowed (scopes or expiry)."""


class TokensUnreadable(PortalError):
    """This Authlete service does not let the portal list tokens (a plan without the token
    list, or a token without the right): what each app may do cannot be read."""


class NarrowingUnavailable(ChangeRefused):
    """Removing single permissions needs the token list; without it the write would be blind."""


class AuditUnavailable(PortalError):
    """The audit trail cannot be written, so no change is sent: none may go unrecorded."""


class ChangeInProgress(PortalError):
    """Another change to this person's app is still running; nothing was done."""


class ChangeNotConfirmed(PortalError):
    """Authlete answered, but reading back what it holds shows the change did not fully happen."""


class OutcomeUnknown(PortalError):
    """Authlete may have acted, but no answer or read confirms it either way; it is audited as
    unknown and settled by the next read of the app."""


class TokenUpdateFailed(PortalError):
    """Authlete answered a token update with an action other than OK: nothing changed."""

    def __init__(self, action: str, result_code: str) -> None:
        super().__init__(action)
        self.action = action
        self.result_code = result_code
