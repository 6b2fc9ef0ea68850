"""Admin for users, with the Authlete subject mapping next to the usual fields.

A mapping decides whose grants an account sees, so every change to it, and every one refused,
goes on the audit trail of the subject it would show.
"""

from __future__ import annotations

from typing import Any

from allauth.socialaccount.models import SocialAccount
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.subjects import subject_for_user
from connected_apps.models import AuditEvent
from connected_apps.services.audit import Actor, audit_event_record, audit_refusal, storable
from connected_apps.views.common import actor_for

# Who may point an account at an Authlete subject or developer name: the same people who may act
# on anyone's connected apps, since the mapping decides whose grants the account sees.
MAPPING_PERMISSION = "connected_apps.manage_connected_apps"
MAPPING_FIELDS = ("authlete_subject", "authlete_developer")


class _UserChangeForm(UserChangeForm):
    # Who is editing, set by the admin for each request, so a refused mapping is attributed.
    editor: Actor | None = None

    def clean_authlete_subject(self) -> str:
        subject = (self.cleaned_data.get("authlete_subject") or "").strip()
        if subject and _subject_taken(subject, self.instance):
            raise forms.ValidationError(
                _("This subject already belongs to another account."), code="subject_taken"
            )
        return subject

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        refused = [field for field in MAPPING_FIELDS if self.has_error(field)]
        if refused and self.editor is not None:
            wanted = {
                field: storable(str(self.data.get(field, ""))[:255]) for field in MAPPING_FIELDS
            }
            audit_refusal(
                actor=self.editor,
                action=AuditEvent.Action.MAPPING_CHANGE,
                refusal=AuditEvent.Refusal.INVALID,
                subject=wanted["authlete_subject"].strip() or subject_for_user(self.instance) or "",
                **_mapping_values(self.instance, wanted),
                note=f"Account {self.instance.get_username()}: "
                + "; ".join(f"{field}: {', '.join(self.errors[field])}" for field in refused),
            )
        return cleaned


def _mapping_values(user: Any, wanted: dict[str, str]) -> dict[str, dict[str, str]]:
    """The account's mapping before and after a change, for the trail."""
    before = {field: getattr(user, field) for field in MAPPING_FIELDS}
    return {"values_before": before, "values_after": {"username": user.get_username(), **wanted}}


def _subject_taken(subject: str, user: Any) -> bool:
    """Whether another account already sees this subject's grants, by any rule that maps one."""
    others = User.objects.exclude(pk=user.pk)
    if others.filter(authlete_subject=subject).exists():
        return True
    oidc = SocialAccount.objects.filter(provider=settings.OIDC_PROVIDER_ID, uid=subject)
    if oidc.exclude(user=user).exists():
        return True
    attribute = settings.PORTAL_SUBJECT_ATTRIBUTE
    return attribute == "username" and others.filter(username=subject).exists()


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = _UserChangeForm
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (
            _("Authlete"),
            {"fields": ("authlete_subject", "effective_subject", "authlete_developer")},
        ),
    )
    list_display = (*DjangoUserAdmin.list_display, "authlete_subject", "authlete_developer")
    readonly_fields = ("effective_subject",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # Never on your own account: that would let anyone with this page act as anyone,
        # unattributed. Every change stays in the admin's history of the user.
        fields = tuple(super().get_readonly_fields(request, obj))
        own = obj is not None and obj.pk == request.user.pk
        if own or not request.user.has_perm(MAPPING_PERMISSION):
            fields += MAPPING_FIELDS
        return fields

    def get_form(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, **kwargs)
        editor = actor_for(request, staff_reason="")
        return type(form.__name__, (form,), {"editor": editor})

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        changed = [field for field in MAPPING_FIELDS if field in form.changed_data]
        if not change or not changed:
            super().save_model(request, obj, form, change)
            return
        # The instance already holds the new values; the form's initial data the old ones.
        before = {field: form.initial.get(field, "") for field in MAPPING_FIELDS}
        super().save_model(request, obj, form, change)
        audit_event_record(
            actor=actor_for(request, staff_reason=""),
            subject=subject_for_user(obj) or "",
            client_id=0,
            client_name="",
            action=AuditEvent.Action.MAPPING_CHANGE,
            outcome=AuditEvent.Outcome.SUCCESS,
            values_before=before,
            values_after={
                "username": obj.get_username(),
                **{field: getattr(obj, field) for field in MAPPING_FIELDS},
            },
        )

    search_fields = (*DjangoUserAdmin.search_fields, "authlete_subject", "authlete_developer")

    @admin.display(description=_("Effective subject"))
    def effective_subject(self, obj: User) -> str:
        subject = subject_for_user(obj) if obj.pk else None
        if subject is None:
            return _("None: this person sees no connected apps")
        try:
            apps_url = reverse("admin:staff_subject", args=[subject])
        except NoReverseMatch:
            return subject
        return format_html('{} · <a href="{}">{}</a>', subject, apps_url, _("Connected apps"))
