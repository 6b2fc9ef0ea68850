"""The console's token tools: each a POST that needs a reason and reports its outcome.

Narrowing one token, moving its expiry, labelling it: done on the person's behalf and audited
with the reason they will read; one refused for a missing reason, an invalid form or a token not
the person's is audited too. Changes to whole apps ask for confirmation first (``confirm``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from connected_apps import authlete
from connected_apps.forms import (
    StaffReasonForm,
    TokenExpiryForm,
    TokenNarrowForm,
    TokenPropertiesForm,
    error_codes,
)
from connected_apps.models import AuditEvent
from connected_apps.services import tokens
from connected_apps.services.audit import Actor, audit_refusal
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
from connected_apps.services.types import OwnedToken
from connected_apps.staff.common import console_view
from connected_apps.staff.pages import authlete_trouble, token_form_prefix
from connected_apps.views.common import actor_for, audit_not_yours

# What each non-OK action of Authlete's token update means; none of them changed the token.
TOKEN_UPDATE_FAILURES = {
    "BAD_REQUEST": gettext_lazy("Authlete refused the change as invalid. Nothing was changed."),
    "NOT_FOUND": gettext_lazy(
        "Authlete no longer has this token: it expired or was ended meanwhile. Nothing was changed."
    ),
    "FORBIDDEN": gettext_lazy("This token belongs to another service. Nothing was changed."),
    "INTERNAL_SERVER_ERROR": gettext_lazy(
        "Authlete had an internal error. Nothing was changed; try again."
    ),
}


type _Action = Callable[..., str]


def _staff_change(*, audited_as: str) -> Callable[[_Action], Callable[..., HttpResponse]]:
    """A POST that changes one token: the reason is required, the outcome a message on the app's
    console page.

    The wrapped action gets the request, the subject and the staff actor (plus the URL's ids) and
    returns the success message, or "" when it already reported why it did nothing. A change
    refused for want of a reason is audited as ``audited_as``.
    """
    return functools.partial(_staff_change_view, audited_as=audited_as)


def _staff_change_view(action: _Action, *, audited_as: str) -> Callable[..., HttpResponse]:
    @require_POST
    @console_view(acting=True)
    @functools.wraps(action)
    def view(request: HttpRequest, subject: str, client_id: int, **ids: str) -> HttpResponse:
        back = reverse("admin:staff_app", args=[subject, client_id])
        reason = StaffReasonForm(request.POST)
        if not reason.is_valid():
            audit_refusal(
                actor=actor_for(request, staff_reason=""),
                action=audited_as,
                refusal=AuditEvent.Refusal.NO_REASON,
                subject=subject,
                client_id=client_id,
                token_hash=ids.get("token_hash", ""),
            )
            messages.error(request, _("Give a reason: the person will see it in their activity."))
            return redirect(back)
        actor = actor_for(request, staff_reason=reason.cleaned_data["reason"])
        try:
            done = action(request, subject, actor, client_id=client_id, **ids)
        except NotYours:
            audit_not_yours(request, subject=subject, client_id=client_id, actor=actor, **ids)
            raise Http404 from None
        except NarrowingUnavailable:
            messages.error(
                request,
                _("This service does not let us read tokens, so permissions cannot be removed."),
            )
        except ScopeChangeRefused:
            messages.error(request, _("These permissions changed meanwhile. Please choose again."))
        except TokenChangeRefused:
            messages.error(request, _("That change is not allowed for this token."))
        except AuditUnavailable:
            messages.error(request, _("The audit trail could not be written, so nothing was sent."))
        except ChangeInProgress:
            messages.error(request, _("Another change to this app is in progress; try again."))
        except (OutcomeUnknown, ChangeNotConfirmed) as exc:
            unknown = isinstance(exc, OutcomeUnknown)
            text = (
                _("Authlete did not confirm the change: check the app before trying again.")
                if unknown
                else _("Authlete did not complete the change; try again.")
            )
            messages.warning(request, text)
        except TokenUpdateFailed as failure:
            fallback = _("Authlete did not confirm the change. Nothing was changed.")
            messages.error(request, TOKEN_UPDATE_FAILURES.get(failure.action, fallback))
        except authlete.AuthleteError as exc:
            messages.error(request, authlete_trouble(exc))
        else:
            if done:
                messages.success(request, done)
        return redirect(back)

    return view


@_staff_change(audited_as=AuditEvent.Action.TOKEN_NARROW)
def token_narrow(
    request: HttpRequest, subject: str, actor: Actor, *, client_id: int, token_hash: str
) -> str:
    owned = _owned(subject, client_id, token_hash)
    form = _token_form(
        request,
        TokenNarrowForm,
        owned,
        actor=actor,
        subject=subject,
        action=AuditEvent.Action.TOKEN_NARROW,
    )
    if form is None:
        return ""
    ended = tokens.token_narrow(
        subject=subject, owned=owned, keep=form.cleaned_data["keep"], actor=actor
    )
    if ended:
        return _(
            "Narrowed token %(token)s… of %(app)s, then ended it: its refresh token kept a "
            "removed scope."
        ) % _label(owned)
    return _("Narrowed the scopes of token %(token)s… of %(app)s.") % _label(owned)


@_staff_change(audited_as=AuditEvent.Action.TOKEN_EXPIRY)
def token_expiry(
    request: HttpRequest, subject: str, actor: Actor, *, client_id: int, token_hash: str
) -> str:
    owned = _owned(subject, client_id, token_hash)
    form = _token_form(
        request,
        TokenExpiryForm,
        owned,
        actor=actor,
        subject=subject,
        action=AuditEvent.Action.TOKEN_EXPIRY,
    )
    if form is None:
        return ""
    expires_at = form.cleaned_data["expires_at"]
    tokens.token_expiry_set(subject=subject, owned=owned, expires_at=expires_at, actor=actor)
    return _("Changed when token %(token)s… of %(app)s expires.") % _label(owned)


@_staff_change(audited_as=AuditEvent.Action.TOKEN_PROPERTIES)
def token_properties(
    request: HttpRequest, subject: str, actor: Actor, *, client_id: int, token_hash: str
) -> str:
    owned = _owned(subject, client_id, token_hash)
    form = _token_form(
        request,
        TokenPropertiesForm,
        owned,
        actor=actor,
        subject=subject,
        action=AuditEvent.Action.TOKEN_PROPERTIES,
    )
    if form is None:
        return ""
    tokens.token_properties_set(
        subject=subject, owned=owned, properties=form.properties(), actor=actor
    )
    return _("Changed the properties of token %(token)s… of %(app)s.") % _label(owned)


def _owned(subject: str, client_id: int, token_hash: str) -> OwnedToken:
    """The token, checked to be this person's for this app right now."""
    return tokens.token_get(subject=subject, client_id=client_id, token_hash=token_hash)


def _label(owned: OwnedToken) -> dict[str, str]:
    return {"token": owned.short_hash, "app": owned.app_name}


def _token_form[F: forms.Form](
    request: HttpRequest,
    form_class: type[F],
    owned: OwnedToken,
    *,
    actor: Actor,
    subject: str,
    action: str,
) -> F | None:
    token = owned.token
    refused = {
        "actor": actor,
        "action": action,
        "subject": subject,
        "client_id": owned.client_id,
        "client_name": owned.app_name,
        "token_hash": token.access_token_hash,
        "scopes_before": token.scopes,
    }
    prefix = token_form_prefix(token.access_token_hash)
    return _valid_form(request, form_class, refused, token=token, prefix=prefix)


def _valid_form[F: forms.Form](
    request: HttpRequest, form_class: type[F], refused: dict[str, Any], **kwargs: Any
) -> F | None:
    """The posted form when valid; otherwise None, with each of its errors shown as a message
    and the refused change (``refused`` names it) on the audit trail."""
    form = form_class(request.POST, **kwargs)
    if form.is_valid():
        return form
    audit_refusal(refusal=AuditEvent.Refusal.INVALID, note=error_codes(form), **refused)
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return None
