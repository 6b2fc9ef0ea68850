"""Incident response: an app disconnected from everyone, through the pages, against the sandbox."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from connected_apps.models import AuditEvent
from connected_apps.staff import roles
from connected_apps.sweep_models import Sweep, SweepItem

# The task worker runs here as it does beside the site: on committed rows.
pytestmark = pytest.mark.django_db(transaction=True)

PEOPLE = ["ada", "bob", "cyd", "dee"]
INCIDENT, ACTING = "Incident response", "Support — acting"


def _staff_in(make_user: Any, username: str, group: str) -> Client:
    # Tables are emptied between these tests, the migration's groups with them: made again here.
    role, _ = Group.objects.get_or_create(name=group)
    role.permissions.set(
        Permission.objects.filter(
            content_type__app_label="connected_apps", codename__in=roles.GROUPS[group]
        )
    )
    staff = make_user(username, staff=True)
    staff.groups.add(role)
    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture
def responder(make_user: Any) -> Client:
    return _staff_in(make_user, "responder", INCIDENT)


@pytest.fixture
def rogue(sandbox: Any) -> int:
    """An app every one of PEOPLE authorised (two tokens for ada), beside the demo world."""
    body = {"clientName": "Rogue Widget", "redirectUris": ["https://rogue.example/cb"]}
    client_id = sandbox.api("POST", "/client/create", json=body).json()["clientId"]
    for subject in [*PEOPLE, "ada"]:
        sandbox.authorize(clientId=client_id, subject=subject, scopes=["openid", "profile"])
    return client_id


def _tokens_of(sandbox: Any, client_id: int) -> list[dict[str, Any]]:
    return sandbox.control("GET", "state/tokens", params={"clientId": client_id})


def _start(client: Client, client_id: int, **form: str) -> Any:
    url = reverse("admin:staff_incident_start", args=[client_id])
    return client.post(url, {"reason": "Client secret leaked", "lock": "on", **form})


def _work() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)


def test_the_app_page_counts_who_holds_it_and_lists_them(responder, rogue, make_user):
    make_user("bob")
    response = responder.get(reverse("admin:staff_incident_app", args=[rogue]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "5 tokens of this app are live." in html
    assert "4 people hold them." in html
    assert reverse("admin:staff_subject", args=["bob"]) in html
    assert all(f"<code>{subject}</code>" in html for subject in PEOPLE)


def test_search_by_username_shows_only_that_holder(responder, rogue, make_user):
    make_user("cyd")
    response = responder.get(reverse("admin:staff_incident_app", args=[rogue]), {"q": "cyd"})
    html = response.content.decode()
    assert "<code>cyd</code>" in html and "<code>ada</code>" not in html


def test_the_console_finds_the_app_by_name_and_by_id(responder, rogue):
    by_name = responder.get(reverse("admin:staff_incident"), {"q": "rogue"})
    assert reverse("admin:staff_incident_app", args=[rogue]) in by_name.content.decode()
    by_id = responder.get(reverse("admin:staff_incident"), {"q": str(rogue)})
    assert by_id["Location"] == reverse("admin:staff_incident_app", args=[rogue])


def test_disconnecting_from_everyone_locks_the_app_and_leaves_no_token(responder, rogue, sandbox):
    response = _start(responder, rogue)
    sweep = Sweep.objects.get()
    assert response["Location"] == reverse("admin:staff_incident_sweep", args=[sweep.pk])
    locked = sandbox.api("GET", f"/client/get/{rogue}").json()
    assert locked["locked"] is True
    refused = requests.post(
        f"{sandbox.url}/_sandbox/authorize",
        json={"clientId": rogue, "subject": "eve", "scopes": ["openid"]},
        timeout=10,
    )
    assert refused.status_code == 403
    _work()
    assert _tokens_of(sandbox, rogue) == []
    sweep.refresh_from_db()
    assert sweep.status == Sweep.Status.FINISHED
    assert sorted(sweep.items.values_list("subject", "status")) == [(p, "done") for p in PEOPLE]
    # One completed disconnect per person, each with the reason, done for them by support.
    done = AuditEvent.objects.outcomes().filter(action=AuditEvent.Action.REVOKE, client_id=rogue)
    assert sorted(e.subject for e in done) == PEOPLE
    assert {(e.outcome, e.reason, e.on_behalf, e.actor_username) for e in done} == {
        ("success", "Client secret leaked", True, "responder")
    }
    lock = AuditEvent.objects.get(action=AuditEvent.Action.CLIENT_UPDATE, client_id=rogue)
    assert (lock.outcome, lock.values_after, lock.reason) == (
        "success",
        {"locked": True},
        "Client secret leaked",
    )


def test_the_report_says_who_was_disconnected(responder, rogue):
    _start(responder, rogue)
    _work()
    sweep = Sweep.objects.get()
    response = responder.get(reverse("admin:staff_incident_sweep", args=[sweep.pk]))
    html = response.content.decode()
    assert "No longer holding the app: 4 of 4. Failed: 0." in html
    assert 'http-equiv="refresh"' not in html and "hx-trigger" not in html
    assert all(f"<code>{subject}</code>" in html for subject in PEOPLE)


def test_progress_refreshes_itself_with_htmx_and_without_javascript(responder, rogue):
    _start(responder, rogue)
    url = reverse("admin:staff_incident_sweep", args=[Sweep.objects.get().pk])
    page = responder.get(url).content.decode()
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page
    assert 'hx-trigger="every 2s"' in page and ">Refresh</a>" in page
    fragment = responder.get(url, headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith('<section id="sweep-progress"')
    assert "<html" not in fragment


def test_a_second_start_is_refused_and_recorded(responder, rogue, sandbox):
    _start(responder, rogue)
    first = Sweep.objects.get()
    again = _start(responder, rogue, lock="")
    assert again["Location"] == reverse("admin:staff_incident_sweep", args=[first.pk])
    assert Sweep.objects.count() == 1
    refused = AuditEvent.objects.get(outcome="refused", client_id=rogue)
    assert refused.refusal == AuditEvent.Refusal.INVALID
    _work()
    assert _tokens_of(sandbox, rogue) == []


def test_a_start_without_a_reason_changes_nothing(responder, rogue, sandbox):
    response = _start(responder, rogue, reason="")
    assert response.status_code == 400
    assert "Give a reason" in response.content.decode()
    assert not Sweep.objects.exists()
    assert len(_tokens_of(sandbox, rogue)) == 5
    assert sandbox.api("GET", f"/client/get/{rogue}").json().get("locked") is not True
    assert AuditEvent.objects.get(client_id=rogue).refusal == AuditEvent.Refusal.NO_REASON


def test_acting_support_without_the_incident_role_is_refused(make_user, rogue, sandbox):
    agent = _staff_in(make_user, "agent", ACTING)
    assert agent.get(reverse("admin:staff_incident_app", args=[rogue])).status_code == 403
    response = _start(agent, rogue)
    assert response.status_code == 403
    assert not Sweep.objects.exists()
    assert len(_tokens_of(sandbox, rogue)) == 5


def test_a_429_with_retry_after_makes_the_sweep_wait_then_finish(responder, rogue, sandbox):
    # Longer than a page's deadline (2.5 s in the tests): the transport gives up at once and
    # the sweep itself must wait as Authlete asked.
    sandbox.fault("status429", path="/client/authorization/delete/", retryAfter=3, times=1)
    _start(responder, rogue)
    sandbox.clear_requests()
    _work()
    assert _tokens_of(sandbox, rogue) == []
    calls = [r for r in sandbox.requests() if r["path"].startswith("/api/")]
    refused = next(i for i, r in enumerate(calls) if r["status"] == 429)
    assert calls[refused + 1]["at"] - calls[refused]["at"] >= 3000
    sweep = Sweep.objects.get()
    assert sweep.waited_seconds >= 3
    assert sorted(sweep.items.values_list("status", flat=True)) == ["done"] * 4


def test_failures_are_reported_with_why_and_can_be_tried_again(responder, rogue, sandbox, settings):
    settings.AUTHLETE_BREAKER_FAILURES = 0
    sandbox.fault("status500", path="/client/authorization/delete/")
    _start(responder, rogue)
    _work()
    sweep = Sweep.objects.get()
    assert set(sweep.items.values_list("status", "outcome")) == {("failed", "unavailable")}
    report = responder.get(reverse("admin:staff_incident_sweep", args=[sweep.pk]))
    html = report.content.decode()
    assert "Authlete was unavailable" in html and "Try the 4 failures again" in html
    sandbox.clear_faults()
    retry = reverse("admin:staff_incident_retry", args=[sweep.pk])
    responder.post(retry)
    _work()
    assert _tokens_of(sandbox, rogue) == []
    assert set(SweepItem.objects.values_list("status", flat=True)) == {"done"}


def test_pacing_keeps_the_sweep_under_its_limit(responder, rogue, sandbox, settings):
    settings.PORTAL_SWEEP_REQUESTS_PER_SECOND = 10
    _start(responder, rogue)
    sandbox.clear_requests()
    started = time.monotonic()
    _work()
    elapsed = time.monotonic() - started
    calls = [r for r in sandbox.requests() if r["path"].startswith("/api/")]
    assert len(calls) / elapsed <= 10 * 1.05
    sweep = Sweep.objects.get()
    assert sweep.authlete_calls == len(calls)


def test_when_the_lock_fails_nothing_starts_and_the_attempt_is_recorded(responder, rogue, sandbox):
    sandbox.fault("status500", path="/client/lock_flag/update/")
    response = _start(responder, rogue)
    assert response["Location"] == reverse("admin:staff_incident_start", args=[rogue])
    assert not Sweep.objects.exists()
    assert len(_tokens_of(sandbox, rogue)) == 5
    lock = AuditEvent.objects.get(action=AuditEvent.Action.CLIENT_UPDATE, client_id=rogue)
    assert (lock.outcome, lock.reason) == ("failed", "Client secret leaked")


def test_failures_cannot_be_retried_while_the_sweep_runs(responder, rogue):
    _start(responder, rogue)
    sweep = Sweep.objects.get()
    SweepItem.objects.create(sweep=sweep, subject="zed", status=SweepItem.Status.FAILED)
    response = responder.post(reverse("admin:staff_incident_retry", args=[sweep.pk]))
    assert response.status_code == 302
    assert SweepItem.objects.get(subject="zed").status == SweepItem.Status.FAILED
