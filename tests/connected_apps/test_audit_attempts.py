"""The audit trail records every attempt, refused ones included, cannot be flooded, and on
PostgreSQL cannot be changed even by SQL sent straight to the database."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse

from authlete_sandbox import seed as demo
from connected_apps.models import AuditEvent, ConfirmedDeveloper
from connected_apps.services.bylines import developer_confirm
from connected_apps.services.limits import seconds_until_next_minute

pytestmark = pytest.mark.django_db

NOTES = demo.INKWELL_NOTES
METADATA = {
    "client_name": "Registered Reader",
    "redirect_uris": ["https://reader.example/cb"],
    "grant_types": ["authorization_code"],
    "response_types": ["code"],
}


@pytest.fixture(autouse=True)
def _one_clock_minute() -> None:
    """Limits count per clock minute: start a test well inside one, so it never straddles two."""
    if seconds_until_next_minute() < 15:
        time.sleep(seconds_until_next_minute() + 0.1)


def _refused() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(outcome=AuditEvent.Outcome.REFUSED).order_by("id"))


# --- A person's own refused attempts -----------------------------------------------------------


@pytest.mark.parametrize(
    ("keep", "why"),
    [
        (["files.admin"], "invalid_choice"),  # a scope the app never held: a tampered form
        ([], "nothing_kept"),
    ],
)
def test_a_narrowing_the_form_refuses_is_recorded(john, john_client, sandbox, keep, why):
    response = john_client.post(reverse("connected_apps:narrow", args=[NOTES]), {"keep": keep})
    assert response.status_code == 400
    (event,) = _refused()
    assert (event.action, event.refusal) == ("narrow", "invalid")
    assert (event.actor, event.subject, event.client_id) == (john, "john", NOTES)
    assert event.scopes_after == keep and why in event.detail
    assert sandbox.writes() == []


def test_a_narrowing_made_of_characters_no_database_keeps_is_still_recorded(john_client, sandbox):
    # PostgreSQL refuses NUL in text and JSON; the row keeps a replacement character instead.
    response = john_client.post(reverse("connected_apps:narrow", args=[NOTES]), {"keep": ["e\x00"]})
    assert response.status_code == 400
    (event,) = _refused()
    assert event.scopes_after == ["e\ufffd"]


def test_asking_for_an_app_that_is_not_yours_is_recorded_as_a_probe(
    make_user, alice_client, sandbox, johns_apps
):
    theirs = next(c for c in johns_apps if c not in sandbox.authorized_client_ids("alice"))
    assert alice_client.get(reverse("connected_apps:detail", args=[theirs])).status_code == 404
    (event,) = _refused()
    assert (event.action, event.refusal) == ("probe", "not_yours")
    assert (event.actor_username, event.subject, event.client_id) == ("alice", "alice", theirs)
    assert event.detail == f"GET /apps/{theirs}/"
    assert not AuditEvent.objects.filter(subject="john").exists()


def test_a_token_reference_that_matches_nothing_is_recorded_as_a_probe(john, john_client, sandbox):
    url = reverse("connected_apps:token_end", args=[NOTES, "A" * 43])
    assert john_client.post(url).status_code == 404
    (event,) = _refused()
    assert (event.action, event.actor, event.subject) == ("probe", john, "john")
    assert (event.client_id, event.token_hash) == (NOTES, "A" * 43)


def test_a_change_refused_as_too_many_is_recorded(settings, john, john_client, sandbox):
    settings.PORTAL_WRITES_PER_MINUTE = 1
    url = reverse("connected_apps:revoke", args=[NOTES])
    john_client.post(reverse("connected_apps:revoke_all"), {})  # the one change allowed
    assert john_client.post(url).status_code == 429
    (event,) = _refused()
    assert (event.action, event.refusal, event.actor) == ("revoke", "too_many", john)
    assert (event.subject, event.client_id) == ("john", NOTES)


def test_a_person_reads_their_refused_attempts_in_plain_words(john_client, sandbox):
    john_client.post(reverse("connected_apps:narrow", args=[NOTES]), {"keep": []})
    john_client.get(reverse("connected_apps:detail", args=[999]))
    html = john_client.get(reverse("connected_apps:activity")).content.decode()
    assert "You tried to remove permissions of Inkwell Notes" in html
    assert "Refused — nothing changed" in html and "Why: Not a valid change" in html
    assert "You asked for App 999, which is not connected to your account" in html


# --- Flooding ------------------------------------------------------------------------------------


def test_refused_attempts_beyond_the_cap_leave_one_row_saying_more_followed(
    settings, john_client, sandbox
):
    settings.PORTAL_AUDIT_REFUSALS_PER_MINUTE = 3
    for client_id in range(901, 908):
        assert (
            john_client.get(reverse("connected_apps:detail", args=[client_id])).status_code == 404
        )
    rows = _refused()
    assert [e.action for e in rows] == ["probe", "probe", "probe", "unrecorded"]
    assert [e.client_id for e in rows] == [901, 902, 903, 904]
    assert "not recorded one by one" in rows[-1].detail
    html = john_client.get(reverse("connected_apps:activity")).content.decode()
    assert "More refused attempts followed within a minute" in html


def test_the_cap_counts_each_person_apart(settings, john_client, alice_client, sandbox):
    settings.PORTAL_AUDIT_REFUSALS_PER_MINUTE = 1
    for client in (john_client, john_client, alice_client):
        client.get(reverse("connected_apps:detail", args=[999]))
    rows = {(e.actor_username, e.action) for e in _refused()}
    assert rows == {("john", "probe"), ("john", "unrecorded"), ("alice", "probe")}


# --- Staff ---------------------------------------------------------------------------------------


def test_a_staff_change_without_a_reason_is_recorded(support_client, john, john_client, sandbox):
    url = reverse("admin:staff_app_revoke", args=[john.username, NOTES])
    support_client.post(url, {"reason": ""})
    (event,) = _refused()
    assert (event.action, event.refusal) == ("revoke", "no_reason")
    assert (event.actor_username, event.on_behalf, event.subject) == ("support", True, "john")
    activity = john_client.get(reverse("connected_apps:activity")).content.decode()
    assert "Support tried to disconnect" in activity and "No reason given" in activity


def test_a_staff_change_the_form_refuses_is_recorded_with_its_reason(support_client, john, sandbox):
    url = reverse("admin:staff_app_narrow", args=[john.username, NOTES])
    support_client.post(url, {"keep": ["files.admin"], "reason": "Asked by phone"})
    (event,) = _refused()
    assert (event.action, event.refusal, event.reason) == ("narrow", "invalid", "Asked by phone")
    assert event.scopes_after == ["files.admin"] and "invalid_choice" in event.detail
    assert sandbox.writes() == []


def test_a_staff_token_tool_on_someone_elses_token_is_recorded_as_a_probe(
    support_client, john, sandbox
):
    alices = sandbox.authorize(clientId=NOTES, subject="alice", scopes=["openid"])
    url = reverse(
        "admin:staff_token_delete", args=[john.username, NOTES, alices["accessTokenHash"]]
    )
    assert support_client.post(url, {"reason": "x"}).status_code == 404
    (event,) = _refused()
    assert (event.action, event.actor_username, event.subject) == ("probe", "support", "john")
    assert event.token_hash == alices["accessTokenHash"]
    assert event.on_behalf and event.reason == "x"


# --- Mapping an account in the admin -------------------------------------------------------------


def _mapper(make_user: Any) -> Client:
    lead = make_user("lead", staff=True)
    for codename in ("change_user", "view_user", "manage_connected_apps"):
        lead.user_permissions.add(Permission.objects.get(codename=codename))
    client = Client()
    client.force_login(lead)
    return client


def _map(client: Client, user: Any, subject: str) -> Any:
    data = {
        "username": user.username,
        "email": user.email,
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "authlete_subject": subject,
        "authlete_developer": "",
    }
    return client.post(reverse("admin:accounts_user_change", args=[user.pk]), data)


def test_mapping_an_account_to_a_subject_is_recorded(make_user, sandbox):
    mapper, carol = _mapper(make_user), make_user("carol-local")
    assert _map(mapper, carol, "carol").status_code == 302
    (event,) = AuditEvent.objects.filter(action="mapping_change")
    assert (event.outcome, event.actor_username, event.subject) == ("success", "lead", "carol")
    assert event.values_before["authlete_subject"] == ""
    assert event.values_after["authlete_subject"] == "carol"


def test_a_refused_mapping_to_someone_elses_subject_is_recorded(make_user, john, sandbox):
    mapper, mallory = _mapper(make_user), make_user("mallory")
    assert _map(mapper, mallory, "john").status_code == 200
    (event,) = _refused()
    assert (event.action, event.refusal, event.subject) == ("mapping_change", "invalid", "john")
    assert event.values_after["authlete_subject"] == "john" and "mallory" in event.detail


# --- Registrations: the developer page and RFC 7592 ----------------------------------------------


def _register(machine: Client) -> dict[str, Any]:
    response = machine.post(
        reverse("register"), data=json.dumps(METADATA), content_type="application/json"
    )
    assert response.status_code == 201, response.content
    return response.json()


def _configure(machine: Client, method: str, client_id: str, token: str, body: Any = None):
    url = reverse("register_client", args=[client_id])
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if method == "PUT":
        return machine.put(url, json.dumps(body), content_type="application/json", **headers)
    return machine.generic(method, url, **headers)


def test_rfc7592_updates_and_deletes_are_recorded(sandbox):
    machine = Client()
    client = _register(machine)
    client_id, token = client["client_id"], client["registration_access_token"]
    renamed = {**METADATA, "client_id": client_id, "client_name": "Renamed Reader"}
    assert _configure(machine, "PUT", client_id, token, renamed).status_code == 200
    assert _configure(machine, "DELETE", client_id, token).status_code == 204
    update, delete = AuditEvent.objects.order_by("id")
    assert (update.action, update.outcome, update.client_id) == (
        "client_update",
        "success",
        int(client_id),
    )
    assert update.values_after["client_name"] == "Renamed Reader"
    assert (delete.action, delete.outcome) == ("client_delete", "success")
    assert update.actor is None and update.ip_address == "127.0.0.1"
    # Never a token or a secret on the trail.
    stored = json.dumps([update.values_after, update.detail, delete.detail])
    assert token not in stored and client.get("client_secret", "-") not in stored


def test_an_rfc7592_change_with_a_wrong_token_is_recorded_as_refused(sandbox):
    machine = Client()
    client_id = _register(machine)["client_id"]
    assert _configure(machine, "DELETE", client_id, "wrong-token").status_code == 401
    (event,) = _refused()
    assert (event.action, event.refusal, event.client_id) == (
        "client_delete",
        "credentials",
        int(client_id),
    )


@pytest.fixture
def developer(make_user: Any) -> tuple[Any, Client]:
    user = make_user("johndev")
    user.authlete_developer = "dev-john"
    user.save()
    client = Client()
    client.force_login(user)
    return user, client


def _developer_edit(client: Client, client_id: Any, token: str, **changes: str) -> Any:
    data = {
        "client_name": "Registered Reader",
        "redirect_uris": "https://reader.example/cb",
        "logo_uri": "",
        "policy_uri": "",
        "tos_uri": "",
        "contacts": "",
        "registration_access_token": token,
        **changes,
    }
    return client.post(reverse("connected_apps:developer_edit", args=[client_id]), data)


@pytest.mark.parametrize(
    ("token", "changes", "expected"),
    [
        ("right", {"client_name": "Better Reader"}, ("success", "")),
        ("wrong", {"client_name": "Better Reader"}, ("refused", "credentials")),
        ("right", {"redirect_uris": "http://plain.example/cb"}, ("refused", "invalid")),
    ],
)
def test_developer_page_edits_are_recorded(developer, sandbox, token, changes, expected):
    user, browser = developer
    client = _register(Client())
    developer_confirm(
        ConfirmedDeveloper(client_id=int(client["client_id"]), developer="dev-john"), staff=None
    )
    secret = client["registration_access_token"] if token == "right" else "not-the-token"
    _developer_edit(browser, client["client_id"], secret, **changes)
    (event,) = AuditEvent.objects.filter(action="client_update")
    assert (event.outcome, event.refusal) == expected
    assert (event.actor, event.client_id) == (user, int(client["client_id"]))
    assert secret not in json.dumps([event.values_after, event.detail])


# --- The trail cannot be changed in the database ------------------------------------------------

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the append-only trigger is PostgreSQL's; SQLite relies on the model alone",
)


@on_postgresql
def test_sql_cannot_change_or_delete_an_audit_row(john_client, sandbox):
    john_client.post(reverse("connected_apps:revoke", args=[NOTES]))
    rows = AuditEvent.objects.filter(client_id=NOTES)
    count = rows.count()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        rows.update(reason="rewritten")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        rows.outcomes().delete()  # the last row of the chain: no other row protects it
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        rows.update(actor=None, outcome="failed")  # clearing the actor hides nothing else
    assert rows.count() == count and not rows.filter(reason="rewritten").exists()


@on_postgresql
def test_deleting_an_account_keeps_its_rows_and_the_username_they_recorded(john, john_client):
    john_client.get(reverse("connected_apps:detail", args=[999]))
    john.delete()
    (event,) = AuditEvent.objects.all()
    assert (event.actor, event.actor_username, event.action) == (None, "john", "probe")
