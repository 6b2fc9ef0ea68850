"""The token tools' forms, and how the console words a failed call to Authlete."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from connected_apps import authlete
from connected_apps.forms import (
    TokenExpiryForm,
    TokenNarrowForm,
    TokenPropertiesForm,
)
from connected_apps.services.rules import token_max_expiry, token_ref, token_short_hash
from connected_apps.staff.roles import MANAGE

MANAGE_PERMISSION = MANAGE


@dataclass(frozen=True, slots=True)
class TokenRow:
    """One token of a person for an app, with the staff forms that change it."""

    token: authlete.TokenInfo
    ref: str
    short_hash: str
    max_expiry: datetime
    narrow_form: TokenNarrowForm
    expiry_form: TokenExpiryForm
    properties_form: TokenPropertiesForm


def token_row(token: authlete.TokenInfo) -> TokenRow:
    prefix = token_form_prefix(token.access_token_hash)
    return TokenRow(
        token=token,
        ref=token_ref(token.access_token_hash),
        short_hash=token_short_hash(token.access_token_hash),
        max_expiry=token_max_expiry(token.created_at),
        narrow_form=TokenNarrowForm(token=token, prefix=prefix),
        expiry_form=TokenExpiryForm(token=token, prefix=prefix),
        properties_form=TokenPropertiesForm(token=token, prefix=prefix),
    )


def authlete_trouble(exc: authlete.AuthleteError) -> str:
    return _("Authlete could not be reached or refused the call: %(error)s") % {"error": exc}


def token_form_prefix(access_token_hash: str) -> str:
    return f"tok-{token_ref(access_token_hash)}"
