"""A person's notification settings: which optional e-mails they want."""

from __future__ import annotations

import logging
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from connected_apps.notifications.models import NotificationPreference
from connected_apps.notifications.recipients import wants_access_removed_mail

logger = logging.getLogger(__name__)


class NotificationSettingsForm(forms.Form):
    access_removed = forms.BooleanField(
        label=_("E-mail me when an app is disconnected or loses permissions"),
        help_text=_(
            "Also when you make the change yourself: it is how you would notice a change "
            "someone else made with your account."
        ),
        required=False,
        widget=forms.CheckboxInput(attrs={"aria-describedby": "id_access_removed-help"}),
    )


def notification_settings_get(*, user: Any) -> dict[str, bool]:
    """The person's settings, as the form's initial values."""
    return {"access_removed": wants_access_removed_mail(user)}


def notification_settings_set(*, user: Any, access_removed: bool) -> None:
    NotificationPreference.objects.update_or_create(
        user=user, defaults={"access_removed": access_removed}
    )
    logger.info(
        "notifications: user %s turned access-removed e-mails %s",
        user.pk,
        "on" if access_removed else "off",
    )
