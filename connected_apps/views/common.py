"""What every page view shares: who is asking, which fragment htmx gets, and how failures read.

Identity decorators resolve the signed-in person's Authlete subject (or developer name) and map
the whole exception family to one answer each, so a view body holds only its happy path. The
attempts they refuse (something not yours, too many changes) go on the audit trail.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from allauth.account.adapter import get_adapter as get_account_adapter
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_htmx.middleware import HtmxDetails

from accounts.subjects import developer_for_user, subject_for_user
from connected_apps import authlete
from connected_apps.models import AuditEvent
from connected_apps.services.audit import Actor, audit_refusal
from connected_apps.services.errors import (
    AppNotConnected,
    AuditUnavailable,
    ChangeInProgress,
    ChangeNotConfirmed,
    NarrowingUnavailable,
    NotYours,
    OutcomeUnknown,
)
from connected_apps.services.limits import minute_count, seconds_until_next_minute

type View = Callable[..., HttpResponse]


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


class TooManyChanges(Exception):
    """This person made more changes this minute than ``PORTAL_WRITES_PER_MINUTE`` allows."""

    def __init__(self, action: str) -> None:
        super().__init__(action)
        self.action = action


def actor_for(request: HttpRequest, *, staff_reason: str | None = None) -> Actor:
    """Who is asking, from where; staff acting for someone pass the reason they gave."""
    return Actor(
        user=request.user,
        ip_address=_client_ip(request),
        user_agent=request.headers.get("User-Agent", "")[:512],
        on_behalf=staff_reason is not None,
        reason=staff_reason or "",
    )


def _client_ip(request: HttpRequest) -> str | None:
    """The client's address as allauth's sign-in limits see it: through exactly as many proxies
    as ``DJANGO_TRUSTED_PROXY_COUNT`` says, so the audit and the limits agree."""
    try:
        return get_account_adapter(request).get_client_ip(request)
    except (PermissionDenied, ImproperlyConfigured):
        return None


def fragment_template(request: HtmxHttpRequest, template: str, partial: str) -> str:
    """The server, not the client, picks the fragment an htmx request gets."""
    return f"{template}#{partial}" if request.htmx else template


def page_number(raw: str | None) -> int:
    try:
        return max(1, min(int(raw or 1), 100_000))
    except ValueError:
        return 1


def error_response(
    request: HtmxHttpRequest,
    exc: authlete.AuthleteError,
    *,
    card_of: int | None = None,
    outcome_unknown: bool = False,
) -> TemplateResponse:
    """Authlete failed: a short human message and a way to try again, in place.

    ``card_of`` names the app whose card the htmx request replaces; the error then takes the
    card's place in the list instead of standing as an alert.
    """
    if isinstance(exc, authlete.AuthleteTimeout):
        message = _("The account service is taking too long to answer.")
    elif isinstance(exc, authlete.AuthleteUnavailable):
        message = _("The account service is not reachable right now.")
    else:
        message = _("The account service could not handle this request.")
    writing = request.method != "GET"
    # Only an error answer from Authlete proves a change was not made; a timeout, a dropped
    # connection or a garbled success may come after Authlete acted, so promise neither way.
    # An open circuit or a refused connection also proves it: nothing was sent at all.
    answered_no = exc.status is not None and exc.status >= 400
    refused = (exc.never_sent or answered_no) and not outcome_unknown
    context = {
        "message": message,
        "unchanged": writing and refused,
        "outcome_unknown": writing and not refused,
        # Authlete is away: the full page says where the person stands and where to go meanwhile.
        "outage": True,
    }
    status = 503 if isinstance(exc, authlete.AuthleteUnavailable) else 502
    return _error_page(request, context, status=status, card_of=card_of)


def not_found(request: HtmxHttpRequest, message: str, *, app_gone: bool = False) -> HttpResponse:
    """Not this person's, or gone already. Under htmx the stale element on screen is removed
    and the reason announced, instead of a click that silently does nothing.

    A full page lands in the portal's shell with a way back: a stale link to an app (another
    tab, a bookmark, the back button) says the app is no longer connected.
    """
    if not request.htmx:
        template = "connected_apps/app_gone.html" if app_gone else "404.html"
        return TemplateResponse(request, template, {"message": message}, status=404)
    context = {"announcement": message}
    return TemplateResponse(request, "connected_apps/_announce.html", context, status=404)


def writes_rate_limited(action: str) -> Callable[[View], View]:
    """Cap each person's changes per minute (``PORTAL_WRITES_PER_MINUTE``; 0 turns it off).

    A runaway script or a stuck button then cannot hammer Authlete through someone's session.
    The count lives in the cache, so every worker behind the same cache shares it. Put it under
    an identity decorator, which audits the refused ``action`` and answers with the page's own
    error fragment.
    """

    def wrap(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HtmxHttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            if request.method == "POST" and over_limit(f"writes:{request.user.pk}"):
                raise TooManyChanges(action)
            return view(request, *args, **kwargs)

        return wrapper

    return wrap


def over_limit(bucket: str) -> bool:
    """Count one more attempt in ``bucket``: whether this minute's now exceed the write limit."""
    limit = settings.PORTAL_WRITES_PER_MINUTE
    return limit > 0 and minute_count(bucket) > limit


def retry_after() -> str:
    """Seconds until the write limit's minute turns, for a Retry-After header."""
    return str(seconds_until_next_minute())


