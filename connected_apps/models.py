"""The audit trail: one append-only row for every change attempted on someone's grants."""

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

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("Done")
        FAILED = "failed", _("Failed")
        REFUSED = "refused", _("Refused")
        # Authlete may have acted (a timeout, a dropped answer): a later read settles it.
        UNKNOWN = "unknown", _("Could not be confirmed")

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
        return f"{self.get_action_display()} {self.client_name or self.client_id} ({self.outcome})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Append-only: a row, once written, is evidence and never changes.
        if self.pk is not None:
            raise PermissionError("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError("Audit events cannot be deleted.")
