"""Whose Authlete grants a person sees: the precedence of subject_for_user."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth.models import AnonymousUser

from accounts.subjects import pin_subject_to_provider, subject_for_user

pytestmark = pytest.mark.django_db


def _link(user: Any, provider: str, uid: str) -> None:
    SocialAccount.objects.create(user=user, provider=provider, uid=uid)


def test_an_admin_set_override_wins_over_everything(john: Any, settings: Any):
    _link(john, settings.OIDC_PROVIDER_ID, "oidc-sub-123")
    john.authlete_subject = "urn:acme:user/42"
    john.save()
    assert subject_for_user(john) == "urn:acme:user/42"


def test_the_oidc_sub_wins_over_the_username(john: Any, settings: Any):
    _link(john, settings.OIDC_PROVIDER_ID, "oidc-sub-123")
    assert subject_for_user(john) == "oidc-sub-123"


def test_a_social_account_at_another_provider_is_ignored(john: Any, settings: Any):
    _link(john, "someone-else", "other-sub")
    assert subject_for_user(john) == "john"


def test_the_provider_id_comes_from_settings(john: Any, settings: Any):
    settings.OIDC_PROVIDER_ID = "corporate"
    _link(john, "corporate", "corp-sub")
    assert subject_for_user(john) == "corp-sub"


def test_once_signed_in_through_the_provider_the_username_never_names_the_subject(
    john: Any, settings: Any
):
    # Signing in through the provider pins the person; then the account is unlinked.
    _link(john, settings.OIDC_PROVIDER_ID, "oidc-sub-123")
    pin_subject_to_provider(john)
    SocialAccount.objects.filter(user=john).delete()
    john.refresh_from_db()
    assert subject_for_user(john) is None


def test_an_unlinked_person_gets_a_subject_again_when_staff_map_them(john: Any):
    pin_subject_to_provider(john)
    john.refresh_from_db()
    john.authlete_subject = "urn:acme:user/42"
    john.save()
    assert subject_for_user(john) == "urn:acme:user/42"


def test_without_override_or_sub_the_username_is_the_subject(john: Any):
    assert subject_for_user(john) == "john"


def test_the_attribute_used_is_configurable(john: Any, settings: Any):
    settings.PORTAL_SUBJECT_ATTRIBUTE = "email"
    EmailAddress.objects.create(user=john, email=john.email, primary=True, verified=True)
    assert subject_for_user(john) == "john@example.com"


def test_an_unverified_address_never_names_a_subject(john: Any, settings: Any):
    # Someone adds another person's address and makes it primary: it proves nothing.
    settings.PORTAL_SUBJECT_ATTRIBUTE = "email"
    EmailAddress.objects.create(user=john, email="victim@example.com", primary=True)
    john.email = "victim@example.com"
    john.save()
    assert subject_for_user(john) is None


def test_an_address_two_accounts_verified_names_no_subject(
    john: Any, settings: Any, django_user_model: Any
):
    settings.PORTAL_SUBJECT_ATTRIBUTE = "email"
    EmailAddress.objects.create(user=john, email=john.email, primary=True, verified=True)
    twin = django_user_model.objects.create_user("twin", email=john.email.upper())
    EmailAddress.objects.create(user=twin, email=twin.email, primary=True, verified=True)
    assert subject_for_user(john) is None and subject_for_user(twin) is None


def test_an_empty_configured_attribute_gives_no_subject(john: Any, settings: Any):
    settings.PORTAL_SUBJECT_ATTRIBUTE = "first_name"
    assert john.first_name == ""
    assert subject_for_user(john) is None


def test_a_blank_override_counts_as_unset(john: Any):
    john.authlete_subject = "   "
    john.save()
    assert subject_for_user(john) == "john"


def test_anonymous_people_have_no_subject():
    assert subject_for_user(AnonymousUser()) is None
