"""One token at a time: staff tools in the admin, and a person ending one token of an app."""

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
from tests.conftest import Sandbox

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
NOTES = demo.INKWELL_NOTES
JOHN = demo.SUBJECT_JOHN
ALICE = demo.SUBJECT_ALICE


def _tokens(sandbox: Sandbox, subject: str, client_id: int = NOTES) -> dict[str, dict[str, Any]]:
    params = {"subject": subject, "clientId": client_id}
    state = sandbox.control("GET", "state/tokens", params=params)
    return {token["accessTokenHash"]: token for token in state}


def _token_writes(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [r for r in sandbox.writes() if "/auth/token/" in r["path"]]


@pytest.fixture
def issued(sandbox: Sandbox) -> dict[str, Any]:
    """A fresh token of John for Inkwell Notes with three scopes, beside his demo tokens."""
    return sandbox.authorize(
        clientId=NOTES,
        subject=JOHN,
        scopes=["openid", "profile", "email"],
        accessTokenDuration=3600,
    )


# --- Staff: the admin's token tools -----------------------------------------------------------


def _admin_url(user: Any) -> str:
    return reverse("admin:connected_apps_user_apps", args=[user.pk])


def _staff_post(
    support_client: Client, john: Any, issued: dict[str, Any], action: str, **fields: Any
):
    prefix = f"tok-{issued['accessTokenHash'][:16]}"
    data = {
        "client_id": NOTES,
        "token_hash": issued["accessTokenHash"],
        "action": action,
        "reason": "Asked by phone",
        **{f"{prefix}-{name}": value for name, value in fields.items()},
    }
    return support_client.post(_admin_url(john), data, follow=True)


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
    others_before = {h: t["scopes"] for h, t in _tokens(sandbox, JOHN).items()}
    del others_before[issued["accessTokenHash"]]
    response = _staff_post(support_client, john, issued, "token_narrow", keep=["openid", "email"])
    assert "Narrowed the scopes of token" in " ".join(_messages(response))
    tokens = _tokens(sandbox, JOHN)
    assert tokens.pop(issued["accessTokenHash"])["scopes"] == ["openid", "email"]
    assert {h: t["scopes"] for h, t in tokens.items()} == others_before
    event = AuditEvent.objects.get(action=AuditEvent.Action.TOKEN_NARROW)
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
    assert _token_writes(sandbox) == []
    assert _tokens(sandbox, JOHN)[issued["accessTokenHash"]]["scopes"] == [
        "openid",
        "profile",
        "email",
    ]


def test_every_token_change_needs_a_reason(support_client, john, sandbox, issued):
    sandbox.clear_requests()
    response = support_client.post(
        _admin_url(john),
        {"client_id": NOTES, "token_hash": issued["accessTokenHash"], "action": "token_delete"},
        follow=True,
    )
    assert "Give a reason" in " ".join(_messages(response))
    assert _token_writes(sandbox) == []
    assert issued["accessTokenHash"] in _tokens(sandbox, JOHN)


def test_staff_shorten_a_tokens_expiry(support_client, john, sandbox, issued):
    when = (datetime.now(UTC) + timedelta(minutes=30)).replace(second=0, microsecond=0)
    response = _staff_post(
        support_client, john, issued, "token_expiry", expires_at=when.strftime("%Y-%m-%dT%H:%M")
    )
    assert "Changed when token" in " ".join(_messages(response))
    token = _tokens(sandbox, JOHN)[issued["accessTokenHash"]]
    assert token["accessTokenExpiresAt"] == int(when.timestamp() * 1000)
    event = AuditEvent.objects.get(action=AuditEvent.Action.TOKEN_EXPIRY)
    assert event.outcome == AuditEvent.Outcome.SUCCESS
    assert event.values_after == {"expires_at": when.isoformat()}
    assert event.values_before["expires_at"] is not None


def test_staff_extend_within_the_ceiling(settings, support_client, john, sandbox, issued):
    settings.PORTAL_TOKEN_MAX_LIFETIME_DAYS = 7
    when = (datetime.now(UTC) + timedelta(days=3)).replace(second=0, microsecond=0)
    _staff_post(
        support_client, john, issued, "token_expiry", expires_at=when.strftime("%Y-%m-%dT%H:%M")
    )
    token = _tokens(sandbox, JOHN)[issued["accessTokenHash"]]
    assert token["accessTokenExpiresAt"] == int(when.timestamp() * 1000)


def test_staff_cannot_extend_past_the_ceiling(settings, support_client, john, sandbox, issued):
    settings.PORTAL_TOKEN_MAX_LIFETIME_DAYS = 7
    sandbox.clear_requests()
    when = datetime.now(UTC) + timedelta(days=8)
    response = _staff_post(
        support_client, john, issued, "token_expiry", expires_at=when.strftime("%Y-%m-%dT%H:%M")
    )
    assert "may not be extended past" in " ".join(_messages(response))
    assert _token_writes(sandbox) == []


def test_staff_cannot_set_an_expiry_in_the_past(support_client, john, sandbox, issued):
    sandbox.clear_requests()
    when = datetime.now(UTC) - timedelta(hours=1)
    response = _staff_post(
        support_client, john, issued, "token_expiry", expires_at=when.strftime("%Y-%m-%dT%H:%M")
    )
    assert "Choose a time in the future" in " ".join(_messages(response))
    assert _token_writes(sandbox) == []


def test_staff_set_and_remove_custom_properties_with_the_hidden_flag(
    support_client, john, sandbox, issued
):
    _staff_post(support_client, john, issued, "token_properties", key="device", value="Pixel 8")
    _staff_post(
        support_client, john, issued, "token_properties", key="ticket", value="T-42", hidden="on"
    )
    token = _tokens(sandbox, JOHN)[issued["accessTokenHash"]]
    assert token["properties"] == [
        {"key": "device", "value": "Pixel 8", "hidden": False},
        {"key": "ticket", "value": "T-42", "hidden": True},
    ]
    _staff_post(support_client, john, issued, "token_properties", remove=["device"])
    token = _tokens(sandbox, JOHN)[issued["accessTokenHash"]]
    assert token["properties"] == [{"key": "ticket", "value": "T-42", "hidden": True}]
    last = AuditEvent.objects.filter(action=AuditEvent.Action.TOKEN_PROPERTIES).first()
    # A hidden value stays out of the trail.
    assert last.values_before["properties"][1] == {
        "key": "ticket",
        "value": "(hidden)",
        "hidden": True,
    }
    assert AuditEvent.objects.filter(action=AuditEvent.Action.TOKEN_PROPERTIES).count() == 3


def test_staff_delete_one_token_and_the_app_stays_connected(support_client, john, sandbox, issued):
    before = set(_tokens(sandbox, JOHN))
    response = _staff_post(support_client, john, issued, "token_delete")
    assert "Deleted token" in " ".join(_messages(response))
    assert set(_tokens(sandbox, JOHN)) == before - {issued["accessTokenHash"]}
    assert NOTES in sandbox.authorized_client_ids(JOHN)
    event = AuditEvent.objects.get(action=AuditEvent.Action.TOKEN_DELETE)
    assert event.outcome == AuditEvent.Outcome.SUCCESS and event.on_behalf
    assert event.token_hash == issued["accessTokenHash"]


def test_staff_cannot_touch_a_token_of_someone_else(support_client, john, sandbox):
    alices = sandbox.authorize(clientId=NOTES, subject=ALICE, scopes=["openid"])
    sandbox.clear_requests()
    response = support_client.post(
        _admin_url(john),
        {
            "client_id": NOTES,
            "token_hash": alices["accessTokenHash"],
            "action": "token_delete",
            "reason": "x",
        },
    )
    assert response.status_code == 404
    assert _token_writes(sandbox) == []
    assert alices["accessTokenHash"] in _tokens(sandbox, ALICE)


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
    event = AuditEvent.objects.get(action=AuditEvent.Action.TOKEN_NARROW)
    assert event.outcome == AuditEvent.Outcome.FAILED
    assert event.result_code.startswith("A135") and event.result_code != "A135001"
    assert "NOT_FOUND" in event.detail


def test_an_unreachable_authlete_is_an_audited_failure(support_client, john, sandbox, issued):
    sandbox.fault("status503", "/auth/token/delete")
    response = _staff_post(support_client, john, issued, "token_delete")
    assert "could not be reached" in " ".join(_messages(response))
    assert issued["accessTokenHash"] in _tokens(sandbox, JOHN)
    event = AuditEvent.objects.get(action=AuditEvent.Action.TOKEN_DELETE)
    assert event.outcome == AuditEvent.Outcome.FAILED


# --- The person: ending one token of an app ----------------------------------------------------


def _end_url(token_hash: str, client_id: int = NOTES) -> str:
    return reverse("connected_apps:token_end", args=[client_id, token_hash])


def test_the_detail_page_counts_tokens_and_offers_to_end_each(john_client, sandbox, issued):
    html = john_client.get(reverse("connected_apps:detail", args=[NOTES])).content.decode()
    count = len(_tokens(sandbox, JOHN))
    assert f"It holds {count} active tokens." in html
    assert html.count('hx-target="closest tr"') == count
    # Each token is named by a prefix of its hash; the full identifier stays off the page.
    assert _end_url(issued["accessTokenHash"][:16]) in html
    assert issued["accessTokenHash"] not in html


def test_ending_asks_for_confirmation_as_a_page_and_as_a_table_row(john_client, sandbox, issued):
    page = john_client.get(_end_url(issued["accessTokenHash"]))
    assert page.status_code == 200
    assert "End this access of Inkwell Notes?" in page.content.decode()
    assert "<html" in page.content.decode()
    row = john_client.get(_end_url(issued["accessTokenHash"]), **HTMX).content.decode()
    assert row.lstrip().startswith("<tr") and "<html" not in row
    assert issued["accessTokenHash"] in _tokens(sandbox, JOHN)


def test_ending_one_token_without_javascript_redirects_with_a_message(john_client, sandbox, issued):
    before = set(_tokens(sandbox, JOHN))
    response = john_client.post(_end_url(issued["accessTokenHash"]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("connected_apps:detail", args=[NOTES]))
    assert set(_tokens(sandbox, JOHN)) == before - {issued["accessTokenHash"]}
    page = john_client.get(response["Location"])
    assert "Its other access stays." in page.content.decode()
    event = AuditEvent.objects.get(action=AuditEvent.Action.TOKEN_DELETE)
    assert not event.on_behalf and event.subject == JOHN
    assert event.outcome == AuditEvent.Outcome.SUCCESS


def test_ending_one_token_with_htmx_swaps_the_details_and_announces_it(
    john_client, sandbox, issued
):
    response = john_client.post(_end_url(issued["accessTokenHash"][:16]), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<article id="detail"')
    assert issued["accessTokenHash"][:16] not in html
    assert 'id="messages"' in html and 'hx-swap-oob="true"' in html
    assert "Its other access stays." in html
    assert issued["accessTokenHash"] not in _tokens(sandbox, JOHN)


def test_ending_the_last_token_leaves_the_app_disconnected(john_client, sandbox):
    for token_hash in _tokens(sandbox, JOHN):
        sandbox.api("DELETE", f"/auth/token/delete/{token_hash}")
    last = sandbox.authorize(clientId=NOTES, subject=JOHN, scopes=["openid"])
    response = john_client.post(_end_url(last["accessTokenHash"]), **HTMX)
    assert response["HX-Redirect"] == reverse("connected_apps:list")
    assert NOTES not in sandbox.authorized_client_ids(JOHN)


def test_another_persons_token_is_404_and_nothing_is_written(john_client, sandbox):
    alices = sandbox.authorize(clientId=NOTES, subject=ALICE, scopes=["openid"])
    sandbox.clear_requests()
    assert john_client.post(_end_url(alices["accessTokenHash"])).status_code == 404
    assert john_client.get(_end_url(alices["accessTokenHash"])).status_code == 404
    assert _token_writes(sandbox) == []
    assert alices["accessTokenHash"] in _tokens(sandbox, ALICE)
    assert not AuditEvent.objects.exists()


def test_an_unknown_hash_is_404_and_nothing_is_written(john_client, sandbox):
    sandbox.clear_requests()
    assert john_client.post(_end_url("A" * 43)).status_code == 404
    assert _token_writes(sandbox) == []


def test_with_htmx_an_access_already_ended_leaves_the_table_with_a_reason(john_client, sandbox):
    sandbox.clear_requests()
    response = john_client.post(_end_url("A" * 43), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 404
    assert "no such access for your account" in html and "<tr" not in html
    assert _token_writes(sandbox) == []


def test_a_prefix_too_short_to_be_sure_is_404(john_client, sandbox, issued):
    sandbox.clear_requests()
    assert john_client.post(_end_url(issued["accessTokenHash"][:8])).status_code == 404
    assert _token_writes(sandbox) == []
    assert issued["accessTokenHash"] in _tokens(sandbox, JOHN)


def test_a_token_of_the_person_but_for_another_app_is_404(john_client, sandbox, johns_apps):
    other = next(c for c in johns_apps if c != NOTES)
    token = sandbox.authorize(clientId=other, subject=JOHN, scopes=["openid"])
    sandbox.clear_requests()
    assert john_client.post(_end_url(token["accessTokenHash"], NOTES)).status_code == 404
    assert _token_writes(sandbox) == []
