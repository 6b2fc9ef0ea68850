"""What stops working when a person takes one permission back, said before they save."""

from __future__ import annotations

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from connected_apps.services.tiers import Tier
from connected_apps.services.types import ConnectedApp, Permission

# The scope that lets an app sign the person in (OpenID Connect): without it, sign-in stops.
_SIGN_IN_SCOPE = "openid"


def if_removed(permission: Permission, app: ConnectedApp) -> str:
    """One sentence: what the app can no longer do once this permission is unchecked."""
    names = {"app": app.name}
    if permission.scope == _SIGN_IN_SCOPE:
        return _("Signing in to %(app)s with your account stops working.") % names
    if permission.tier is Tier.AWAY:
        return _renewal_goes_on(app)
    if permission.tier is Tier.ACT:
        return _("%(app)s can no longer do this for you.") % names
    return _("%(app)s can no longer see this.") % names


def _renewal_goes_on(app: ConnectedApp) -> str:
    # Unchecking it does not end every renewal: a sign-in whose renewal does not carry this
    # permission keeps renewing until its own end date, so the latest one is the honest bound.
    if app.renewal is None:
        return _("%(app)s can no longer keep access while you are not using it.") % {
            "app": app.name
        }
    if app.renewal.until is None:
        return _(
            "%(app)s may still keep renewing the access it has, with no end date. To stop "
            "that now, disconnect it."
        ) % {"app": app.name}
    return _(
        "%(app)s may still keep renewing the access it has until %(date)s. To stop that "
        "now, disconnect it."
    ) % {"app": app.name, "date": date_format(app.renewal.until, "DATE_FORMAT")}
