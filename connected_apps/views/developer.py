"""The developer page: a client developer's registered clients, and their RFC 7592 metadata."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from connected_apps import authlete
from connected_apps.forms import ClientMetadataForm, error_codes
from connected_apps.models import AuditEvent
from connected_apps.services.audit import audit_refusal
from connected_apps.services.client_audit import oauth_error
from connected_apps.services.developer import (
    developer_client_get,
    developer_client_list,
    developer_client_update,
)
from connected_apps.services.names import display_name
from connected_apps.views.common import (
    HtmxHttpRequest,
    actor_for,
    developer_required,
    page_number,
    writes_rate_limited,
)


@require_GET
@developer_required()
def client_list(request: HtmxHttpRequest, developer: str) -> HttpResponse:
    page = developer_client_list(developer=developer, page=page_number(request.GET.get("page")))
    context = {"developer": developer, "client_page": page}
    return TemplateResponse(request, "connected_apps/developer.html", context)


@require_http_methods(["GET", "POST"])
@developer_required()
@writes_rate_limited(AuditEvent.Action.CLIENT_UPDATE)
def client_edit(request: HtmxHttpRequest, developer: str, client_id: int) -> HttpResponse:
    client = developer_client_get(developer=developer, client_id=client_id)
    form = ClientMetadataForm(
        request.POST if request.method == "POST" else None,
        initial=ClientMetadataForm.initial_for(client),
    )
    if request.method == "POST" and form.is_valid():
        result = developer_client_update(
            developer=developer,
            client=client,
            token=form.cleaned_data["registration_access_token"],
            changes=form.metadata(),
            actor=actor_for(request),
        )
        if result.action == "UPDATED":
            name = display_name(client.name, client.client_id)
            messages.success(request, _("Saved the details of %(name)s.") % {"name": name})
            return redirect("connected_apps:developer")
        form.add_error(None, _refusal(result))
    elif request.method == "POST":
        # Never the posted values: the form carries the registration access token.
        audit_refusal(
            actor=actor_for(request),
            action=AuditEvent.Action.CLIENT_UPDATE,
            refusal=AuditEvent.Refusal.INVALID,
            client_id=client.client_id,
            client_name=client.name,
            note=error_codes(form),
        )
    status = 400 if form.is_bound else 200
    context = {"client": client, "form": form, "back": reverse("connected_apps:developer")}
    return TemplateResponse(request, "connected_apps/developer_edit.html", context, status=status)


def _refusal(result: authlete.RegistrationResult) -> str:
    """What Authlete's refusal of an update means, in words for the developer."""
    error, description = oauth_error(result.response_content)
    # Authlete says UNAUTHORIZED only when the service opts in; otherwise BAD_REQUEST with
    # invalid_token (contract §6). Either way it is the token, not the metadata.
    if result.action == "UNAUTHORIZED" or error == "invalid_token":
        return _("That registration access token is not valid for this client.")
    if result.action == "BAD_REQUEST":
        return _("The service refused these details: %(why)s") % {
            "why": description or error or _("no reason given")
        }
    return _("The service could not save the details. Nothing was changed; try again.")
