"""The staff console: a person's apps and tokens as support sees them, and changes with a reason."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from authlete_sandbox import seed as demo
from connected_apps.models import AuditEvent

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
NOTES = demo.INKWELL_NOTES
JOHN = demo.SUBJECT_JOHN
ALICE = demo.SUBJECT_ALICE


# --- Staff: the admin's token tools -----------------------------------------------------------


def _admin_url(user: Any) -> str:
    return reverse("admin:staff_app", args=[user.username, NOTES])


def _token_url(user: Any, token_hash: str, action: str) -> str:
    """The staff console's URL for one token tool (``token_narrow`` -> ``staff_token_narrow``)."""
    return reverse(f"admin:staff_{action}", args=[user.username, NOTES, token_hash])


def _staff_post(
    support_client: Client, john: Any, issued: dict[str, Any], action: str, **fields: Any
):
    prefix = f"tok-{issued['accessTokenHash'][:16]}"
    data = {
        "reason": "Asked by phone",
        **{f"{prefix}-{name}": value for name, value in fields.items()},
    }
    url = _token_url(john, issued["accessTokenHash"], action)
    return support_client.post(url, data, follow=True)


def _messages(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_the_admin_lists_each_apps_tokens_by_hash_prefix_never_by_value(
    support_client, john, sandbox, issued
):
    response = support_client.get(_admin_url(john))
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="app-{NOTES}-tokens"' in html and "<details" in html
    assert f"<code>{issued['accessTokenHash'][:8]}…</code>" in html
    assert "AUTHORIZATION_CODE" in html
    assert issued["accessToken"] not in html and issued["refreshToken"] not in html


def test_staff_narrow_one_token_and_the_others_keep_their_scopes(
    support_client, john, sandbox, issued
):
    others_before = {h: t["scopes"] for h, t in sandbox.token_state(JOHN, NOTES).items()}
    del others_before[issued["accessTokenHash"]]
    response = _staff_post(support_client, john, issued, "token_narrow", keep=["openid", "email"])
    assert "Narrowed the scopes of token" in " ".join(_messages(response))
    tokens = sandbox.token_state(JOHN, NOTES)
    assert tokens.pop(issued["accessTokenHash"])["scopes"] == ["openid", "email"]
    assert {h: t["scopes"] for h, t in tokens.items()} == others_before
    event = AuditEvent.objects.outcomes().get(action=AuditEvent.Action.TOKEN_NARROW)
    assert event.outcome == AuditEvent.Outcome.SUCCESS
    assert event.token_hash == issued["accessTokenHash"]
    assert event.values_before == {"scopes": ["openid", "profile", "email"]}
    assert event.values_after == {"scopes": ["openid", "email"]}
    assert event.result_code == "A135001"
    assert event.on_behalf and event.reason == "Asked by phone"


def test_staff_cannot_narrow_to_a_scope_the_token_lacks(support_client, john, sandbox, issued):
    sandbox.clear_requests()
    response = _staff_post(support_client, john, issued, "token_narrow", keep=["offline_access"])
    assert "is not a scope of this token" in " ".join(_messages(response))
    assert sandbox.token_writes() == []
    assert sandbox.token_state(JOHN, NOTES)[issued["accessTokenHash"]]["scopes"] == [
        "openid",
        "profile",
        "email",
    ]


def test_every_token_change_needs_a_reason(support_client, john, sandbox, issued):
    sandbox.clear_requests()
    response = support_client.post(
        _token_url(john, issued["accessTokenHash"], "token_delete"), {}, follow=True
    )
    assert response.status_code == 400
    assert "Give a reason" in response.content.decode()
    assert sandbox.token_writes() == []
    assert issued["accessTokenHash"] in sandbox.token_state(JOHN, NOTES)


def test_staff_shorten_a_tokens_expiry(support_client, john, sandbox, issued):
    when = (datetime.now(UTC) + timedelta(minutes=30)).replace(second=0, microsecond=0)
    response = _staff_post(
        support_client, john, issued, "token_expiry", expires_at=when.strftime("%Y-%m-%dT%H:%M")
    )
    assert "Changed when token" in " ".join(_messages(response))
    token = sandbox.token_state(JOHN, NOTES)[issued["accessTokenHash"]]
    assert token["accessTokenExpiresAt"] == int(when.timestamp() * 1000)
    event = AuditEvent.objects.outcomes().get(action=AuditEvent.Action.TOKEN_EXPIRY)
    assert event.outcome == AuditEvent.Outcome.SUCCESS
    assert event.values_after == {"expires_at": when.isoformat()}
    assert event.values_before["expires_at"] is not None


def test_staff_extend_within_the_ceiling(settings, support_client, john, sandbox, issued):
    settings.PORTAL_TOKEN_MAX_LIFETIME_DAYS = 7
    when = (datetime.now(UTC) + timedelta(days=3)).replace(second=0, microsecond=0)
    _staff_post(
        support_client, john, issued, "token_expiry", expires_at=when.strftime("%Y-%m-%dT%H:%M")
    )
    token = sandbox.token_state(JOHN, NOTES)[issued["accessTokenHash"]]
    assert token["accessTokenExpiresAt"] == int(when.timestamp() * 1000)


def test_staff_cannot_extend_past_the_ceiling(settings, support_client, john, sandbox, issued):
    settings.PORTAL_TOKEN_MAX_LIFETIME_DAYS = 7
    sandbox.clear_requests()
    when = datetime.now(UTC) + timedelta(days=8)
    response = _staff_post(
        support_client, john, issued, "token_expiry", expires_at=when.strftime("%Y-%m-%dT%H:%M")
    )
    assert "may not be extended past" in " ".join(_messages(response))
    assert sandbox.token_writes() == []


def test_staff_cannot_set_an_expiry_in_the_past(support_client, john, sandbox, issued):
    sandbox.clear_requests()
    when = datetime.now(UTC) - timedelta(hours=1)
    response = _staff_post(
        support_client, john, issued, "token_expiry", expires_at=when.strftime("%Y-%m-%dT%H:%M")
    )
    assert "Choose a time in the future" in " ".join(_messages(response))
    assert sandbox.token_writes() == []


def test_staff_set_and_remove_custom_properties_with_the_hidden_flag(
    support_client, john, sandbox, issued
):
    _staff_post(support_client, john, issued, "token_properties", key="device", value="Pixel 8")
    _staff_post(
        support_client, john, issued, "token_properties", key="ticket", value="T-42", hidden="on"
    )
    token = sandbox.token_state(JOHN, NOTES)[issued["accessTokenHash"]]
    assert token["properties"] == [
        {"key": "device", "value": "Pixel 8", "hidden": False},
        {"key": "ticket", "value": "T-42", "hidden": True},
    ]
    _staff_post(support_client, john, issued, "token_properties", remove=["device"])
    token = sandbox.token_state(JOHN, NOTES)[issued["accessTokenHash"]]
    assert token["properties"] == [{"key": "ticket", "value": "T-42", "hidden": True}]
    last = AuditEvent.objects.outcomes().filter(action=AuditEvent.Action.TOKEN_PROPERTIES).first()
    # A hidden value stays out of the trail.
    assert last.values_before["properties"][1] == {
        "key": "ticket",
        "value": "(hidden)",
        "hidden": True,
    }
    assert (
        AuditEvent.objects.outcomes().filter(action=AuditEvent.Action.TOKEN_PROPERTIES).count() == 3
    )


def test_staff_delete_one_token_and_the_app_stays_connected(support_client, john, sandbox, issued):
    before = set(sandbox.token_state(JOHN, NOTES))
    response = _staff_post(support_client, john, issued, "token_delete")
    assert "Ended token" in " ".join(_messages(response))
    assert set(sandbox.token_state(JOHN, NOTES)) == before - {issued["accessTokenHash"]}
    assert NOTES in sandbox.authorized_client_ids(JOHN)
    event = AuditEvent.objects.outcomes().get(action=AuditEvent.Action.TOKEN_DELETE)
    assert event.outcome == AuditEvent.Outcome.SUCCESS and event.on_behalf
    assert event.token_hash == issued["accessTokenHash"]


def test_staff_cannot_touch_a_token_of_someone_else(support_client, john, sandbox):
    alices = sandbox.authorize(clientId=NOTES, subject=ALICE, scopes=["openid"])
    sandbox.clear_requests()
    response = support_client.post(
        _token_url(john, alices["accessTokenHash"], "token_delete"), {"reason": "x"}
    )
    assert response.status_code == 404
    assert sandbox.token_writes() == []
    assert alices["accessTokenHash"] in sandbox.token_state(ALICE, NOTES)


def test_a_token_gone_meanwhile_is_reported_not_found_and_audited_as_failed(
    support_client, john, sandbox, issued
):
    # Authlete answers the update slowly; meanwhile the token is deleted elsewhere.
    sandbox.fault("latency", "/auth/token/update", delayMs=400)

    def delete_meanwhile() -> None:
        time.sleep(0.15)
        sandbox.api("DELETE", f"/auth/token/delete/{issued['accessTokenHash']}")

    thread = threading.Thread(target=delete_meanwhile)
    thread.start()
    response = _staff_post(support_client, john, issued, "token_narrow", keep=["openid"])
    thread.join()
    shown = " ".join(_messages(response))
    assert "no longer has this token" in shown
    assert "Narrowed" not in shown
    event = AuditEvent.objects.outcomes().get(action=AuditEvent.Action.TOKEN_NARROW)
    assert event.outcome == AuditEvent.Outcome.FAILED
    assert event.result_code.startswith("A135") and event.result_code != "A135001"
    assert "NOT_FOUND" in event.detail


def test_an_unreachable_authlete_is_an_audited_failure(support_client, john, sandbox, issued):
    sandbox.fault("status503", "/auth/token/delete")
    response = _staff_post(support_client, john, issued, "token_delete")
    assert response.status_code in (502, 503)
    assert "Nothing was changed" in response.content.decode()
    assert issued["accessTokenHash"] in sandbox.token_state(JOHN, NOTES)
    event = AuditEvent.objects.outcomes().get(action=AuditEvent.Action.TOKEN_DELETE)
    assert event.outcome == AuditEvent.Outcome.FAILED


# --- The person's page, and app-wide changes ------------------------------------------------


def test_staff_without_the_permission_cannot_see_someones_apps(make_user, john):
    client = Client()
    client.force_login(make_user("intern", staff=True))
    response = client.get(reverse("admin:staff_subject", args=[JOHN]))
    assert response.status_code == 403
    assert "cannot open the staff console" in response.content.decode()


def test_support_sees_the_same_apps_and_can_narrow_with_a_reason(
    support_client, john, sandbox, johns_apps
):
    page = support_client.get(reverse("admin:staff_person_apps", args=[john.pk]), follow=True)
    assert page.redirect_chain[-1][0] == reverse("admin:staff_subject", args=[JOHN])
    assert sandbox.client_name(johns_apps[0]) in page.content.decode()
    client_id, scopes = sandbox.narrowable("john", johns_apps)
    response = support_client.post(
        reverse("admin:staff_app_narrow", args=[JOHN, client_id]),
        {"keep": [scopes[0]], "reason": "Customer asked"},
    )
    assert response.status_code == 302
    assert {tuple(s) for s in sandbox.token_scopes("john", client_id)} == {(scopes[0],)}
    event = AuditEvent.objects.outcomes().get()
    assert event.on_behalf and event.reason == "Customer asked"
    assert event.actor_username == "support" and event.subject == "john"


def test_support_must_give_a_reason(support_client, john, sandbox, johns_apps):
    sandbox.clear_requests()
    support_client.post(
        reverse("admin:staff_app_revoke", args=[JOHN, johns_apps[0]]),
        {"reason": ""},
    )
    assert sandbox.writes() == []
    assert johns_apps[0] in sandbox.authorized_client_ids("john")


def test_the_audit_trail_cannot_be_edited_or_deleted_in_the_admin(
    support_client, john_client, johns_apps
):
    john_client.post(reverse("connected_apps:revoke", args=[johns_apps[0]]))
    event = AuditEvent.objects.outcomes().get()
    change = reverse("admin:connected_apps_auditevent_change", args=[event.pk])
    delete = reverse("admin:connected_apps_auditevent_delete", args=[event.pk])
    assert support_client.post(change, {"reason": "edited"}).status_code == 403
    assert support_client.post(delete, {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.outcomes().get().reason == ""
