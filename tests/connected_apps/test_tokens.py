"""One token at a time: staff tools in the admin, and a person ending one token of an app."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from authlete_sandbox import seed as demo
from connected_apps.models import AuditEvent

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
NOTES = demo.INKWELL_NOTES
JOHN = demo.SUBJECT_JOHN
ALICE = demo.SUBJECT_ALICE


# --- The person: ending one token of an app ----------------------------------------------------


def _end_url(token_hash: str, client_id: int = NOTES) -> str:
    return reverse("connected_apps:token_end", args=[client_id, token_hash])


def test_the_detail_page_counts_tokens_and_offers_to_end_each(john_client, sandbox, issued):
    html = john_client.get(reverse("connected_apps:detail", args=[NOTES])).content.decode()
    count = len(sandbox.token_state(JOHN, NOTES))
    assert f"It is signed in at {count} places" in html
    assert html.count('hx-target="closest li"') == count
    # Each token is named by a prefix of its hash; the full identifier stays off the page.
    assert _end_url(issued["accessTokenHash"][:16]) in html
    assert issued["accessTokenHash"] not in html


def test_ending_asks_for_confirmation_as_a_page_and_as_a_list_item(john_client, sandbox, issued):
    page = john_client.get(_end_url(issued["accessTokenHash"]))
    assert page.status_code == 200
    assert "End this sign-in of Inkwell Notes?" in page.content.decode()
    assert "<html" in page.content.decode()
    row = john_client.get(_end_url(issued["accessTokenHash"]), **HTMX).content.decode()
    assert row.lstrip().startswith("<li") and "<html" not in row
    assert issued["accessTokenHash"] in sandbox.token_state(JOHN, NOTES)


def test_ending_one_token_without_javascript_redirects_with_a_message(john_client, sandbox, issued):
    before = set(sandbox.token_state(JOHN, NOTES))
    response = john_client.post(_end_url(issued["accessTokenHash"]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("connected_apps:detail", args=[NOTES]))
    assert set(sandbox.token_state(JOHN, NOTES)) == before - {issued["accessTokenHash"]}
    page = john_client.get(response["Location"])
    assert "Its other sign-ins stay." in page.content.decode()
    event = AuditEvent.objects.outcomes().get(action=AuditEvent.Action.TOKEN_DELETE)
    assert not event.on_behalf and event.subject == JOHN
    assert event.outcome == AuditEvent.Outcome.SUCCESS


def test_ending_one_token_with_htmx_swaps_the_details_with_the_result_in_place(
    john_client, sandbox, issued
):
    response = john_client.post(_end_url(issued["accessTokenHash"][:16]), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<article id="detail"')
    assert issued["accessTokenHash"][:16] not in html
    # Said once, under "Where it's signed in" where the person clicked, and focused there;
    # not again in a banner at the top of the page, out of view.
    result = re.search(r'<p class="alert alert--success detail-result"[^>]*>([^<]*)</p>', html)
    assert result and "Its other sign-ins stay." in result.group(1)
    assert "data-focus-after-swap" in result.group(0)
    assert html.index("tokens-heading") < result.start()
    assert 'id="messages"' not in html
    assert issued["accessTokenHash"] not in sandbox.token_state(JOHN, NOTES)


def test_ending_the_last_token_leaves_the_app_disconnected(john_client, sandbox):
    for token_hash in sandbox.token_state(JOHN, NOTES):
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
    assert sandbox.token_writes() == []
    assert alices["accessTokenHash"] in sandbox.token_state(ALICE, NOTES)
    # Both probes are on record as refused, on John's own trail; nothing is on Alice's.
    probes = AuditEvent.objects.all()
    assert {(e.action, e.outcome, e.subject) for e in probes} == {("probe", "refused", "john")}
    assert probes.count() == 2


def test_an_unknown_hash_is_404_and_nothing_is_written(john_client, sandbox):
    sandbox.clear_requests()
    assert john_client.post(_end_url("A" * 43)).status_code == 404
    assert sandbox.token_writes() == []


def test_with_htmx_an_access_already_ended_leaves_the_table_with_a_reason(john_client, sandbox):
    sandbox.clear_requests()
    response = john_client.post(_end_url("A" * 43), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 404
    assert "no such sign-in on your account" in html and "<tr" not in html
    assert sandbox.token_writes() == []


def test_a_prefix_too_short_to_be_sure_is_404(john_client, sandbox, issued):
    sandbox.clear_requests()
    assert john_client.post(_end_url(issued["accessTokenHash"][:8])).status_code == 404
    assert sandbox.token_writes() == []
    assert issued["accessTokenHash"] in sandbox.token_state(JOHN, NOTES)


def test_a_token_of_the_person_but_for_another_app_is_404(john_client, sandbox, johns_apps):
    other = next(c for c in johns_apps if c != NOTES)
    token = sandbox.authorize(clientId=other, subject=JOHN, scopes=["openid"])
    sandbox.clear_requests()
    assert john_client.post(_end_url(token["accessTokenHash"], NOTES)).status_code == 404
    assert sandbox.token_writes() == []


def test_a_garbled_answer_to_ending_a_token_is_never_told_as_done(john_client, sandbox, issued):
    # Authlete documents 204 without a body; a 200 with garbage proves nothing either way.
    sandbox.fault("malformed", path="/auth/token/delete/")
    response = john_client.post(_end_url(issued["accessTokenHash"]))
    html = response.content.decode()
    assert "could not confirm whether your change was made" in html
    assert "has ended" not in html
    event = AuditEvent.objects.outcomes().get(action="token_delete")
    assert event.outcome == "unknown"


def test_a_failed_read_after_ending_a_token_leaves_it_done_and_the_page_stale(
    john_client, sandbox, issued
):
    # Only the read of the app afterwards asks for its remembered consent: it fails there.
    sandbox.fault("status503", path="/client/granted_scopes/get/", retryAfter=0)
    response = john_client.post(_end_url(issued["accessTokenHash"]), follow=True)
    notes = " ".join(str(m) for m in response.context["messages"])
    assert "has ended" in notes and "may be out of date" in notes
    assert issued["accessTokenHash"] not in sandbox.token_state(JOHN, NOTES)
    assert AuditEvent.objects.outcomes().get(action="token_delete").outcome == "success"
