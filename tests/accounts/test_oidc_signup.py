"""Signing up and in through the OpenID Connect provider pins a person's subject to its `sub`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import SESSION_KEY
from django.test import Client

from tests.accounts.conftest import PASSWORD
from tests.oidc_provider import OidcProvider, running_oidc_provider, sign_in_through

pytestmark = pytest.mark.django_db

NOT_LINKED = "linked to an identity yet"
ALICES_OWN_APP = "Sprout Garden Journal"  # among the sandbox's grants for subject "alice" only


@pytest.fixture(scope="module")
def provider_server() -> Iterator[OidcProvider]:
    with running_oidc_provider() as provider:
        yield provider


@pytest.fixture
def provider(provider_server: OidcProvider, settings: Any, sandbox: Any) -> OidcProvider:
    sign_in_through(provider_server, settings)
    return provider_server


def _sign_in_at_provider(client: Client, settings: Any, sub: str, process: str = "login") -> Any:
    """Start single sign-on on the portal, sign in as ``sub`` at the provider, come back."""
    start = client.post(f"/accounts/oidc/{settings.OIDC_PROVIDER_ID}/login/?process={process}")
    assert start.status_code == 302, start.content
    consent = requests.post(start["Location"], data={"sub": sub}, allow_redirects=False, timeout=10)
    assert consent.status_code == 302, consent.text
    callback = urlsplit(consent.headers["Location"])
    assert callback.path == f"/accounts/oidc/{settings.OIDC_PROVIDER_ID}/login/callback/"
    return client.get(f"{callback.path}?{callback.query}")


def _unlink(client: Client, user: Any) -> None:
    """Set a password, as a person must before unlinking, then unlink single sign-on."""
    client.post("/accounts/password/set/", {"password1": PASSWORD, "password2": PASSWORD})
    account = SocialAccount.objects.get(user=user)
    response = client.post("/accounts/3rdparty/", {"account": account.pk})
    assert response.status_code == 302
    assert not SocialAccount.objects.filter(user=user).exists()


def _apps_page(client: Client) -> str:
    return client.get("/apps/").content.decode()


def test_a_generated_username_never_names_a_subject_after_unlinking(
    client: Client, provider: OidcProvider, settings: Any, django_user_model: Any
):
    # The provider suggests "alice" as a username; at the portal that is alice's subject.
    provider.add_person("mallory", email="mallory@example.com", preferred_username="alice")
    response = _sign_in_at_provider(client, settings, "mallory")
    assert response.status_code == 302 and response["Location"] == "/apps/"
    mallory = django_user_model.objects.get(pk=client.session[SESSION_KEY])
    assert mallory.username == "alice"
    assert "No apps are connected to your account" in _apps_page(client)

    _unlink(client, mallory)
    html = _apps_page(client)
    assert NOT_LINKED in html
    assert ALICES_OWN_APP not in html


def test_a_username_typed_at_sign_up_never_names_a_subject_after_unlinking(
    client: Client, provider: OidcProvider, settings: Any, django_user_model: Any
):
    # Without an address from the provider, allauth asks for one and lets the person pick a
    # username on its sign-up form.
    provider.add_person("mallory-2", preferred_username="")
    response = _sign_in_at_provider(client, settings, "mallory-2")
    assert response.status_code == 302 and response["Location"] == "/accounts/3rdparty/signup/"
    response = client.post(
        "/accounts/3rdparty/signup/", {"username": "alice", "email": "m2@example.com"}
    )
    assert response.status_code == 302
    mallory = django_user_model.objects.get(username="alice")
    assert SocialAccount.objects.get(user=mallory).uid == "mallory-2"

    _unlink(client, mallory)
    html = _apps_page(client)
    assert NOT_LINKED in html
    assert ALICES_OWN_APP not in html


def test_someone_linked_before_is_pinned_when_they_sign_in_again(
    client: Client, provider: OidcProvider, settings: Any, django_user_model: Any
):
    # An account linked to the provider but not yet pinned, as a person who signed up before
    # the portal recorded it. Signing in again through the provider pins it.
    alice = django_user_model.objects.create_user("alice", email="alice@example.com")
    SocialAccount.objects.create(user=alice, provider=settings.OIDC_PROVIDER_ID, uid="mallory-3")
    provider.add_person("mallory-3", email="alice@example.com")
    response = _sign_in_at_provider(client, settings, "mallory-3")
    assert response.status_code == 302 and client.session[SESSION_KEY] == str(alice.pk)

    _unlink(client, alice)
    html = _apps_page(client)
    assert NOT_LINKED in html
    assert ALICES_OWN_APP not in html
