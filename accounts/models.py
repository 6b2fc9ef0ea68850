"""The portal's user: Django's user plus an optional, admin-set Authlete subject."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    # Set only by an administrator: a person's sign-in name and their subject at the
    # authorization server do not always match (migrated accounts, renamed users).
    authlete_subject = models.CharField(
        _("Authlete subject override"),
        max_length=255,
        blank=True,
        help_text=_(
            "The subject whose grants this person sees. Leave blank to derive it from their "
            "single sign-on identity or their username."
        ),
    )
