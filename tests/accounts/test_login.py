"""Signing in and out, closed sign-up, and the account pages in the site layout."""

from __future__ import annotations

import re
from typing import Any

import pytest
from allauth.account.adapter import get_adapter
from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from allauth.socialaccount.models import SocialAccount, SocialLogin
from django.contrib.auth import SESSION_KEY
from django.test import Client, RequestFactory
from django.urls import reverse

from tests.accounts.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _oidc_app(provider_id: str) -> dict[str, Any]:
    return {
        "APPS": [
            {
                "provider_id": provider_id,
                "name": "Acme ID",
                "client_id": "portal",
                "secret": "not-used",
                "settings": {"server_url": "https://id.example.com"},
            }
        ]
    }


def _sign_in(client: Client, login: str, password: str) -> Any:
    return client.post(reverse("account_login"), {"login": login, "password": password})


def test_signing_in_with_the_username_lands_on_the_connected_apps(client: Client, john: Any):
    response = _sign_in(client, "john", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("connected_apps:list") == "/apps/"
    assert client.session[SESSION_KEY] == str(john.pk)


def test_signing_in_with_the_email_address_works_too(client: Client, john: Any):
    response = _sign_in(client, "john@example.com", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/apps/"
    assert client.session[SESSION_KEY] == str(john.pk)


def test_a_wrong_password_shows_an_error_and_signs_nobody_in(client: Client, john: Any):
    response = _sign_in(client, "john", "not the password")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="alert alert--error" role="alert"' in html
    assert "not correct" in html
    assert SESSION_KEY not in client.session


def test_signup_is_closed_by_default_so_nobody_can_claim_a_subject(client: Client, john: Any):
    response = client.get(reverse("account_signup"))
    assert "Sign Up Closed" in response.content.decode()

    # A stranger picking a name that is someone's subject must not get an account with it.
    client.post(
        reverse("account_signup"),
        {
            "username": "alice",
            "email": "alice@example.com",
            "password1": "a long unusual passphrase",
            "password2": "a long unusual passphrase",
        },
    )
    assert not type(john).objects.filter(username="alice").exists()
    assert SESSION_KEY not in client.session


def test_signup_opens_when_the_deployment_allows_it(client: Client, settings: Any):
    settings.PORTAL_ALLOW_SIGNUP = True
    response = client.get(reverse("account_signup"))
    assert response.status_code == 200
    assert "Sign Up Closed" not in response.content.decode()
    assert 'name="username"' in response.content.decode()


def _social_signup_allowed(provider: str, django_user_model: Any) -> bool:
    request = RequestFactory().get("/")
    sociallogin = SocialLogin(
        user=django_user_model(), account=SocialAccount(provider=provider, uid="sub-1")
    )
    return get_social_adapter(request).is_open_for_signup(request, sociallogin)


def test_signup_through_the_authorization_server_stays_open(django_user_model: Any, settings: Any):
    assert not get_adapter().is_open_for_signup(RequestFactory().get("/"))
    assert _social_signup_allowed(settings.OIDC_PROVIDER_ID, django_user_model)


def test_signup_through_any_other_provider_follows_the_local_rule(
    django_user_model: Any, settings: Any
):
    assert not _social_signup_allowed("elsewhere", django_user_model)
    settings.PORTAL_ALLOW_SIGNUP = True
    assert _social_signup_allowed("elsewhere", django_user_model)


def test_signing_out_needs_a_post(client: Client, john: Any):
    client.force_login(john)
    page = client.get(reverse("account_logout"))
    assert page.status_code == 200
    assert client.session[SESSION_KEY] == str(john.pk)

    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert SESSION_KEY not in client.session


def test_the_header_signs_out_with_a_post_form_carrying_the_csrf_token(client: Client, john: Any):
    client.force_login(john)
    html = client.get(reverse("mfa_index")).content.decode()
    form = re.search(r'<form[^>]*action="/accounts/logout/"[^>]*>(.*?)</form>', html, re.S)
    assert form is not None
    assert 'method="post"' in form.group(0)
    assert 'name="csrfmiddlewaretoken"' in form.group(1)


def test_the_login_page_uses_our_layout_without_inline_script_or_style(client: Client):
    response = client.get(reverse("account_login"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "/static/css/portal.css" in html
    assert "/static/js/portal.js" in html
    assert '<main id="main"' in html
    assert "Sign in to manage the apps connected to your account" in html
    assert reverse("account_reset_password") in html
    # Our CSP allows no inline code: every <script> loads a file, and nothing is styled inline.
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert "<style" not in html
    assert "style=" not in html
    assert 'name="htmx-config"' in html


def test_the_login_page_offers_the_authorization_server_when_configured(
    client: Client, settings: Any
):
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": _oidc_app(settings.OIDC_PROVIDER_ID)}
    html = client.get(reverse("account_login")).content.decode()
    assert "Continue with Acme ID" in html
    # A POST form, so the sign-in starts without allauth's extra confirmation page.
    assert f'method="post" action="/accounts/oidc/{settings.OIDC_PROVIDER_ID}/login/' in html


def test_without_a_provider_the_login_page_offers_only_the_password(client: Client):
    html = client.get(reverse("account_login")).content.decode()
    assert "Continue with" not in html


def test_the_password_reset_page_renders_in_our_layout(client: Client):
    response = client.get(reverse("account_reset_password"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "/static/css/portal.css" in html
    assert 'name="email"' in html


def test_the_two_factor_page_needs_a_signed_in_person(client: Client, john: Any):
    response = client.get(reverse("mfa_index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))

    client.force_login(john)
    response = client.get(reverse("mfa_index"))
    assert response.status_code == 200
    assert "Two-factor authentication" in response.content.decode()
