"""The audit trail of changes to people's grants, and the developers staff confirmed for apps."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEventQuerySet(models.QuerySet):
    def outcomes(self) -> AuditEventQuerySet:
        """The last row of each change's chain (attempt, completion, later confirmation):
        what the change came to."""
        return self.filter(settled_by__isnull=True)


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        NARROW = "narrow", _("Removed permissions")
        REVOKE = "revoke", _("Disconnected app")
        TOKEN_NARROW = "token_narrow", _("Removed permissions from one token")
        TOKEN_EXPIRY = "token_expiry", _("Changed when one token expires")
        TOKEN_PROPERTIES = "token_properties", _("Changed the properties of one token")
        TOKEN_DELETE = "token_delete", _("Ended one token")
        # Changes that are not to someone's grants, recorded all the same.
        CLIENT_UPDATE = "client_update", _("Changed a client's registration")
        CLIENT_DELETE = "client_delete", _("Deleted a client's registration")
        MAPPING_CHANGE = "mapping_change", _("Changed whose apps an account sees")
        # Attempts that could not be changes at all.
        PROBE = "probe", _("Asked for an app or token not connected to the account")
        UNRECORDED = "unrecorded", _("More refused attempts, not recorded one by one")

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("Done")
        FAILED = "failed", _("Failed")
        REFUSED = "refused", _("Refused")
        # Authlete may have acted (a timeout, a dropped answer): a later read settles it.
        UNKNOWN = "unknown", _("Could not be confirmed")

    class Refusal(models.TextChoices):
        """Why an attempt was refused before anything was sent: what the person is told."""

        TOO_MANY = "too_many", _("Too many attempts in a minute")
        NOT_YOURS = "not_yours", _("Not connected to the account")
        INVALID = "invalid", _("Not a valid change")
        NO_REASON = "no_reason", _("No reason given")
        CREDENTIALS = "credentials", _("Credentials not accepted")

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Kept as text too, so the trail still reads right after an account is deleted or renamed.
    actor_username = models.CharField(_("actor's username"), max_length=150)
    on_behalf = models.BooleanField(
        _("on the person's behalf"),
        default=False,
        help_text=_("Staff acted for the person, from the admin."),
    )
    reason = models.TextField(_("reason given"), blank=True)
    subject = models.CharField(_("Authlete subject"), max_length=255, db_index=True)
    client_id = models.BigIntegerField(_("client id"))
    client_name = models.CharField(_("app name"), max_length=255, blank=True)
    action = models.CharField(_("action"), max_length=16, choices=Action)
    scopes_before = models.JSONField(_("permissions before"), default=list, blank=True)
    scopes_after = models.JSONField(_("permissions after"), default=list, blank=True)
    # Changes to one token name it by Authlete's hash (never its value) and keep what changed.
    token_hash = models.CharField(_("token hash"), max_length=128, blank=True, db_index=True)
    values_before = models.JSONField(_("values before"), default=dict, blank=True)
    values_after = models.JSONField(_("values after"), default=dict, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome)
    refusal = models.CharField(_("why refused"), max_length=16, choices=Refusal, blank=True)
    result_code = models.CharField(_("Authlete result code"), max_length=32, blank=True)
    detail = models.TextField(_("detail"), blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=512, blank=True)
    # A row that settles an earlier unknown outcome, once a later read of the app told.
    settles = models.OneToOneField(
        "self",
        verbose_name=_("settles"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="settled_by",
    )
    # True on a row a later read of the app wrote, rather than the change's own answer.
    confirmed_later = models.BooleanField(_("confirmed later"), default=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        permissions = [
            ("manage_connected_apps", _("Can see and change any user's connected apps")),
        ]
        indexes = [models.Index(fields=["subject", "-created_at"])]

    def __str__(self) -> str:
        outcome = f"{self.outcome}: {self.refusal}" if self.refusal else self.outcome
        return f"{self.get_action_display()} {self.client_name or self.client_id} ({outcome})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Append-only: a row, once written, is evidence and never changes.
        if self.pk is not None:
            raise PermissionError("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError("Audit events cannot be deleted.")


class ConfirmedDeveloper(models.Model):
    """The developer staff confirmed for one client: the only developer name pages show.

    A client's own ``developer`` metadata is whatever its registration said, and anyone may
    register a client; only this record puts an app under a developer's name.
    """

    client_id = models.BigIntegerField(_("client id"), unique=True)
    developer = models.CharField(
        _("developer"),
        max_length=255,
        db_index=True,
        help_text=_(
            "Shown as the app's byline, and the developer name whose page lists this client."
        ),
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        null=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), editable=False)

    class Meta:
        ordering = ["developer", "client_id"]
        verbose_name = _("confirmed developer")
        verbose_name_plural = _("confirmed developers")

    def __str__(self) -> str:
        return f"{self.developer} ({self.client_id})"


class StaffConsole(models.Model):
    """Holds the support roles' permissions (``connected_apps.staff.roles``); it has no table.

    A model of its own keeps the roles apart from the audit trail's own permissions, and lets
    groups be given exactly the role a job needs.
    """

    class Meta:
        managed = False
        default_permissions = ()
        verbose_name = _("staff console")
        permissions = [
            ("view_people_apps", _("Can see anyone's connected apps and the audit trail")),
            ("act_on_people_apps", _("Can change anyone's connected apps, giving a reason")),
            (
                "disconnect_app_everywhere",
                _("Can disconnect an app from everyone (incident response)"),
            ),
        ]

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


# The notification records live with the code that writes them; importing them here registers
# them with this app (and its migrations).
from connected_apps.notifications.models import (  # noqa: E402, F401
    Notification,
    NotificationPreference,
    NotifiedChange,
    ReceivedGrant,
)

# The record of disconnecting one app from everyone (incident response), registered the same way.
from connected_apps.sweep_models import Sweep, SweepItem  # noqa: E402, F401
