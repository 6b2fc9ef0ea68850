"""People for the page tests: demo subjects as portal users, signed in through the test client."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from authlete_sandbox import seed as demo


@pytest.fixture
def make_user(django_user_model: Any):
    def make(username: str, *, subject: str = "", staff: bool = False) -> Any:
        return django_user_model.objects.create_user(
            username=username,
            email=f"{username}@example.com",
            password="correct horse battery staple",
            authlete_subject=subject,
            is_staff=staff,
        )

    return make


@pytest.fixture
def john(make_user: Any) -> Any:
    return make_user("john")


@pytest.fixture
def john_client(john: Any) -> Client:
    client = Client()
    client.force_login(john)
    return client


@pytest.fixture
def alice_client(make_user: Any) -> Client:
    client = Client()
    client.force_login(make_user("alice"))
    return client


@pytest.fixture
def support_client(make_user: Any) -> Client:
    """A staff member with the permission to act on anyone's connected apps."""
    staff = make_user("support", staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="manage_connected_apps"))
    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture
def johns_apps() -> list[int]:
    return list(demo.DEMO_GRANTS["john"])


@pytest.fixture
def issued(sandbox: Any) -> dict[str, Any]:
    """A fresh token of John for Inkwell Notes with three scopes, beside his demo tokens."""
    return sandbox.authorize(
        clientId=demo.INKWELL_NOTES,
        subject=demo.SUBJECT_JOHN,
        scopes=["openid", "profile", "email"],
        accessTokenDuration=3600,
    )
