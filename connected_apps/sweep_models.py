"""The record of disconnecting one app from everyone: the sweep, and one row per person in it.

Progress lives here, per person, so a sweep survives a worker restart and resumes where it
stopped; the database, not the worker, decides who works on what (unique active sweep per app,
items claimed atomically).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Sweep(models.Model):
    class Status(models.TextChoices):
        LISTING = "listing", _("Finding who holds tokens")
        RUNNING = "running", _("Disconnecting")
        FINISHED = "finished", _("Finished")

    ACTIVE = (Status.LISTING, Status.RUNNING)

    client_id = models.BigIntegerField(_("client id"), db_index=True)
    client_name = models.CharField(_("app name"), max_length=255, blank=True)
    reason = models.TextField(_("reason given"))
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Kept as text too, so the record still reads right after the account is gone.
    started_by_username = models.CharField(_("started by (username)"), max_length=150)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    # Who last asked to try the failures again: the audit names them for those attempts.
    retried_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("failures retried by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    retried_at = models.DateTimeField(_("failures retried at"), null=True, blank=True)
    lock_requested = models.BooleanField(_("lock the app first"), default=False)
    locked_at = models.DateTimeField(_("app locked at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.LISTING)
    created_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Where listing the app's tokens got to (the start of the next window), and how many times
    # the list was read again at the end to catch tokens issued meanwhile.
    listed_through = models.PositiveIntegerField(default=0)
    rescans = models.PositiveSmallIntegerField(default=0)
    # The one run working on the sweep, until when; another run waits for this to pass.
    lease_owner = models.CharField(max_length=32, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    # For the report: the pace it was given, the calls it made and the time they took.
    requests_per_second = models.FloatField(_("requests per second allowed"))
    authlete_calls = models.PositiveIntegerField(_("Authlete calls"), default=0)
    working_seconds = models.FloatField(_("working time (seconds)"), default=0)
    waited_seconds = models.FloatField(_("time Authlete asked to wait (seconds)"), default=0)
    # Why the sweep stopped short of listing everyone, when it had to (Authlete refused the list).
    problem = models.TextField(_("problem"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("disconnection from everyone")
        verbose_name_plural = _("disconnections from everyone")
        constraints = [
            # A second start of the same app's sweep cannot run beside the first.
            models.UniqueConstraint(
                fields=["client_id"],
                condition=Q(status__in=["listing", "running"]),
                name="connected_apps_one_active_sweep_per_client",
            )
        ]

    def __str__(self) -> str:
        return f"{self.client_name or self.client_id} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE


class SweepItem(models.Model):
    """One person (subject) the sweep disconnects the app from, and how that went."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        CLAIMED = "claimed", _("In progress")
        DONE = "done", _("Disconnected")
        FAILED = "failed", _("Failed")

    class Outcome(models.TextChoices):
        REVOKED = "revoked", _("Disconnected")
        ALREADY_GONE = "already_gone", _("Held no token any more")
        STILL_LISTED = "still_listed", _("Authlete still lists the app's tokens")
        UNKNOWN = "unknown", _("Authlete's answer never came; it may have been done")
        UNAVAILABLE = "unavailable", _("Authlete was unavailable")
        REJECTED = "rejected", _("Authlete refused the change")
        BUSY = "busy", _("Another change to this person's app kept it busy")
        AUDIT = "audit", _("The audit trail could not be written, so nothing was sent")

    sweep = models.ForeignKey(Sweep, on_delete=models.CASCADE, related_name="items")
    subject = models.CharField(_("Authlete subject"), max_length=255)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.PENDING)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome, blank=True)
    detail = models.TextField(_("detail"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    claimed_by = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["subject"]
        verbose_name = _("person in a disconnection from everyone")
        verbose_name_plural = _("people in a disconnection from everyone")
        constraints = [
            models.UniqueConstraint(
                fields=["sweep", "subject"], name="connected_apps_sweep_subject_once"
            )
        ]
        indexes = [models.Index(fields=["sweep", "status"], name="connected_apps_sweep_status")]

    def __str__(self) -> str:
        return f"{self.subject} ({self.status})"
