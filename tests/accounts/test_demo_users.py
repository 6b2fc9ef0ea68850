"""The demo sign-ins printed by `make demo` exist, work, and can be created again safely."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.test import Client

from accounts.subjects import subject_for_user
from authlete_sandbox import seed as demo

pytestmark = pytest.mark.django_db


def test_seeding_twice_neither_duplicates_nor_fails(django_user_model):
    call_command("seed_demo_users")
    call_command("seed_demo_users")
    assert django_user_model.objects.filter(username="john").count() == 1
    assert EmailAddress.objects.filter(email="john@example.com", verified=True).count() == 1


def test_the_printed_passwords_sign_in_and_map_to_the_sandbox_subjects(django_user_model):
    call_command("seed_demo_users")
    client = Client()
    response = client.post("/accounts/login/", {"login": "john", "password": "demo-john"})
    assert response.status_code == 302
    carol = django_user_model.objects.get(username="carol")
    assert subject_for_user(carol) == demo.SUBJECT_CAROL
