"""Forms of the connected-apps pages: every choice offered comes from what the app holds now."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from connected_apps.services import ConnectedApp


class NarrowForm(forms.Form):
    """Keep some of an app's permissions. Only scopes the app holds are valid choices."""

    keep = forms.MultipleChoiceField(
        label=_("Permissions to keep"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": _(
                "“%(value)s” is not a permission this app holds, so it cannot be kept or added."
            ),
        },
    )

    def __init__(self, *args: Any, app: ConnectedApp, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"keep": list(app.scopes)})
        super().__init__(*args, **kwargs)
        self.app = app
        self.fields["keep"].choices = [(p.scope, p.description) for p in app.permissions]

    @property
    def unchecked_everything(self) -> bool:
        return self.is_bound and self.has_error("keep", code="nothing_kept")

    def clean_keep(self) -> list[str]:
        keep = self.cleaned_data["keep"]
        if not keep:
            raise forms.ValidationError(
                _(
                    "You unchecked every permission. To take all access away, "
                    "disconnect the app instead."
                ),
                code="nothing_kept",
            )
        if set(keep) == set(self.app.scopes):
            raise forms.ValidationError(
                _("Nothing to remove: uncheck the permissions you want to take back."),
                code="nothing_removed",
            )
        return keep


class StaffReasonForm(forms.Form):
    """Staff acting for someone say why; the person reads it in their activity."""

    reason = forms.CharField(
        label=_("Reason (shown to the person)"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RevokeAllForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand that every app listed here loses access to my account."),
        error_messages={"required": _("Tick the box to confirm that every app should go.")},
    )
