"""Admin for users, with the Authlete subject mapping next to the usual fields."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.subjects import subject_for_user


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (
            _("Authlete"),
            {"fields": ("authlete_subject", "effective_subject", "authlete_developer")},
        ),
    )
    list_display = (*DjangoUserAdmin.list_display, "authlete_subject", "authlete_developer")
    readonly_fields = ("effective_subject",)
    search_fields = (*DjangoUserAdmin.search_fields, "authlete_subject", "authlete_developer")

    @admin.display(description=_("Effective subject"))
    def effective_subject(self, obj: User) -> str:
        subject = subject_for_user(obj) if obj.pk else None
        if subject is None:
            return _("None: this person sees no connected apps")
        try:
            apps_url = reverse("admin:staff_person_apps", args=[obj.pk])
        except NoReverseMatch:
            return subject
        return format_html('{} · <a href="{}">{}</a>', subject, apps_url, _("Connected apps"))
