"""The staff console: finding a person, seeing their apps, acting by role, and the audit trail."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse

from authlete_sandbox import seed as demo
from connected_apps.models import AuditEvent

pytestmark = pytest.mark.django_db

JOHN = demo.SUBJECT_JOHN
CAROL = demo.SUBJECT_CAROL  # has grants in Authlete, and no portal account
TEMPO = demo.TEMPO_PLANNER
NOTES = demo.INKWELL_NOTES
READ_ONLY, ACTING, INCIDENT = "Support — read only", "Support — acting", "Incident response"


def _staff_in(make_user: Any, username: str, group: str) -> Client:
    staff = make_user(username, staff=True)
    staff.groups.add(Group.objects.get(name=group))
    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture
def reader(make_user: Any) -> Client:
    return _staff_in(make_user, "reader", READ_ONLY)


@pytest.fixture
def agent(make_user: Any) -> Client:
    return _staff_in(make_user, "agent", ACTING)


def _subject_url(subject: str = JOHN, **query: str) -> str:
    url = reverse("admin:staff_subject", args=[subject])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def _messages(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- Find ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["john", "JOHN", "john@example.com"])
def test_a_username_or_email_naming_one_person_opens_their_page(reader, john, query):
    response = reader.get(reverse("admin:staff_console"), {"q": query})
    assert response.status_code == 302
    assert response["Location"] == _subject_url(JOHN)


def test_a_subject_set_on_an_account_finds_that_account(reader, make_user, sandbox):
    make_user("carol", subject=CAROL)
    response = reader.get(reverse("admin:staff_console"), {"q": CAROL}, follow=True)
    assert response.redirect_chain[-1][0] == _subject_url(CAROL)
    assert "carol" in response.content.decode()


def test_a_partial_query_lists_the_matches_with_their_subjects(reader, make_user):
    make_user("johanna")
    make_user("john")
    make_user("nosubject", subject="")
    response = reader.get(reverse("admin:staff_console"), {"q": "jo"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "2 accounts match" in html
    assert _subject_url("johanna") in html and _subject_url(JOHN) in html
    assert "Open the subject “jo” as typed" in html


def test_the_admin_index_starts_with_the_console_search(reader):
    html = reader.get(reverse("admin:index")).content.decode()
    assert 'action="/admin/console/"' in html
    assert "Find a person by subject, username or e-mail" in html


def test_an_old_link_by_account_id_leads_to_the_subject_page(reader, john):
    response = reader.get(reverse("admin:staff_person_apps", args=[john.pk]))
    assert response.status_code == 302
    assert response["Location"] == _subject_url(JOHN)


# --- See what they see ---------------------------------------------------------------------------


def test_a_subject_without_an_account_shows_its_authlete_grants(reader, sandbox):
    response = reader.get(_subject_url(CAROL))
    html = response.content.decode()
    assert response.status_code == 200
    assert "No portal account maps to this subject" in html
    for client_id in sandbox.authorized_client_ids(CAROL):
        assert sandbox.client_name(client_id) in html
    assert "2 connected apps" in html


def test_the_person_page_shows_the_rows_the_person_sees_with_paging(reader, john, sandbox):
    first = reader.get(_subject_url(JOHN, sort="name")).content.decode()
    second = reader.get(_subject_url(JOHN, sort="name", page="2")).content.decode()
    assert "14 connected apps" in first
    assert "Page 1 of 2" in first and "Page 2 of 2" in second
    names = sorted(demo.CLIENT_NAMES[c] for c in demo.DEMO_GRANTS[JOHN])
    assert names[0] in first and names[-1] in second and names[-1] not in first
    # The person's own partials: logo served for the console, identity, last active.
    assert reverse("admin:staff_app_logo", args=[JOHN, TEMPO]) in first + second
    assert "Last active" in first


def test_search_and_filters_narrow_the_persons_list(reader, john, sandbox):
    searched = reader.get(_subject_url(JOHN, q="tempo")).content.decode()
    assert "1 app matches “tempo”" in searched and demo.CLIENT_NAMES[TEMPO] in searched
    away = reader.get(_subject_url(JOHN, filter="away"))
    assert away.status_code == 200
    assert "of 14 apps" in away.content.decode()
    unknown = reader.get(_subject_url(JOHN, filter="bogus"))
    assert unknown.status_code == 400
    assert "These filters are not known" in unknown.content.decode()


def test_one_apps_page_lists_its_tokens_by_hash_prefix(reader, john, issued):
    response = reader.get(reverse("admin:staff_app", args=[JOHN, NOTES]))
    html = response.content.decode()
    assert response.status_code == 200
    assert f"<code>{issued['accessTokenHash'][:8]}…</code>" in html
    assert issued["accessToken"] not in html
    # Read-only support sees the tokens, not the tools.
    assert "Change token" not in html and "End token" not in html


# --- Roles ---------------------------------------------------------------------------------------


def test_the_three_roles_are_groups_with_their_permissions():
    def codenames(group: str) -> set[str]:
        return set(Group.objects.get(name=group).permissions.values_list("codename", flat=True))

    assert codenames(READ_ONLY) == {"view_people_apps", "view_auditevent"}
    assert codenames(ACTING) == {"view_people_apps", "act_on_people_apps", "view_auditevent"}
    assert "disconnect_app_everywhere" in codenames(INCIDENT)
    assert Permission.objects.filter(codename="disconnect_app_everywhere").exists()


def test_read_only_support_sees_no_buttons(reader, john, sandbox):
    html = reader.get(_subject_url(JOHN)).content.decode()
    assert "apps but not change them." in html
    assert "Disconnect…" not in html and "Disconnect all apps…" not in html
    assert "Remove permissions…" not in html


def test_read_only_support_is_refused_every_change(reader, john, sandbox, issued):
    token = issued["accessTokenHash"]
    urls = [
        reverse("admin:staff_app_revoke", args=[JOHN, TEMPO]),
        reverse("admin:staff_app_narrow", args=[JOHN, TEMPO]),
        reverse("admin:staff_revoke_all", args=[JOHN]),
        reverse("admin:staff_token_delete", args=[JOHN, NOTES, token]),
        reverse("admin:staff_token_narrow", args=[JOHN, NOTES, token]),
        reverse("admin:staff_token_expiry", args=[JOHN, NOTES, token]),
        reverse("admin:staff_token_properties", args=[JOHN, NOTES, token]),
    ]
    sandbox.clear_requests()
    for url in urls:
        response = reader.post(url, {"reason": "Trying", "keep": ["openid"]})
        assert response.status_code == 403, url
        assert "Your role cannot change people" in response.content.decode()
    for url in urls[:4]:
        assert reader.get(url).status_code == 403
    assert sandbox.writes() == []
    assert set(demo.DEMO_GRANTS[JOHN]) == set(sandbox.authorized_client_ids(JOHN))


def test_staff_without_a_support_role_get_a_kind_403(make_user, john):
    client = Client()
    client.force_login(make_user("intern", staff=True))
    for url in (reverse("admin:staff_console"), _subject_url(), reverse("admin:staff_audit")):
        response = client.get(url)
        assert response.status_code == 403
        assert "Your role cannot open the staff console" in response.content.decode()


def test_the_older_manage_permission_still_acts(support_client, john, sandbox):
    response = support_client.post(
        reverse("admin:staff_app_revoke", args=[JOHN, TEMPO]), {"reason": "Legacy role"}
    )
    assert response.status_code == 302
    assert TEMPO not in sandbox.authorized_client_ids(JOHN)


# --- Act with a reason ---------------------------------------------------------------------------


def test_the_disconnect_confirmation_says_what_happens_and_that_the_person_sees_it(
    agent, john, sandbox
):
    response = agent.get(reverse("admin:staff_app_revoke", args=[JOHN, TEMPO]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "every one of its tokens ends" in html
    assert "john will see this change in their activity as done by support" in html
    assert html.count('name="reason"') == 1


def test_acting_support_disconnects_with_a_reason_and_the_person_reads_it(
    agent, john, john_client, sandbox
):
    response = agent.post(
        reverse("admin:staff_app_revoke", args=[JOHN, TEMPO]),
        {"reason": "Customer reported posts they did not make"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == _subject_url(JOHN)
    assert "Disconnected Tempo Planner. john will see this" in " ".join(_messages(response))
    assert TEMPO not in sandbox.authorized_client_ids(JOHN)
    event = AuditEvent.objects.outcomes().get(action=AuditEvent.Action.REVOKE)
    assert (event.actor_username, event.on_behalf, event.outcome) == ("agent", True, "success")
    assert event.reason == "Customer reported posts they did not make"
    activity = john_client.get(reverse("connected_apps:activity")).content.decode()
    assert "(by support)" in activity or "Support" in activity
    assert "Customer reported posts they did not make" in activity


def test_an_empty_reason_is_a_clear_error_that_changes_nothing(agent, john, sandbox):
    sandbox.clear_requests()
    response = agent.post(reverse("admin:staff_app_revoke", args=[JOHN, TEMPO]), {"reason": "  "})
    assert response.status_code == 400
    assert "Give a reason" in response.content.decode()
    assert sandbox.writes() == []
    assert TEMPO in sandbox.authorized_client_ids(JOHN)
    refused = AuditEvent.objects.get()
    assert (refused.outcome, refused.refusal) == ("refused", "no_reason")


def test_acting_support_removes_one_permission_after_confirming(agent, john, sandbox):
    client_id, scopes = sandbox.narrowable(JOHN, list(demo.DEMO_GRANTS[JOHN]))
    url = reverse("admin:staff_app_narrow", args=[JOHN, client_id])
    assert "If removed" in agent.get(url).content.decode() or agent.get(url).status_code == 200
    response = agent.post(url, {"keep": scopes[:1], "reason": "Asked by phone"}, follow=True)
    assert "john will see this" in " ".join(_messages(response))
    assert {tuple(s) for s in sandbox.token_scopes(JOHN, client_id)} == {(scopes[0],)}


def test_narrowing_to_nothing_is_refused_and_nothing_changes(agent, john, sandbox):
    client_id, _scopes = sandbox.narrowable(JOHN, list(demo.DEMO_GRANTS[JOHN]))
    sandbox.clear_requests()
    response = agent.post(
        reverse("admin:staff_app_narrow", args=[JOHN, client_id]), {"reason": "x"}
    )
    assert response.status_code == 400
    assert "You unchecked every permission" in response.content.decode()
    assert sandbox.writes() == []
    assert AuditEvent.objects.get().refusal == "invalid"


def test_ending_one_token_leaves_the_app_connected(agent, john, sandbox, issued):
    token = issued["accessTokenHash"]
    url = reverse("admin:staff_token_delete", args=[JOHN, NOTES, token])
    assert "End token" in agent.get(url).content.decode()
    response = agent.post(url, {"reason": "Lost phone"}, follow=True)
    assert "Ended token" in " ".join(_messages(response))
    assert token not in sandbox.token_state(JOHN, NOTES)
    assert NOTES in sandbox.authorized_client_ids(JOHN)


def test_disconnect_all_lists_every_app_and_disconnects_them(agent, john, sandbox):
    url = reverse("admin:staff_revoke_all", args=[JOHN])
    confirm = agent.get(url).content.decode()
    assert all(demo.CLIENT_NAMES[c] in confirm for c in demo.DEMO_GRANTS[JOHN])
    response = agent.post(url, {"reason": "Account takeover"}, follow=True)
    assert "Disconnected:" in " ".join(_messages(response))
    assert sandbox.authorized_client_ids(JOHN) == []
    assert AuditEvent.objects.outcomes().filter(reason="Account takeover").count() == 14


def test_a_subject_without_an_account_can_be_acted_on_and_is_audited_under_it(agent, sandbox):
    client_id = sandbox.authorized_client_ids(CAROL)[0]
    agent.post(reverse("admin:staff_app_revoke", args=[CAROL, client_id]), {"reason": "Ticket"})
    assert client_id not in sandbox.authorized_client_ids(CAROL)
    assert AuditEvent.objects.outcomes().get().subject == CAROL


def test_an_app_not_connected_is_said_plainly(agent, john, sandbox):
    response = agent.post(reverse("admin:staff_app_revoke", args=[JOHN, 1]), {"reason": "x"})
    assert response.status_code == 404
    assert "not connected to john" in response.content.decode()
    assert AuditEvent.objects.get().refusal == "not_yours"


def test_an_authlete_outage_is_a_page_not_a_stack_trace(agent, john, sandbox):
    sandbox.fault("status500", "/client/authorization/delete/")
    response = agent.post(
        reverse("admin:staff_app_revoke", args=[JOHN, TEMPO]), {"reason": "Ticket 9"}
    )
    html = response.content.decode()
    assert response.status_code in (502, 503)
    assert "Nothing was changed" in html and "Traceback" not in html
    assert ">Ticket 9</textarea>" in html  # the reason stays, to try again
    assert TEMPO in sandbox.authorized_client_ids(JOHN)
    assert AuditEvent.objects.outcomes().get().outcome == "failed"


def test_an_answer_that_never_came_is_not_called_nothing_changed(agent, john, sandbox):
    sandbox.fault("latency", "/client/authorization/delete/", delayMs=4000)
    response = agent.post(
        reverse("admin:staff_app_revoke", args=[JOHN, TEMPO]), {"reason": "Ticket 9"}
    )
    html = response.content.decode()
    assert response.status_code in (502, 503)
    assert "it may have been made" in html and "Nothing was changed" not in html
    assert AuditEvent.objects.outcomes().get().outcome == "unknown"


# --- Who did what --------------------------------------------------------------------------------


@pytest.fixture
def history(agent: Client, john: Any, sandbox: Any, make_user: Any) -> None:
    """Three changes: two by support for john (one refused), one by john himself."""
    agent.post(reverse("admin:staff_app_revoke", args=[JOHN, TEMPO]), {"reason": "Ticket 1"})
    agent.post(reverse("admin:staff_app_revoke", args=[JOHN, NOTES]), {"reason": ""})
    person = Client()
    person.force_login(john)
    person.post(reverse("connected_apps:revoke", args=[demo.DEMO_GRANTS[JOHN][-1]]))


def _trail(client: Client, **filters: Any) -> Any:
    return client.get(reverse("admin:staff_audit"), filters)


def _rows(response: Any) -> list[AuditEvent]:
    return list(response.context["page"].object_list)


@pytest.mark.parametrize(
    ("filters", "count"),
    [
        ({}, 3),
        ({"subject": JOHN}, 3),
        ({"subject": "alice"}, 0),
        ({"client_id": TEMPO}, 1),
        ({"actor": "agent"}, 2),
        ({"actor": "john"}, 1),
        ({"action": "revoke"}, 3),
        ({"outcome": "refused"}, 1),
        ({"actor": "agent", "outcome": "success"}, 1),
        ({"date_from": date.today().isoformat(), "date_to": date.today().isoformat()}, 3),
        ({"date_from": (date.today() + timedelta(days=2)).isoformat()}, 0),
        ({"date_to": (date.today() - timedelta(days=2)).isoformat()}, 0),
    ],
)
def test_the_audit_filters(reader, history, filters, count):
    response = _trail(reader, **filters)
    assert response.status_code == 200
    assert len(_rows(response)) == count


def test_each_audit_row_links_to_the_person_and_the_app(reader, history):
    html = _trail(reader, client_id=TEMPO).content.decode()
    assert f'href="{_subject_url(JOHN)}"' in html
    assert reverse("admin:staff_app", args=[JOHN, TEMPO]) in html
    assert "Ticket 1" in html and "agent" in html


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"client_id": "abc"}, "Enter a whole number"),
        ({"date_from": "yesterday"}, "Enter a valid date"),
        ({"date_from": "2026-02-02", "date_to": "2026-01-01"}, "is after the"),
        ({"action": "explode"}, "Select a valid choice"),
    ],
)
def test_bad_audit_filters_get_a_clear_message(reader, history, filters, message):
    response = _trail(reader, **filters)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and "nothing is listed until they are fixed" in html
    assert "page" not in response.context or not response.context.get("page")


def test_the_csv_holds_exactly_the_filtered_rows_and_is_never_cached(reader, history):
    response = reader.get(reverse("admin:staff_audit_csv"), {"actor": "agent"})
    assert response.streaming
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Disposition"].startswith('attachment; filename="audit-')
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["actor"], r["outcome"], r["reason"]) for r in rows] == [
        ("agent", "refused", ""),
        ("agent", "success", "Ticket 1"),
    ]
    assert all(r["subject"] == JOHN for r in rows)


def test_the_csv_cannot_smuggle_a_formula_into_a_spreadsheet(reader, agent, john, sandbox):
    agent.post(
        reverse("admin:staff_app_revoke", args=[JOHN, TEMPO]),
        {"reason": '=HYPERLINK("http://evil.example","click")'},
    )
    response = reader.get(reverse("admin:staff_audit_csv"))
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0]["reason"] == '\'=HYPERLINK("http://evil.example","click")'


def test_bad_filters_on_the_csv_export_nothing(reader, history):
    response = reader.get(reverse("admin:staff_audit_csv"), {"date_to": "never"})
    assert response.status_code == 400
    assert not getattr(response, "streaming", False)
