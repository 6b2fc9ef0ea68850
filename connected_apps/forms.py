"""Forms of the connected-apps pages: every choice offered comes from what the app holds now."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.core.validators import URLValidator, validate_email
from django.forms.boundfield import BoundWidget
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from connected_apps import authlete
from connected_apps.services.consequences import if_removed
from connected_apps.services.rules import (
    NarrowingProblem,
    narrowing_problem,
    token_expiry_allowed,
    token_max_expiry,
)
from connected_apps.services.tiers import by_consequence
from connected_apps.services.types import ConnectedApp, Permission


def error_codes(form: forms.Form) -> str:
    """Why a form was refused, as field and error codes: for the audit trail, not for people."""
    return "; ".join(
        f"{field}: {', '.join(error.code or 'invalid' for error in errors)}"
        for field, errors in form.errors.as_data().items()
    )


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
        # The weightiest first, as on the app's page: what matters most is read first.
        self.permissions = by_consequence(app.permissions)
        self.fields["keep"].choices = [(p.scope, p.description) for p in self.permissions]

    def rows(self) -> list[tuple[BoundWidget, Permission, str]]:
        """Each checkbox with its permission and what stops working if it is unchecked."""
        return [
            (checkbox, permission, if_removed(permission, self.app))
            for checkbox, permission in zip(self["keep"], self.permissions, strict=True)
        ]

    @property
    def unchecked_everything(self) -> bool:
        return self.is_bound and self.has_error("keep", code="nothing_kept")

    def clean_keep(self) -> list[str]:
        # A scope the app does not hold never gets here: it is not one of the field's choices.
        keep = self.cleaned_data["keep"]
        problem = narrowing_problem(self.app.scopes, keep)
        if problem == NarrowingProblem.NOTHING_KEPT:
            raise forms.ValidationError(
                _(
                    "You unchecked every permission. To take all access away, "
                    "disconnect the app instead."
                ),
                code=problem,
            )
        if problem == NarrowingProblem.NOTHING_REMOVED:
            raise forms.ValidationError(
                _("Nothing to remove: uncheck the permissions you want to take back."),
                code=problem,
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


# --- Staff tools for one token ------------------------------------------------------------------


class TokenNarrowForm(forms.Form):
    """Keep some of one token's scopes; only scopes that token holds are valid choices."""

    # One page form holds every token tool; a required field would block the other buttons.
    use_required_attribute = False

    keep = forms.MultipleChoiceField(
        label=_("Scopes to keep"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": _("“%(value)s” is not a scope of this token, so it cannot be kept."),
        },
    )

    def __init__(self, *args: Any, token: authlete.TokenInfo, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"keep": list(token.scopes)})
        super().__init__(*args, **kwargs)
        self.token = token
        self.fields["keep"].choices = [(scope, scope) for scope in token.scopes]

    def clean_keep(self) -> list[str]:
        keep = self.cleaned_data["keep"]
        problem = narrowing_problem(self.token.scopes, keep)
        if problem == NarrowingProblem.NOTHING_KEPT:
            raise forms.ValidationError(
                _("Keep at least one scope; to end the token, delete it instead.")
            )
        if problem == NarrowingProblem.NOTHING_REMOVED:
            raise forms.ValidationError(_("Nothing to remove: uncheck the scopes to take back."))
        return keep


