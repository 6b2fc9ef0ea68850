"""How the console reports a change: done, refused (nothing changed) or not confirmed.

The same three answers the person's own pages give, in support's words. A change either
returns its success message (shown on the person's page) or raises one of the use cases'
exceptions, mapped here to what the confirmation then says in place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from connected_apps import authlete
from connected_apps.services.audit import Actor
from connected_apps.services.errors import (
    AuditUnavailable,
    ChangeInProgress,
    ChangeNotConfirmed,
    NarrowingUnavailable,
    NotYours,
    OutcomeUnknown,
    ScopeChangeRefused,
    TokenChangeRefused,
    TokenUpdateFailed,
)
from connected_apps.services.types import RevokeReport
from connected_apps.views.common import audit_not_yours
from connected_apps.views.reports import report_messages


@dataclass(frozen=True, slots=True)
class Failure:
    """A change that was not done, or not surely: what to say, and the page's status."""

    message: str
    status: int
    # Authlete may have acted: say so, never "nothing was changed".
    unknown: bool = False


def report_change(
    request: HttpRequest,
    change: Callable[[], str],
    *,
    actor: Actor,
    subject: str,
    client_id: int = 0,
    token_hash: str = "",
) -> Failure | None:
    """Run ``change``: on success leave its message for the page support returns to (None);
    otherwise say what happened, for the confirmation to show in place.

    The actor, subject, client and token name the change for the trail when it turns out to be
    about something the person no longer holds.
    """
    try:
        done = change()
    except NotYours:
        audit_not_yours(
            request, subject=subject, client_id=client_id, token_hash=token_hash, actor=actor
        )
        return Failure(
            _("This app or token is no longer connected to the person. Nothing was changed."), 404
        )
    except NarrowingUnavailable:
        return Failure(
            _("This service does not let us read tokens, so permissions cannot be removed."), 409
        )
    except ScopeChangeRefused:
        return Failure(_("These permissions changed meanwhile. Please choose again."), 409)
    except TokenChangeRefused:
        return Failure(_("That change is not allowed for this token."), 409)
    except AuditUnavailable:
        return Failure(_("The audit trail could not be written, so nothing was sent."), 503)
    except ChangeInProgress:
        return Failure(_("Another change to this app is in progress; try again."), 409)
    except OutcomeUnknown:
        return Failure(_UNCONFIRMED, 502, unknown=True)
    except ChangeNotConfirmed:
        return Failure(
            _("Authlete did not complete the change; check the app, then try again."), 502
        )
    except TokenUpdateFailed:
        return Failure(_("Authlete did not make the change. Nothing was changed."), 502)
    except authlete.AuthleteError as exc:
        return _failure(exc)
    messages.success(request, done)
    return None


_UNCONFIRMED = gettext_lazy(
    "Authlete did not confirm the change: it may have been made. Check the app before trying again."
)


def _failure(exc: authlete.AuthleteError) -> Failure:
    status = 503 if isinstance(exc, authlete.AuthleteUnavailable) else 502
    # Only an error answer (or a call never sent) proves nothing changed; silence proves nothing.
    if exc.never_sent or (exc.status is not None and exc.status >= 400):
        message = _("Authlete could not be reached or refused the call. Nothing was changed.")
        return Failure(message, status)
    return Failure(str(_UNCONFIRMED), status, unknown=True)


def report_revoke_all(request: HttpRequest, report: RevokeReport) -> None:
    """Which apps are gone, which still have access, and which could not be confirmed."""
    report_messages(request, report)
    if not (report.revoked or report.failed or report.unknown):
        messages.info(request, _("No apps were connected, so nothing was changed."))
