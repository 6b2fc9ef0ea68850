"""A person ends one of an app's tokens (a forgotten device, say) and keeps the app connected."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from connected_apps.models import AuditEvent
from connected_apps.services import tokens
from connected_apps.services.errors import TokenNotFound
from connected_apps.views.common import (
    HtmxHttpRequest,
    actor_for,
    audit_not_yours,
    fragment_template,
    not_found,
    subject_required,
    writes_rate_limited,
)


@require_http_methods(["GET", "POST"])
@subject_required()
@writes_rate_limited(AuditEvent.Action.TOKEN_DELETE)
def token_end(
    request: HtmxHttpRequest, subject: str, client_id: int, token_hash: str
) -> HttpResponse:
    """GET asks for confirmation; POST ends the token, checked against a fresh token list."""
    try:
        owned = tokens.token_get(subject=subject, client_id=client_id, token_hash=token_hash)
    except TokenNotFound:
        # Unknown, expired, or someone else's: the same answer, and nothing sent to Authlete.
        audit_not_yours(request, subject=subject, client_id=client_id, token_hash=token_hash)
        return not_found(request, _("This app has no such sign-in on your account."))
    if request.method == "GET":
        template = fragment_template(request, "connected_apps/token_end.html", "token-confirm-row")
        return TemplateResponse(request, template, {"owned": owned})

    ended = tokens.token_end(subject=subject, owned=owned, actor=actor_for(request))
    detail = ended.detail
    if detail is None and ended.app_left:
        # Done, but the page could not be read again: say so, and show it on the next load.
        message = _("That sign-in of %(app)s has ended. This page may be out of date.") % {
            "app": owned.app_name
        }
        messages.success(request, message)
        detail_url = reverse("connected_apps:detail", args=[client_id])
        return HttpResponseClientRedirect(detail_url) if request.htmx else redirect(detail_url)
    if detail is None:
        message = _("The last sign-in of %(app)s has ended; it is no longer connected.") % {
            "app": owned.app_name
        }
        messages.success(request, message)
        list_url = reverse("connected_apps:list")
        return HttpResponseClientRedirect(list_url) if request.htmx else redirect(list_url)
    message = _("That sign-in of %(app)s has ended. Its other sign-ins stay.") % {
        "app": owned.app_name
    }
    if request.htmx:
        # The page comes back with the result under "Where it's signed in", where the person
        # clicked; it takes focus, so screen readers read it without the live region.
        context = {"detail": detail, "app": detail.app, "token_ended": message}
        return TemplateResponse(request, "connected_apps/app_detail.html#detail", context)
    messages.success(request, message)
    # The page's top, where the message is: a jump to the sign-ins would scroll it out of view.
    return redirect(reverse("connected_apps:detail", args=[client_id]))