class TokenExpiryForm(forms.Form):
    """A new expiry for one token: earlier always, later only up to the configured ceiling."""

    # One page form holds every token tool; a required field would block the other buttons.
    use_required_attribute = False

    expires_at = forms.DateTimeField(
        label=_("Expires at (UTC)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    def __init__(self, *args: Any, token: authlete.TokenInfo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.token = token
        self.ceiling = token_max_expiry(token.created_at)

    def clean_expires_at(self) -> datetime:
        when = self.cleaned_data["expires_at"]
        if when <= timezone.now():
            raise forms.ValidationError(
                _("Choose a time in the future; to end the token now, delete it instead.")
            )
        if not token_expiry_allowed(
            self.token.access_token_expires_at, self.token.created_at, when
        ):
            raise forms.ValidationError(
                _("A token may not be extended past %(ceiling)s."),
                params={"ceiling": date_format(self.ceiling, "DATETIME_FORMAT")},
            )
        return when


class TokenPropertiesForm(forms.Form):
    """Remove some of one token's custom properties and set one, with its hidden flag."""

    # One page form holds every token tool; a required field would block the other buttons.
    use_required_attribute = False

    remove = forms.MultipleChoiceField(
        label=_("Properties to remove"), required=False, widget=forms.CheckboxSelectMultiple
    )
    key = forms.CharField(label=_("Key"), required=False, max_length=100)
    value = forms.CharField(label=_("Value"), required=False, max_length=1000)
    hidden = forms.BooleanField(
        label=_("Hidden (not shown to the app in token responses)"), required=False
    )

    def __init__(self, *args: Any, token: authlete.TokenInfo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.token = token
        self.fields["remove"].choices = [(p.key, p.key) for p in token.properties]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        key = (data.get("key") or "").strip()
        if data.get("value") and not key:
            self.add_error("key", _("Give the property a key."))
        elif not key and not data.get("remove"):
            raise forms.ValidationError(
                _("Nothing to change: set a property or tick one to remove.")
            )
        data["key"] = key
        return data

    def properties(self) -> list[authlete.TokenProperty]:
        """The token's properties after this change."""
        data = self.cleaned_data
        gone = {*data["remove"], data["key"]}
        kept = [p for p in self.token.properties if p.key not in gone]
        if data["key"]:
            kept.append(
                authlete.TokenProperty(key=data["key"], value=data["value"], hidden=data["hidden"])
            )
        return kept


# --- Developer page -----------------------------------------------------------------------------


def _https_url(value: str) -> None:
    if value and not value.lower().startswith("https://"):
        raise forms.ValidationError(_("Use an https:// address."))


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class ClientMetadataForm(forms.Form):
    """The metadata RFC 7592 lets a developer change, checked before Authlete sees it."""

    client_name = forms.CharField(label=_("Name"), max_length=100)
    redirect_uris = forms.CharField(
        label=_("Redirect URIs, one a line"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=10_000,
    )
    logo_uri = forms.URLField(
        label=_("Logo address"), required=False, max_length=2000, validators=[_https_url]
    )
    policy_uri = forms.URLField(
        label=_("Privacy policy address"),
        required=False,
        max_length=2000,
        validators=[_https_url],
    )
    tos_uri = forms.URLField(
        label=_("Terms of service address"),
        required=False,
        max_length=2000,
        validators=[_https_url],
    )
    contacts = forms.CharField(
        label=_("Contact email addresses, one a line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )
    registration_access_token = forms.CharField(
        label=_("Registration access token"),
        help_text=_("The token you received when the client was registered."),
        max_length=1000,
        widget=forms.PasswordInput(render_value=False),
        strip=True,
    )

    def clean_redirect_uris(self) -> list[str]:
        uris = _lines(self.cleaned_data["redirect_uris"])
        if not uris:
            raise forms.ValidationError(_("Give at least one redirect URI."))
        if len(uris) > 20:
            raise forms.ValidationError(_("Give at most 20 redirect URIs."))
        validate = URLValidator(schemes=["https"])
        for uri in uris:
            try:
                validate(uri)
            except forms.ValidationError:
                raise forms.ValidationError(
                    _("“%(uri)s” is not an https:// address."), params={"uri": uri[:200]}
                ) from None
            if "#" in uri:
                raise forms.ValidationError(
                    _("A redirect URI must not have a fragment: “%(uri)s”."),
                    params={"uri": uri[:200]},
                )
        return uris

    def clean_contacts(self) -> list[str]:
        contacts = _lines(self.cleaned_data["contacts"])
        if len(contacts) > 10:
            raise forms.ValidationError(_("Give at most 10 contacts."))
        for contact in contacts:
            validate_email(contact)
        return contacts

    def metadata(self) -> dict[str, object]:
        """The changed RFC 7591 fields; None marks an optional field the developer emptied."""
        data = self.cleaned_data
        return {
            "client_name": data["client_name"],
            "redirect_uris": data["redirect_uris"],
            "logo_uri": data["logo_uri"] or None,
            "policy_uri": data["policy_uri"] or None,
            "tos_uri": data["tos_uri"] or None,
            "contacts": data["contacts"] or None,
        }

    @classmethod
    def initial_for(cls, client: authlete.ClientDetails) -> dict[str, str]:
        return {
            "client_name": client.name,
            "redirect_uris": "\n".join(client.redirect_uris),
            "logo_uri": client.logo_uri,
            "policy_uri": client.policy_uri,
            "tos_uri": client.tos_uri,
            "contacts": "\n".join(client.contacts),
        }


class IncidentStartForm(forms.Form):
    """Disconnecting an app from everyone: why (each person reads it), and whether to lock the
    app first so it gets no new tokens meanwhile."""

    reason = forms.CharField(label=_("Reason (each person reads it)"), max_length=500)
    lock = forms.BooleanField(
        label=_("Lock the app first, so it cannot get new tokens during the disconnection"),
        required=False,
        initial=True,
    )
