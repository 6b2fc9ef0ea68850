"""Disconnecting one app from everyone: the sweep and one row per person in it."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("connected_apps", "0007_notifications"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Sweep",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("client_id", models.BigIntegerField(db_index=True, verbose_name="client id")),
                (
                    "client_name",
                    models.CharField(blank=True, max_length=255, verbose_name="app name"),
                ),
                ("reason", models.TextField(verbose_name="reason given")),
                (
                    "started_by_username",
                    models.CharField(max_length=150, verbose_name="started by (username)"),
                ),
                (
                    "ip_address",
                    models.GenericIPAddressField(blank=True, null=True, verbose_name="IP address"),
                ),
                (
                    "retried_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="failures retried at"),
                ),
                (
                    "lock_requested",
                    models.BooleanField(default=False, verbose_name="lock the app first"),
                ),
                (
                    "locked_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="app locked at"),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("listing", "Finding who holds tokens"),
                            ("running", "Disconnecting"),
                            ("finished", "Finished"),
                        ],
                        default="listing",
                        max_length=16,
                        verbose_name="status",
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="started at")),
                (
                    "finished_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="finished at"),
                ),
                ("listed_through", models.PositiveIntegerField(default=0)),
                ("rescans", models.PositiveSmallIntegerField(default=0)),
                ("lease_owner", models.CharField(blank=True, max_length=32)),
                ("lease_until", models.DateTimeField(blank=True, null=True)),
                (
                    "requests_per_second",
                    models.FloatField(verbose_name="requests per second allowed"),
                ),
                (
                    "authlete_calls",
                    models.PositiveIntegerField(default=0, verbose_name="Authlete calls"),
                ),
                (
                    "working_seconds",
                    models.FloatField(default=0, verbose_name="working time (seconds)"),
                ),
                (
                    "waited_seconds",
                    models.FloatField(
                        default=0, verbose_name="time Authlete asked to wait (seconds)"
                    ),
                ),
                ("problem", models.TextField(blank=True, verbose_name="problem")),
                (
                    "retried_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="failures retried by",
                    ),
                ),
                (
                    "started_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="started by",
                    ),
                ),
            ],
            options={
                "verbose_name": "disconnection from everyone",
                "verbose_name_plural": "disconnections from everyone",
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="SweepItem",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("subject", models.CharField(max_length=255, verbose_name="Authlete subject")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Waiting"),
                            ("claimed", "In progress"),
                            ("done", "Disconnected"),
                            ("failed", "Failed"),
                        ],
                        default="pending",
                        max_length=16,
                        verbose_name="status",
                    ),
                ),
                (
                    "outcome",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("revoked", "Disconnected"),
                            ("already_gone", "Held no token any more"),
                            ("still_listed", "Authlete still lists the app's tokens"),
                            ("unknown", "Authlete's answer never came; it may have been done"),
                            ("unavailable", "Authlete was unavailable"),
                            ("rejected", "Authlete refused the change"),
                            ("busy", "Another change to this person's app kept it busy"),
                            ("audit", "The audit trail could not be written, so nothing was sent"),
                        ],
                        max_length=16,
                        verbose_name="outcome",
                    ),
                ),
                ("detail", models.TextField(blank=True, verbose_name="detail")),
                ("attempts", models.PositiveSmallIntegerField(default=0, verbose_name="attempts")),
                ("claimed_by", models.CharField(blank=True, max_length=32)),
                ("claimed_at", models.DateTimeField(blank=True, null=True)),
                (
                    "finished_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="finished at"),
                ),
                (
                    "sweep",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="items",
                        to="connected_apps.sweep",
                    ),
                ),
            ],
            options={
                "verbose_name": "person in a disconnection from everyone",
                "verbose_name_plural": "people in a disconnection from everyone",
                "ordering": ["subject"],
            },
        ),
        migrations.AddConstraint(
            model_name="sweep",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status__in", ["listing", "running"])),
                fields=("client_id",),
                name="connected_apps_one_active_sweep_per_client",
            ),
        ),
        migrations.AddIndex(
            model_name="sweepitem",
            index=models.Index(fields=["sweep", "status"], name="connected_apps_sweep_status"),
        ),
        migrations.AddConstraint(
            model_name="sweepitem",
            constraint=models.UniqueConstraint(
                fields=("sweep", "subject"), name="connected_apps_sweep_subject_once"
            ),
        ),
    ]
