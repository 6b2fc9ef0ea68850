"""The portal's user: Django's user plus how their Authlete subject and developer are found."""

from __future__ import annotations

from django.conf import settings
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
    # Set when the person first signs in through the authorization server. From then on their
    # subject is the `sub` that server vouches for: were the account later unlinked from it, a
    # username picked or generated at that sign-up could name somebody else's subject.
    subject_from_provider = models.BooleanField(
        _("Subject only from single sign-on"),
        default=False,
        help_text=_(
            "This person signed in through single sign-on, so their username never names their "
            "subject. Without a linked single sign-on account or an override they see no apps."
        ),
    )
    # Also set by an administrator: the Authlete "developer" name of the clients this person
    # may see and edit on the developer page.
    authlete_developer = models.CharField(
        _("Authlete developer"),
        max_length=255,
        blank=True,
        help_text=_(
            "The developer name of the clients this person manages. Leave blank to derive it "
            "from the configured user attribute, if any."
        ),
    )
    # The language the person chose in the portal; pages and e-mails use it. Blank until they
    # choose, and then the browser's preference (or the site default) applies.
    language = models.CharField(
        _("Language"), max_length=10, blank=True, choices=settings.LANGUAGES, default=""
    )
