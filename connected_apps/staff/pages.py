"""The staff console's page of one person: their apps as support sees them, with the tools."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.subjects import subject_for_user
from connected_apps import authlete
from connected_apps.forms import (
    NarrowForm,
    TokenExpiryForm,
    TokenNarrowForm,
    TokenPropertiesForm,
)
from connected_apps.services import apps, tokens
from connected_apps.services.audit import audit_event_list
from connected_apps.services.rules import token_max_expiry, token_ref, token_short_hash
from connected_apps.views.common import page_number

MANAGE_PERMISSION = "connected_apps.manage_connected_apps"


@dataclass(frozen=True, slots=True)
class TokenRow:
    """One token of a person for an app, with the staff forms that change it."""

    token: authlete.TokenInfo
    ref: str
    short_hash: str
    max_expiry: datetime
    narrow_form: TokenNarrowForm
    expiry_form: TokenExpiryForm
    properties_form: TokenPropertiesForm


def token_row(token: authlete.TokenInfo) -> TokenRow:
    prefix = token_form_prefix(token.access_token_hash)
    return TokenRow(
        token=token,
        ref=token_ref(token.access_token_hash),
        short_hash=token_short_hash(token.access_token_hash),
        max_expiry=token_max_expiry(token.created_at),
        narrow_form=TokenNarrowForm(token=token, prefix=prefix),
        expiry_form=TokenExpiryForm(token=token, prefix=prefix),
        properties_form=TokenPropertiesForm(token=token, prefix=prefix),
    )


_PAGE = "admin/connected_apps/user_apps.html"


@require_GET
def person_apps(request: HttpRequest, user_id: int) -> HttpResponse:
    """Staff see a person's apps as the person does, each with the tools to change it."""
    person, subject = person_of(request, user_id)
    context = _page_context(request, person, subject)
    if not subject:
        return TemplateResponse(request, _PAGE, context)
    try:
        app_page = apps.connected_app_list(
            subject=subject, page=page_number(request.GET.get("page")), query=""
        )
        held = tokens.token_list(
            subject=subject, client_ids=[app.client_id for app in app_page.apps]
        )
    except authlete.AuthleteError as exc:
        return trouble_page(request, person, subject, authlete_trouble(exc))
    context["app_page"] = app_page
    context["apps"] = [
        (
            app,
            NarrowForm(app=app, prefix=f"app{app.client_id}"),
            [token_row(token) for token in held[app.client_id]],
        )
        for app in app_page.apps
    ]
    context["events"] = audit_event_list(subject=subject, limit=20)
    return TemplateResponse(request, _PAGE, context)


def person_of(request: HttpRequest, user_id: int) -> tuple[Any, str | None]:
    if not request.user.has_perm(MANAGE_PERMISSION):
        raise PermissionDenied
    person = get_object_or_404(get_user_model(), pk=user_id)
    return person, subject_for_user(person)


def _page_context(request: HttpRequest, person: Any, subject: str | None) -> dict[str, Any]:
    return {
        **admin.site.each_context(request),
        "title": _("Connected apps of %(user)s") % {"user": person.get_username()},
        "person": person,
        "subject": subject,
        "apps": [],
    }


def trouble_page(
    request: HttpRequest, person: Any, subject: str, error: str, *, status: int = 503
) -> TemplateResponse:
    context = {**_page_context(request, person, subject), "error": error}
    return TemplateResponse(request, _PAGE, context, status=status)


def authlete_trouble(exc: authlete.AuthleteError) -> str:
    return _("Authlete could not be reached or refused the call: %(error)s") % {"error": exc}


def token_form_prefix(access_token_hash: str) -> str:
    return f"tok-{token_ref(access_token_hash)}"
