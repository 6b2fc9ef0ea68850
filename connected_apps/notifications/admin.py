"""Admin: the e-mails the portal sent or is still trying to send, read-only, for operators."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from connected_apps.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    date_hierarchy = "created_at"
    list_display = ["created_at", "user", "kind", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["user__username", "user__email"]
    readonly_fields = [
        "user",
        "kind",
        "status",
        "details",
        "created_at",
        "attempts",
        "last_error",
        "next_attempt_at",
        "sent_at",
    ]

    # A record of what people were told: nobody edits or adds one by hand.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
