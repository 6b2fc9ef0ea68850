"""Admin: the audit trail, read-only. The staff console's pages are in ``connected_apps.staff``."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from connected_apps.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    date_hierarchy = "created_at"
    list_display = [
        "created_at",
        "actor_username",
        "on_behalf",
        "subject",
        "client_name",
        "action",
        "outcome",
        "result_code",
    ]
    list_filter = ["action", "outcome", "on_behalf", "created_at"]
    search_fields = [
        "subject",
        "actor_username",
        "client_name",
        "=client_id",
        "reason",
        "token_hash",
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in self.model._meta.fields]

    # The trail is evidence: nobody adds, edits or deletes rows by hand.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
