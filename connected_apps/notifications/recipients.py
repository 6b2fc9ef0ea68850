"""Who hears about a subject's changes: the people whose portal account maps to that subject."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q

from accounts.subjects import subject_for_user


def people_with_subject(subject: str) -> list[Any]:
    """Active accounts with an e-mail address whose subject is ``subject``, by the same rules
    as every page (``subject_for_user``): the query only narrows the candidates down."""
    if not subject:
        return []
    user_model = get_user_model()
    wanted = Q(authlete_subject=subject) | Q(
        socialaccount__provider=settings.OIDC_PROVIDER_ID, socialaccount__uid=subject
    )
    attribute = settings.PORTAL_SUBJECT_ATTRIBUTE
    if attribute == "email":
        wanted |= Q(emailaddress__email__iexact=subject)
    elif attribute in {field.attname for field in user_model._meta.concrete_fields}:
        wanted |= Q(**{attribute: subject})
    candidates = user_model.objects.filter(wanted, is_active=True).distinct().order_by("pk")
    return [user for user in candidates if address_for(user) and subject_for_user(user) == subject]


def address_for(user: Any) -> str:
    """Where to write: a verified address first (the primary, else the oldest), the account's
    own address only when none is verified. Someone using the account cannot then silence the
    warning by making an address of their own the primary one before acting."""
    verified = EmailAddress.objects.filter(user=user, verified=True).order_by("-primary", "pk")
    return verified.values_list("email", flat=True).first() or user.email or ""


def wants_access_removed_mail(user: Any) -> bool:
    """Whether the person keeps the e-mail about apps losing access (on unless turned off)."""
    from connected_apps.notifications.models import NotificationPreference

    preference = NotificationPreference.objects.filter(user=user).first()
    return preference is None or preference.access_removed
