"""What the portal records to tell people about changes: preferences, e-mails, and their inputs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationPreference(models.Model):
    """A person's choice about the e-mails they may turn off; without a row, every e-mail is on."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    access_removed = models.BooleanField(
        _("e-mail when an app is disconnected or loses permissions"), default=True
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"{self.user} ({'on' if self.access_removed else 'off'})"


class Notification(models.Model):
    """One e-mail to one person, kept until it is sent, with every attempt to send it."""

    class Kind(models.TextChoices):
        SUPPORT_ACTED = "support_acted", _("Support changed access")
        ACCESS_REMOVED = "access_removed", _("Access removed")
        APP_CONNECTED = "app_connected", _("New app connected")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        # Every attempt failed: the row (and the audit trail) keeps what was to be said.
        GAVE_UP = "gave_up", _("Not sent: every attempt failed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind)
    status = models.CharField(
        _("status"), max_length=8, choices=Status, default=Status.PENDING, db_index=True
    )
    # A new grant's facts, as the authorization server sent them (changes point at audit rows).
    details = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    attempts = models.PositiveSmallIntegerField(_("attempts to send"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.user} ({self.status})"


class NotifiedChange(models.Model):
    """A confirmed change, once dealt with for one person: in an e-mail, or left out by choice.

    Unique per change and person, so no change is told twice, even when two workers gather at
    once; a confirmed change without a row here is still to be told.
    """

    event = models.ForeignKey(
        "connected_apps.AuditEvent",
        verbose_name=_("change"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    # None when the person turned these e-mails off.
    notification = models.ForeignKey(
        Notification,
        verbose_name=_("e-mail"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="changes",
    )

    class Meta:
        verbose_name = _("notified change")
        verbose_name_plural = _("notified changes")
        constraints = [
            models.UniqueConstraint(fields=["event", "user"], name="one_notice_per_change_person")
        ]

    def __str__(self) -> str:
        return f"change {self.event_id} for {self.user_id}: e-mail {self.notification_id or '-'}"


class ReceivedGrant(models.Model):
    """A new grant the authorization server reported, remembered by its event id so that a
    repeated delivery is answered without telling the person twice."""

    event_id = models.CharField(_("event id"), max_length=100, unique=True)
    # The signed body's digest: the same id with another body is refused, not taken as a repeat.
    body_sha256 = models.CharField(_("body digest"), max_length=64)
    subject = models.CharField(_("Authlete subject"), max_length=255, db_index=True)
    client_id = models.BigIntegerField(_("client id"))
    scopes = models.JSONField(_("permissions"), default=list, blank=True)
    issued_at = models.DateTimeField(_("issued at"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("reported new grant")
        verbose_name_plural = _("reported new grants")

    def __str__(self) -> str:
        return f"{self.event_id}: {self.client_id} for {self.subject}"