def audit_not_yours(
    request: HttpRequest,
    *,
    subject: str = "",
    client_id: object = 0,
    token_hash: object = "",
    actor: Actor | None = None,
) -> None:
    """Record someone asking for an app, token or client that is not theirs (or, for staff,
    not the person's); nothing was shown or sent. The request goes in the detail."""
    audit_refusal(
        actor=actor or actor_for(request),
        action=AuditEvent.Action.PROBE,
        refusal=AuditEvent.Refusal.NOT_YOURS,
        subject=subject,
        client_id=_client_number(client_id),
        token_hash=str(token_hash or ""),
        note=f"{request.method} {request.path[:300]}",
    )


def _client_number(client_id: object) -> int:
    return client_id if isinstance(client_id, int) else 0


def _identity_required(
    resolve: Callable[[object], str | None],
    forbidden_template: str,
    not_yours: object,
    *,
    is_subject: bool,
) -> Callable[..., Callable[[View], View]]:
    def decorator(*, errors_in_card: bool = False) -> Callable[[View], View]:
        def wrap(view: View) -> View:
            @functools.wraps(view)
            def wrapper(request: HtmxHttpRequest, *args: object, **kwargs: object) -> HttpResponse:
                identity = resolve(request.user)
                if not identity:
                    return TemplateResponse(request, forbidden_template, status=403)
                card_of = kwargs.get("client_id") if errors_in_card else None
                # Refusals go on the subject's trail; a developer's have no subject to go on.
                audited = {
                    "subject": identity if is_subject else "",
                    "client_id": kwargs.get("client_id", 0),
                    "token_hash": kwargs.get("token_hash", ""),
                }
                try:
                    return view(request, identity, *args, **kwargs)
                except NotYours as exc:
                    audit_not_yours(request, **audited)
                    gone = isinstance(exc, AppNotConnected)
                    return not_found(request, str(not_yours), app_gone=gone)
                except TooManyChanges as exc:
                    _audit_too_many(request, exc.action, **audited)
                    return _too_many_changes(request, card_of)
                except (
                    AuditUnavailable,
                    ChangeInProgress,
                    ChangeNotConfirmed,
                    NarrowingUnavailable,
                    OutcomeUnknown,
                ) as exc:
                    return _change_trouble(request, exc, card_of)  # type: ignore[arg-type]
                except authlete.AuthleteError as exc:
                    return error_response(request, exc, card_of=card_of)  # type: ignore[arg-type]

            return wrapper

        return wrap

    return decorator


def _audit_too_many(request: HttpRequest, action: str, **audited: Any) -> None:
    audit_refusal(
        actor=actor_for(request),
        action=action,
        refusal=AuditEvent.Refusal.TOO_MANY,
        subject=audited["subject"],
        client_id=_client_number(audited["client_id"]),
        token_hash=str(audited["token_hash"]),
    )


def _too_many_changes(request: HtmxHttpRequest, card_of: object) -> TemplateResponse:
    context = {
        "message": _("You are making changes too quickly. Wait a minute, then try again."),
        "unchanged": True,
    }
    response = _error_page(request, context, status=429, card_of=card_of)  # type: ignore[arg-type]
    response["Retry-After"] = retry_after()
    return response


def _change_trouble(
    request: HtmxHttpRequest, exc: Exception, card_of: int | None
) -> TemplateResponse:
    """A change that was not (or not surely) done, in words that claim no more than we know."""
    if isinstance(exc, AuditUnavailable):
        message = _("We could not record your change, so we did not make it.")
        context = {"message": message, "unchanged": True}
        return _error_page(request, context, status=503, card_of=card_of)
    if isinstance(exc, NarrowingUnavailable):
        message = _(
            "This account service does not let us see what each app may do, so permissions "
            "cannot be removed one by one. You can disconnect the app instead."
        )
        return _error_page(
            request, {"message": message, "unchanged": True}, status=409, card_of=card_of
        )
    if isinstance(exc, ChangeInProgress):
        message = _("Another change to this app is still in progress. Try again in a moment.")
        context: dict[str, object] = {"message": message, "unchanged": True}
        return _error_page(request, context, status=409, card_of=card_of)
    if isinstance(exc, OutcomeUnknown) and isinstance(exc.__cause__, authlete.AuthleteError):
        # Say what went wrong (too slow, unreachable...); the template then says the outcome
        # is unknown, since no error answer proved the change was not made.
        return error_response(request, exc.__cause__, card_of=card_of, outcome_unknown=True)
    if isinstance(exc, OutcomeUnknown):
        message = _("The account service did not confirm your change.")
        context = {"message": message, "outcome_unknown": True}
        return _error_page(request, context, status=502, card_of=card_of)
    message = _("The account service did not complete your change. Check the app, then try again.")
    return _error_page(request, {"message": message}, status=502, card_of=card_of)


def _error_page(
    request: HtmxHttpRequest, context: dict[str, object], *, status: int, card_of: int | None
) -> TemplateResponse:
    context["retry_url"] = request.get_full_path() if request.method == "GET" else request.path
    context["client_id"] = card_of
    partial = "error-card" if card_of is not None else "error"
    template = fragment_template(request, "connected_apps/error.html", partial)
    return TemplateResponse(request, template, context, status=status)


subject_required = _identity_required(
    subject_for_user,
    "connected_apps/no_subject.html",
    gettext_lazy("This app is not connected to your account."),
    is_subject=True,
)
developer_required = _identity_required(
    developer_for_user,
    "connected_apps/not_developer.html",
    gettext_lazy("None of your clients has that ID."),
    is_subject=False,
)
