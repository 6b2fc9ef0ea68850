"""A person's own pages: list, details, narrow, revoke, revoke all and activity, full and htmx."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from connected_apps.models import AuditEvent

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


# --- The list -----------------------------------------------------------------------------------


def test_signed_out_people_are_sent_to_the_login_page(client: Client):
    response = client.get(reverse("connected_apps:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_list_shows_one_card_per_app_with_plain_words_and_pages(
    john_client, sandbox, johns_apps
):
    response = john_client.get(reverse("connected_apps:list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="app-card app-row') == 10
    assert "Page 1 of 2" in html
    assert f"{len(johns_apps)} connected apps" in html
    assert sandbox.client_name(johns_apps[0]) in html
    # Scopes appear in the service's words, with the raw name at hand.
    assert "See your email address" in html and '<code class="scope__name">email</code>' in html


def test_the_second_page_shows_the_remaining_apps(john_client, johns_apps):
    html = john_client.get(reverse("connected_apps:list"), {"page": 2}).content.decode()
    assert html.count('class="app-card app-row') == len(johns_apps) - 10
    assert "Page 2 of 2" in html


def _row_names(html: str) -> list[str]:
    return re.findall(r'class="app-card__title"[^>]*><a href="[^"]*">([^<]+)</a>', html)


def _row(html: str, client_id: int) -> str:
    start = html.index(f'id="app-{client_id}"')
    end = html.find('<li class="app-card', start)
    return html[start : end if end > 0 else None]


def test_apps_that_need_review_come_first_with_chips_saying_why(john_client):
    html = john_client.get(reverse("connected_apps:list")).content.decode()
    names = _row_names(html)
    # Pixel Print Shop can make payments and has been idle for five months: the first to check.
    assert names[0] == "Pixel Print Shop"
    first_row = _row(html, 31390516687073)
    assert "Can make payments" in first_row and "Not used for 5 months" in first_row
    # Apps that can only see or sign in come after every app that can act for the person.
    assert names.index("Tally Invoices") < names.index("Acme Command Line")


def test_working_while_away_is_amber_only_for_an_app_that_can_also_act(john_client):
    html = john_client.get(reverse("connected_apps:list"), {"sort": "name"}).content.decode()
    harbor, cadence = _row(html, 27568039915063), _row(html, 23851370069187)
    assert '<li class="chip chip--warning">Works while you' in harbor
    assert '<li class="chip">Works while you' in cadence


@pytest.mark.parametrize(
    ("sort", "first_two"),
    [
        ("name", ["Acme Command Line", "Cadence Radio"]),
        ("active", ["Acme Command Line", "Harbor Backup"]),
        ("connected", ["Acme Command Line", "Tally Invoices"]),
    ],
)
def test_the_list_can_be_sorted_by_name_last_active_or_date_connected(john_client, sort, first_two):
    html = john_client.get(reverse("connected_apps:list"), {"sort": sort}).content.decode()
    assert _row_names(html)[:2] == first_two
    assert f'<option value="{sort}" selected>' in html
    # The next page keeps the order.
    assert f"sort={sort}&amp;page=2" in html


def test_an_unknown_sort_shows_the_default_order(john_client):
    response = john_client.get(reverse("connected_apps:list"), {"sort": "<script>"})
    assert response.status_code == 200
    assert _row_names(response.content.decode())[0] == "Pixel Print Shop"


def test_each_row_shows_the_apps_host_and_a_summary_that_opens_to_every_permission(john_client):
    html = john_client.get(reverse("connected_apps:list"), {"sort": "name"}).content.decode()
    inkwell = _row(html, 17203958316027)
    assert "<code>inkwell.example</code>" in inkwell
    # Most consequential first, the rest behind "+N more" in a disclosure that needs no script.
    assert "Upload, change and delete your files · " in inkwell and "+4 more" in inkwell
    assert "<details" in inkwell and "See your email address" in inkwell
    assert "Remove permissions" not in inkwell


def test_a_page_number_past_the_end_shows_the_last_page(john_client):
    response = john_client.get(reverse("connected_apps:list"), {"page": "999"})
    assert response.status_code == 200
    assert "Page 2 of 2" in response.content.decode()


@pytest.mark.parametrize("page", ["abc", "-3", "0", "1e9", ""])
def test_a_nonsense_page_number_shows_the_first_page(john_client, page):
    response = john_client.get(reverse("connected_apps:list"), {"page": page})
    assert response.status_code == 200
    assert "Page 1 of 2" in response.content.decode()


def test_htmx_gets_only_the_list_fragment(john_client):
    response = john_client.get(reverse("connected_apps:list"), **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="app-list"')
    assert "<html" not in html


def test_search_filters_apps_by_name(john_client, sandbox, johns_apps):
    wanted = sandbox.client_name(johns_apps[3])
    html = john_client.get(
        reverse("connected_apps:list"), {"q": wanted[:6].lower()}
    ).content.decode()
    assert wanted in html
    assert html.count('class="app-card"') < 10


def test_a_search_without_matches_says_so(john_client):
    html = john_client.get(
        reverse("connected_apps:list"), {"q": "zzz-no-such-app"}
    ).content.decode()
    assert "No app matches your search" in html


def test_app_names_follow_the_request_language(john_client, sandbox, johns_apps):
    localized = None
    for client_id in johns_apps:
        names = sandbox.api("GET", f"/client/get/{client_id}").json().get("clientNames") or []
        localized = next((n["value"] for n in names if n["tag"].startswith("ja")), None)
        if localized:
            break
    assert localized, "the demo world has a client with a Japanese name"
    html = (
        john_client.get(
            reverse("connected_apps:list"), {"q": ""}, HTTP_ACCEPT_LANGUAGE="ja"
        ).content.decode()
        + john_client.get(
            reverse("connected_apps:list"), {"page": 2}, HTTP_ACCEPT_LANGUAGE="ja"
        ).content.decode()
    )
    assert localized in html


def test_someone_with_no_apps_sees_a_friendly_empty_state(make_user, sandbox):
    client = Client()
    client.force_login(make_user("bob"))
    html = client.get(reverse("connected_apps:list")).content.decode()
    assert "No apps are connected to your account" in html


def test_someone_without_a_subject_sees_why_and_nobody_elses_data(make_user, settings):
    settings.PORTAL_SUBJECT_ATTRIBUTE = "first_name"
    client = Client()
    client.force_login(make_user("john"))
    response = client.get(reverse("connected_apps:list"))
    assert response.status_code == 403
    assert "linked to an identity" in response.content.decode()
    assert 'class="app-card"' not in response.content.decode()


def test_the_list_fetches_client_metadata_once_then_from_the_cache(john_client, sandbox):
    john_client.get(reverse("connected_apps:list"))
    sandbox.clear_requests()
    john_client.get(reverse("connected_apps:list"))
    assert not [r for r in sandbox.requests() if "/client/get/" in r["path"]]


# --- Details ------------------------------------------------------------------------------------


def test_details_show_consent_history_and_where_it_is_signed_in(john_client, sandbox, johns_apps):
    client_id = johns_apps[0]
    issued = sandbox.authorize(clientId=client_id, subject="john", scopes=["email"], refresh=True)
    response = john_client.get(reverse("connected_apps:detail", args=[client_id]))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<details class="consent-history">' in html
    assert "Where it\u2019s signed in" in html and "Signed in" in html
    assert issued["accessToken"] not in html and issued["accessTokenHash"] not in html


def test_details_of_an_app_that_is_not_yours_are_not_found(alice_client, sandbox, johns_apps):
    alices = set(sandbox.authorized_client_ids("alice"))
    not_hers = next(c for c in johns_apps if c not in alices)
    assert alice_client.get(reverse("connected_apps:detail", args=[not_hers])).status_code == 404


def test_a_malformed_client_id_is_not_found(john_client):
    assert john_client.get("/apps/not-a-number/").status_code == 404
    assert john_client.get("/apps/99999999999999999999999/narrow/").status_code == 404


# --- Narrowing ----------------------------------------------------------------------------------


def test_the_narrow_form_offers_only_the_scopes_the_app_holds(john_client, sandbox, johns_apps):
    client_id, scopes = sandbox.narrowable("john", johns_apps)
    html = john_client.get(reverse("connected_apps:narrow", args=[client_id])).content.decode()
    assert html.count('type="checkbox"') == len(scopes)
    for scope in scopes:
        assert f'value="{scope}"' in html


def test_narrowing_keeps_only_the_checked_scopes_and_clears_remembered_consent(
    john_client, sandbox, johns_apps
):
    client_id, scopes = sandbox.narrowable("john", johns_apps)
    response = john_client.post(
        reverse("connected_apps:narrow", args=[client_id]), {"keep": [scopes[0]]}
    )
    assert response.status_code == 302
    assert sandbox.token_scopes("john", client_id) == [[scopes[0]]] * len(
        sandbox.token_scopes("john", client_id)
    )
    assert sandbox.granted_scopes("john", client_id)["latestGrantedScopes"] is None
    event = AuditEvent.objects.outcomes().get()
    assert (event.action, event.outcome, event.scopes_after) == ("narrow", "success", [scopes[0]])
    # One pair-wide update when every token held the same scopes, else one update per token.
    assert event.result_code in ("A138001", "A135001") and event.actor_username == "john"
    before, after = event.values_before["tokens"], event.values_after["tokens"]
    assert all(set(after[ref]) <= set(before[ref]) - set(scopes[1:]) for ref in after)
    followed = john_client.get(response["Location"]).content.decode()
    assert "now keeps 1 permission" in followed or "had to" in followed


def test_narrowing_with_htmx_returns_the_updated_app_page_with_the_result(
    john_client, sandbox, johns_apps
):
    client_id, scopes = sandbox.narrowable("john", johns_apps)
    response = john_client.post(
        reverse("connected_apps:narrow", args=[client_id]), {"keep": [scopes[0]]}, **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<article id="detail"')
    assert f'<code class="scope__name">{scopes[1]}</code>' not in html
    assert 'role="status"' in html and "now keeps 1 permission" in html


def test_narrowing_to_a_scope_never_granted_is_refused_before_authlete(
    john_client, sandbox, johns_apps
):
    client_id, scopes = sandbox.narrowable("john", johns_apps)
    sandbox.clear_requests()
    response = john_client.post(
        reverse("connected_apps:narrow", args=[client_id]),
        {"keep": [scopes[0], "payments.initiate-all"]},
    )
    assert response.status_code == 400
    assert "is not a permission this app holds" in response.content.decode()
    assert sandbox.writes() == []


def test_unchecking_everything_offers_to_disconnect_instead(john_client, sandbox, johns_apps):
    client_id, _ = sandbox.narrowable("john", johns_apps)
    sandbox.clear_requests()
    response = john_client.post(reverse("connected_apps:narrow", args=[client_id]), {})
    html = response.content.decode()
    assert response.status_code == 400
    assert "instead" in html and reverse("connected_apps:revoke", args=[client_id]) in html
    assert sandbox.writes() == []


def test_keeping_every_scope_changes_nothing(john_client, sandbox, johns_apps):
    client_id, scopes = sandbox.narrowable("john", johns_apps)
    sandbox.clear_requests()
    response = john_client.post(
        reverse("connected_apps:narrow", args=[client_id]), {"keep": scopes}
    )
    assert response.status_code == 400
    assert sandbox.writes() == []


def test_narrowing_another_persons_app_is_not_found_and_changes_nothing(
    alice_client, sandbox, johns_apps
):
    alices = set(sandbox.authorized_client_ids("alice"))
    client_id, scopes = sandbox.narrowable("john", [c for c in johns_apps if c not in alices])
    sandbox.clear_requests()
    response = alice_client.post(
        reverse("connected_apps:narrow", args=[client_id]), {"keep": [scopes[0]]}
    )
    assert response.status_code == 404
    assert sandbox.writes() == []
    # Only the refused probe is on record, on Alice's own trail; John's is untouched.
    (probe,) = AuditEvent.objects.all()
    assert (probe.action, probe.outcome, probe.subject) == ("probe", "refused", "alice")


def test_writes_need_the_csrf_token(john, sandbox, johns_apps):
    client = Client(enforce_csrf_checks=True)
    client.force_login(john)
    sandbox.clear_requests()
    response = client.post(reverse("connected_apps:revoke", args=[johns_apps[0]]))
    assert response.status_code == 403
    assert sandbox.writes() == []


# --- Revoking -----------------------------------------------------------------------------------


def test_the_revoke_confirmation_names_the_app_and_what_it_loses(john_client, sandbox, johns_apps):
    client_id = johns_apps[0]
    html = john_client.get(reverse("connected_apps:revoke", args=[client_id])).content.decode()
    assert f"Disconnect {sandbox.client_name(client_id)}?" in html
    assert "Data the app already received stays with it" in html
    assert 'class="scope__name"' in html


def test_revoking_ends_every_token_and_the_remembered_consent(john_client, sandbox, johns_apps):
    client_id = johns_apps[0]
    issued = sandbox.authorize(clientId=client_id, subject="john", scopes=["email"], refresh=True)
    response = john_client.post(reverse("connected_apps:revoke", args=[client_id]))
    assert response.status_code == 302
    assert client_id not in sandbox.authorized_client_ids("john")
    assert sandbox.introspect(issued["accessToken"])["existent"] is False
    assert sandbox.granted_scopes("john", client_id)["mergedGrantedScopes"] is None
    event = AuditEvent.objects.outcomes().get()
    assert (event.action, event.outcome, event.result_code) == ("revoke", "success", "A137001")
    followed = john_client.get(response["Location"]).content.decode()
    assert "was disconnected" in followed


def test_revoking_with_htmx_turns_the_row_into_the_result_and_updates_the_count(
    john_client, sandbox, johns_apps
):
    client_id = johns_apps[0]
    name = sandbox.client_name(client_id)
    response = john_client.post(
        reverse("connected_apps:revoke", args=[client_id]),
        HTTP_HX_CURRENT_URL="http://testserver/apps/",
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    # The row stays where it was, now saying what happened and what to do next.
    assert html.lstrip().startswith(
        f'<li class="app-card app-row app-row--gone" id="app-{client_id}"'
    )
    assert f"{name} is disconnected." in html
    assert reverse("account_change_password") in html
    # The count is swapped in out of band, already one less.
    assert 'id="app-list-count" class="muted app-list__count" hx-swap-oob="true"' in html
    assert f"{len(johns_apps) - 1} connected apps" in html
    assert 'id="messages"' in html and "was disconnected" in html


def test_revoking_with_htmx_from_a_search_counts_the_matches(john_client, sandbox, johns_apps):
    client_id = johns_apps[0]
    name = sandbox.client_name(client_id)
    response = john_client.post(
        reverse("connected_apps:revoke", args=[client_id]),
        HTTP_HX_CURRENT_URL=f"http://testserver/apps/?q={name.split()[0]}",
        **HTMX,
    )
    html = response.content.decode()
    assert "0 apps match" in html and "connected apps" not in html


def test_revoke_failing_upstream_says_nothing_changed_and_is_audited(
    john_client, sandbox, johns_apps
):
    client_id = johns_apps[0]
    sandbox.fault("status500", path="/client/authorization/delete/")
    response = john_client.post(reverse("connected_apps:revoke", args=[client_id]), **HTMX)
    html = response.content.decode()
    assert response.status_code == 503
    assert "Nothing was changed" in html and "Try again" in html
    assert "Traceback" not in html
    assert client_id in sandbox.authorized_client_ids("john")
    assert AuditEvent.objects.outcomes().get().outcome == "failed"


def test_revoke_all_asks_for_a_stronger_confirmation(john_client, sandbox, johns_apps):
    html = john_client.get(reverse("connected_apps:revoke_all")).content.decode()
    assert html.count("<li>") >= len(johns_apps)
    sandbox.clear_requests()
    response = john_client.post(reverse("connected_apps:revoke_all"), {})
    assert response.status_code == 400
    assert sandbox.writes() == []


def test_revoke_all_disconnects_everything_and_reports_it(john_client, sandbox, johns_apps):
    response = john_client.post(reverse("connected_apps:revoke_all"), {"confirm": "on"})
    assert response.status_code == 302
    assert sandbox.authorized_client_ids("john") == []
    assert AuditEvent.objects.outcomes().filter(action="revoke", outcome="success").count() == len(
        johns_apps
    )
    html = john_client.get(response["Location"]).content.decode()
    assert "Disconnected:" in html and "No apps are connected to your account" in html


def test_revoke_all_reports_exactly_which_apps_failed(john_client, sandbox, johns_apps):
    stuck = johns_apps[2]
    sandbox.fault("status500", path=f"/client/authorization/delete/{stuck}")
    response = john_client.post(reverse("connected_apps:revoke_all"), {"confirm": "on"})
    html = john_client.get(response["Location"]).content.decode()
    assert sandbox.authorized_client_ids("john") == [stuck]
    assert f"Could not disconnect: {sandbox.client_name(stuck)}" in html


# --- Errors and activity ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["status500", "malformed", "hang", "reset"])
def test_authlete_trouble_on_the_list_gives_a_short_message_and_a_retry(john_client, sandbox, kind):
    sandbox.fault(kind, path="/client/authorization/get/list")
    response = john_client.get(reverse("connected_apps:list"), **HTMX)
    html = response.content.decode()
    assert response.status_code in (502, 503)
    assert "Try again" in html and 'hx-get="/apps/"' in html
    assert "Traceback" not in html and "resultMessage" not in html
    sandbox.clear_faults()


def test_activity_shows_my_changes_and_what_support_did_with_the_reason(
    john_client, support_client, john, sandbox, johns_apps
):
    client_id = johns_apps[0]
    john_client.post(reverse("connected_apps:revoke", args=[client_id]))
    support_client.post(
        reverse("admin:staff_app_revoke", args=[john.username, johns_apps[1]]),
        {"reason": "Requested by phone, ticket 42"},
    )
    html = john_client.get(reverse("connected_apps:activity")).content.decode()
    assert "You disconnected" in html
    assert "Support disconnected" in html and "Requested by phone, ticket 42" in html


def test_activity_never_shows_other_peoples_changes(john_client, alice_client, sandbox):
    alices = sandbox.authorized_client_ids("alice")
    alice_client.post(reverse("connected_apps:revoke", args=[alices[0]]))
    html = john_client.get(reverse("connected_apps:activity")).content.decode()
    assert "No changes yet" in html


def test_acting_on_a_card_whose_app_is_already_gone_removes_it_and_says_why(
    john_client, sandbox, johns_apps
):
    client_id = johns_apps[0]
    sandbox.api("POST", f"/client/authorization/delete/{client_id}", json={"subject": "john"})
    response = john_client.get(reverse("connected_apps:revoke", args=[client_id]), **HTMX)
    html = response.content.decode()
    assert response.status_code == 404
    assert "app-card" not in html
    assert 'id="messages"' in html and "not connected to your account" in html
