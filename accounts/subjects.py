"""Decide which Authlete subject a signed-in person is: the one place that answers it."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.conf import settings


def subject_for_user(user: Any) -> str | None:
    """Return the Authlete subject whose grants ``user`` may see and manage, or None.

    The first rule that gives a non-empty value wins:

    1. ``user.authlete_subject``, an override an administrator set on purpose;
    2. the ``uid`` of the user's allauth ``SocialAccount`` at ``settings.OIDC_PROVIDER_ID``,
       i.e. the OIDC ``sub`` the authorization server itself issued for this person;
    3. the user attribute named by ``settings.PORTAL_SUBJECT_ATTRIBUTE`` (``username`` by
       default), for deployments where the portal and the server share login names; never for
       someone who signed in through the server (``user.subject_from_provider``).

    Anonymous users, and users for whom every rule gives nothing, have no subject: the
    portal then shows nothing rather than guessing.
    """
    if user is None or not user.is_authenticated:
        return None

    override = (user.authlete_subject or "").strip()
    if override:
        return override

    sub = (
        SocialAccount.objects.filter(user=user, provider=settings.OIDC_PROVIDER_ID)
        .values_list("uid", flat=True)
        .first()
    )
    if sub:
        return sub

    if user.subject_from_provider:
        # Their username was generated or picked when they signed up through the server, so it
        # may be somebody else's subject; once unlinked they wait for a new link or an override.
        return None

    return _attribute(user, settings.PORTAL_SUBJECT_ATTRIBUTE)


def pin_subject_to_provider(user: Any) -> None:
    """Make the authorization server's ``sub`` the only automatic subject ``user`` will have.

    Called whenever someone signs in through the server; a user not saved yet (a sign-up in
    progress) keeps the mark until allauth saves it.
    """
    user.subject_from_provider = True
    if user.pk is not None:
        type(user).objects.filter(pk=user.pk).update(subject_from_provider=True)


def developer_for_user(user: Any) -> str | None:
    """Return the Authlete ``developer`` name whose clients ``user`` may manage, or None.

    1. ``user.authlete_developer``, set by an administrator;
    2. the user attribute named by ``settings.PORTAL_DEVELOPER_ATTRIBUTE`` (empty by default).

    With neither, the person is not a developer: the default trusts nobody, because the
    developer name alone grants editing rights over clients on the developer page.
    """
    if user is None or not user.is_authenticated:
        return None
    override = (getattr(user, "authlete_developer", "") or "").strip()
    if override:
        return override
    return _attribute(user, settings.PORTAL_DEVELOPER_ATTRIBUTE)


def _attribute(user: Any, name: str) -> str | None:
    """The user's attribute ``name`` as a non-empty string, or None (also when ``name`` is "")."""
    if name == "email":
        return _verified_email(user)
    value = getattr(user, name, None) if name else None
    if value is None:
        return None
    return str(value).strip() or None


def _verified_email(user: Any) -> str | None:
    """The user's primary address, only when verified and no other account verified it too.

    Anyone can type someone else's address into their profile; only a verified, unique address
    may name a subject, or a stranger could take over another person's grants.
    """
    address = (
        EmailAddress.objects.filter(user=user, primary=True, verified=True)
        .values_list("email", flat=True)
        .first()
    )
    if not address:
        return None
    shared = EmailAddress.objects.filter(email__iexact=address, verified=True).exclude(user=user)
    return None if shared.exists() else address.strip() or None
