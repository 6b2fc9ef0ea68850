"""The notification settings page: one checkbox, saved by a plain POST or by htmx in place."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from connected_apps.notifications.preferences import (
    NotificationSettingsForm,
    notification_settings_get,
    notification_settings_set,
)
from connected_apps.notifications.recipients import address_for
from connected_apps.views.common import HtmxHttpRequest, fragment_template

_TEMPLATE = "notifications/settings.html"


@require_http_methods(["GET", "POST"])
def notification_settings(request: HtmxHttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = NotificationSettingsForm(request.POST)
        if form.is_valid():
            notification_settings_set(user=request.user, **form.cleaned_data)
            saved = _("Your e-mail settings are saved.")
            if not request.htmx:
                messages.success(request, saved)
                return redirect("connected_apps:notification_settings")
            context = {"form": form, "saved": saved}
            return TemplateResponse(request, f"{_TEMPLATE}#settings-form", context)
    else:
        form = NotificationSettingsForm(initial=notification_settings_get(user=request.user))
    template = fragment_template(request, _TEMPLATE, "settings-form")
    context = {"form": form, "address": address_for(request.user)}
    return TemplateResponse(request, template, context)
