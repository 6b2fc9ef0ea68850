"""Who may point an account at an Authlete subject: only those who may act on anyone's apps,
never on their own account, never to a subject another account already has."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _staff(make_user: Any, name: str, *codenames: str) -> tuple[Any, Client]:
    user = make_user(name, staff=True)
    for codename in codenames:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    client = Client()
    client.force_login(user)
    return user, client


def _change(client: Client, user: Any, **mapping: str) -> Any:
    data = {
        "username": user.username,
        "email": user.email,
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "authlete_subject": "",
        "authlete_developer": "",
        **mapping,
    }
    return client.post(reverse("admin:accounts_user_change", args=[user.pk]), data)


def test_staff_who_may_only_edit_users_cannot_map_themselves_to_someone(make_user, john):
    intern, client = _staff(make_user, "intern", "change_user", "view_user")
    _change(client, intern, authlete_subject="john")
    intern.refresh_from_db()
    assert intern.authlete_subject == ""


def test_nobody_maps_their_own_account(make_user):
    support, client = _staff(make_user, "lead", "change_user", "view_user", "manage_connected_apps")
    _change(client, support, authlete_subject="fresh-subject")
    support.refresh_from_db()
    assert support.authlete_subject == ""


def test_a_subject_another_account_has_is_refused(make_user, john):
    _, client = _staff(make_user, "lead", "change_user", "view_user", "manage_connected_apps")
    alice = make_user("alice")
    response = _change(client, alice, authlete_subject="john")
    assert response.status_code == 200
    assert "already belongs to another account" in response.content.decode()
    alice.refresh_from_db()
    assert alice.authlete_subject == ""


def test_support_maps_someone_else_and_the_change_is_on_record(make_user):
    _, client = _staff(make_user, "lead", "change_user", "view_user", "manage_connected_apps")
    alice = make_user("alice")
    response = _change(client, alice, authlete_subject="urn:acme:alice")
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.authlete_subject == "urn:acme:alice"
    entry = LogEntry.objects.get(object_id=str(alice.pk))
    assert "Authlete subject" in entry.get_change_message()
