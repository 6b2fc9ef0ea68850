"""The connected-app journeys in every Authlete mode that matters: the portal is right in each.

The sandbox models what the real service does (docs/authlete-behaviours.md), including what
nobody knows yet, as modes. Each journey runs here under the documented defaults and under the
other readings, and checks Authlete's own state afterwards, not only what the page says.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

import authlete_sandbox
from authlete_sandbox import seed as demo
from authlete_sandbox.modes import Modes
from connected_apps.models import AuditEvent
from connected_apps.services.audit import Actor, audit_attempt
from connected_apps.services.locks import longest_change_seconds
from tests.conftest import Sandbox

pytestmark = pytest.mark.django_db

# The sandbox's defaults are Authlete's documented behaviour (tests/authlete_sandbox/test_modes.py).
DOCUMENTED = Modes().as_json()
MODES = {
    "documented defaults": {},
    "dedicated server, refresh scopes follow": {"server": "dedicated", "refresh_scopes": "follow"},
    "unknown ids answered 400": {"unknown_id": 400},
    "API v2 with owner credentials": {"api": "v2"},
}
NOTES = demo.INKWELL_NOTES
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(params=list(MODES), ids=list(MODES))
def mode(request: Any, sandbox: Sandbox, settings: Any) -> str:
    changes = dict(MODES[request.param])
    if changes.pop("api", "v3") == "v2":
        settings.AUTHLETE_API_VERSION = "v2"
        settings.AUTHLETE_API_KEY = authlete_sandbox.API_KEY
        settings.AUTHLETE_API_SECRET = authlete_sandbox.API_SECRET
        settings.AUTHLETE_SERVICE_OWNER_API_KEY = authlete_sandbox.OWNER_API_KEY
        settings.AUTHLETE_SERVICE_OWNER_API_SECRET = authlete_sandbox.OWNER_API_SECRET
    sandbox.modes(**{**DOCUMENTED, **changes})
    return request.param


def _tokens(sandbox: Sandbox, client_id: int = NOTES) -> list[dict[str, Any]]:
    return list(sandbox.token_state(demo.SUBJECT_JOHN, client_id).values())


def _held(tokens: list[dict[str, Any]]) -> set[str]:
    return {s for t in tokens for s in (*t["scopes"], *(t.get("refreshTokenScopes") or []))}


def test_the_list_shows_every_app(mode, john_client, sandbox, johns_apps):
    html = john_client.get(reverse("connected_apps:list")).content.decode()
    assert f"{len(johns_apps)} connected apps" in html
    assert sandbox.client_name(johns_apps[0]) in html


def test_the_details_page_shows_the_app_and_its_tokens(mode, john_client, sandbox):
    # More tokens than one window of the token list holds: the page reads them all.
    for _ in range(21):
        sandbox.authorize(clientId=NOTES, subject=demo.SUBJECT_JOHN, scopes=["openid"])
    response = john_client.get(reverse("connected_apps:detail", args=[NOTES]))
    assert response.status_code == 200
    assert response.context["detail"].app.token_count == len(_tokens(sandbox)) >= 23


def test_an_unknown_app_is_not_found_not_an_error(mode, john_client):
    response = john_client.get(reverse("connected_apps:detail", args=[99_999_999_999]))
    assert response.status_code == 404


def test_narrowing_never_gives_any_token_a_scope_it_did_not_hold(mode, john_client, sandbox):
    before = {t["accessTokenHash"]: set(t["scopes"]) for t in _tokens(sandbox)}
    held = _held(_tokens(sandbox))
    keep = ["openid", "files.read"]
    removed = held - set(keep)
    response = john_client.post(reverse("connected_apps:narrow", args=[NOTES]), {"keep": keep})
    assert response.status_code == 302
    after = _tokens(sandbox)
    for token in after:
        assert set(token["scopes"]) <= before[token["accessTokenHash"]] - removed
        assert not set(token.get("refreshTokenScopes") or []) & removed
    event = AuditEvent.objects.outcomes().get(action="narrow")
    assert event.outcome == "success"
    assert set(event.values_before["tokens"]) == {h[:16] for h in before}
    page = john_client.get(response["Location"]).content.decode()
    assert "now keeps 2 permissions" in page or "had to be disconnected" in page


def test_narrowing_with_htmx_shows_what_authlete_now_holds(mode, john_client, sandbox):
    response = john_client.post(
        reverse("connected_apps:narrow", args=[NOTES]), {"keep": ["openid", "profile"]}, **HTMX
    )
    assert response.status_code == 200
    held = _held(_tokens(sandbox))
    assert held <= {"openid", "profile"}
    if held:
        assert set(response.context["app"].scopes) == held


def test_disconnecting_ends_every_token_and_is_confirmed(mode, john_client, sandbox):
    response = john_client.post(reverse("connected_apps:revoke", args=[NOTES]))
    assert response.status_code == 302
    assert _tokens(sandbox) == []
    assert NOTES not in sandbox.authorized_client_ids(demo.SUBJECT_JOHN)
    assert AuditEvent.objects.outcomes().get(action="revoke").outcome == "success"


def test_disconnecting_everything_reports_each_app(mode, john_client, sandbox, johns_apps):
    response = john_client.post(reverse("connected_apps:revoke_all"), {"confirm": "on"})
    assert response.status_code == 302
    assert sandbox.authorized_client_ids(demo.SUBJECT_JOHN) == []
    outcomes = (
        AuditEvent.objects.outcomes().filter(action="revoke").values_list("outcome", flat=True)
    )
    assert sorted(outcomes) == ["success"] * len(johns_apps)


def test_ending_one_token_keeps_the_others(mode, john_client, sandbox):
    issued = sandbox.authorize(clientId=NOTES, subject=demo.SUBJECT_JOHN, scopes=["openid"])
    others = {t["accessTokenHash"] for t in _tokens(sandbox)} - {issued["accessTokenHash"]}
    url = reverse("connected_apps:token_end", args=[NOTES, issued["accessTokenHash"][:16]])
    assert john_client.post(url).status_code == 302
    assert {t["accessTokenHash"] for t in _tokens(sandbox)} == others


def test_staff_narrowing_never_widens_either(mode, support_client, john, sandbox):
    before = {t["accessTokenHash"]: set(t["scopes"]) for t in _tokens(sandbox)}
    removed = _held(_tokens(sandbox)) - {"openid", "files.read"}
    response = support_client.post(
        reverse("admin:staff_app_narrow", args=[john.username, NOTES]),
        {"keep": ["openid", "files.read"], "reason": "Asked by phone"},
    )
    assert response.status_code == 302
    for token in _tokens(sandbox):
        assert set(token["scopes"]) <= before[token["accessTokenHash"]] - removed
        assert not set(token.get("refreshTokenScopes") or []) & removed
    event = AuditEvent.objects.outcomes().get(action="narrow")
    assert (event.outcome, event.on_behalf, event.reason) == ("success", True, "Asked by phone")


# --- What only some modes show --------------------------------------------------------------


def test_refresh_scopes_that_stay_wide_end_their_tokens_and_the_person_is_told(
    john_client, sandbox
):
    sandbox.modes(**DOCUMENTED)
    response = john_client.post(
        reverse("connected_apps:narrow", args=[NOTES]), {"keep": ["openid", "files.read"]}
    )
    page = john_client.get(response["Location"]).content.decode()
    # Both of john's tokens carry refresh tokens whose scopes an update leaves as issued.
    assert _tokens(sandbox) == []
    assert "had to be disconnected" in page
    event = AuditEvent.objects.outcomes().get(action="narrow")
    assert event.values_after["ended_tokens"] == 2
    activity = john_client.get(reverse("connected_apps:activity")).content.decode()
    assert "had to end so that it cannot regain" in activity


def test_a_token_that_cannot_read_clients_costs_cards_their_logos_not_the_page(
    john_client, sandbox, settings, johns_apps
):
    settings.AUTHLETE_SERVICE_TOKEN = authlete_sandbox.LIMITED_TOKEN
    response = john_client.get(reverse("connected_apps:list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert sandbox.client_name(johns_apps[0]) in html
    assert 'class="app-card__logo"' not in html


def test_v2_without_owner_credentials_shows_scope_names_instead_of_failing(
    john_client, sandbox, settings
):
    sandbox.modes(v2_owner_credentials=True)
    settings.AUTHLETE_API_VERSION = "v2"
    settings.AUTHLETE_API_KEY = authlete_sandbox.API_KEY
    settings.AUTHLETE_API_SECRET = authlete_sandbox.API_SECRET
    response = john_client.get(reverse("connected_apps:detail", args=[NOTES]))
    assert response.status_code == 200
    assert "files.read" in response.content.decode()


def test_an_unknown_outcome_is_settled_by_the_next_read(john_client, sandbox, settings):
    # Authlete acts on the disconnect, but its answer comes after the read timeout.
    settings.AUTHLETE_READ_TIMEOUT = 0.3
    settings.AUTHLETE_DEADLINE = 1.0
    sandbox.fault("latency", path="/client/authorization/delete/", delayMs=600)
    response = john_client.post(reverse("connected_apps:revoke", args=[NOTES]))
    assert "could not confirm whether your change was made" in response.content.decode()
    assert AuditEvent.objects.outcomes().get().outcome == "unknown"
    sandbox.clear_faults()
    # The sandbox finishes the delayed delete; then the person opens the list.
    deadline = time.monotonic() + 3
    while NOTES in sandbox.authorized_client_ids(demo.SUBJECT_JOHN) and time.monotonic() < deadline:
        time.sleep(0.05)
    john_client.get(reverse("connected_apps:list"))
    settled = AuditEvent.objects.outcomes().get(settles__isnull=False)
    assert (settled.outcome, settled.detail) == ("success", "Later confirmed: done.")
    activity = john_client.get(reverse("connected_apps:activity")).content.decode()
    assert "Confirmed later" in activity


def test_an_unknown_outcome_that_did_not_happen_is_settled_as_not_done(
    john_client, sandbox, settings
):
    settings.AUTHLETE_READ_TIMEOUT = 0.3
    settings.AUTHLETE_DEADLINE = 1.0
    sandbox.fault("hang", path="/client/authorization/delete/")
    john_client.post(reverse("connected_apps:revoke", args=[NOTES]))
    sandbox.clear_faults()
    # Right away, "not done" may only mean "not yet": Authlete could still act late.
    john_client.get(reverse("connected_apps:list"))
    assert AuditEvent.objects.outcomes().get().outcome == "unknown"
    # Once the change can no longer land it is final. The audit rows cannot be moved back in
    # time (the trail is append-only), so the longest change is made short and the test waits.
    settings.AUTHLETE_DEADLINE = 0.2
    time.sleep(longest_change_seconds() + 0.1)
    john_client.get(reverse("connected_apps:list"))
    settled = AuditEvent.objects.outcomes().get()
    assert (settled.outcome, settled.detail) == ("failed", "Later confirmed: not done.")
    assert NOTES in sandbox.authorized_client_ids(demo.SUBJECT_JOHN)
    activity = john_client.get(reverse("connected_apps:activity")).content.decode()
    assert "Not done — confirmed later" in activity


# --- A service that refuses the token list ---------------------------------------------------


@pytest.fixture
def no_token_list(sandbox: Sandbox) -> None:
    sandbox.modes(**{**DOCUMENTED, "token_list": "refused"})


def test_without_the_token_list_the_list_shows_every_app_and_says_why_once(
    no_token_list, john_client, sandbox, johns_apps
):
    html = john_client.get(reverse("connected_apps:list")).content.decode()
    assert f"{len(johns_apps)} connected apps" in html
    assert html.count("does not let us see what each app may do") == 1
    assert sandbox.client_name(johns_apps[0]) in html
    assert "Remove permissions" not in html and "It can" not in html
    assert html.count(">Disconnect</a>") == 10


def test_without_the_token_list_details_show_who_the_app_is(no_token_list, john_client, sandbox):
    response = john_client.get(reverse("connected_apps:detail", args=[NOTES]))
    html = response.content.decode()
    assert response.status_code == 200
    assert sandbox.client_name(NOTES) in html
    assert "does not let us see what each app may do" in html
    assert "Active access" not in html and "Remove permissions" not in html


def test_without_the_token_list_an_app_not_listed_is_not_found(no_token_list, alice_client):
    response = alice_client.get(reverse("connected_apps:detail", args=[demo.HARBOR_BACKUP]))
    assert response.status_code == 404


def test_without_the_token_list_disconnecting_works_and_is_confirmed(
    no_token_list, john_client, sandbox
):
    response = john_client.post(reverse("connected_apps:revoke", args=[NOTES]))
    assert response.status_code == 302
    assert NOTES not in sandbox.authorized_client_ids(demo.SUBJECT_JOHN)
    assert AuditEvent.objects.outcomes().get(action="revoke").outcome == "success"


def test_without_the_token_list_disconnecting_everything_works(
    no_token_list, john_client, sandbox, johns_apps
):
    john_client.post(reverse("connected_apps:revoke_all"), {"confirm": "on"})
    assert sandbox.authorized_client_ids(demo.SUBJECT_JOHN) == []
    assert AuditEvent.objects.outcomes().filter(action="revoke", outcome="success").count() == len(
        johns_apps
    )


@pytest.mark.parametrize("method", ["get", "post"])
def test_without_the_token_list_removing_permissions_is_refused_and_never_sent(
    no_token_list, john_client, sandbox, method
):
    sandbox.clear_requests()
    url = reverse("connected_apps:narrow", args=[NOTES])
    response = getattr(john_client, method)(url, {"keep": ["openid"]} if method == "post" else {})
    assert response.status_code == 409
    assert "cannot be removed one by one" in response.content.decode()
    assert sandbox.writes() == []
    if method == "post":
        event = AuditEvent.objects.outcomes().get()
        assert (event.action, event.outcome) == ("narrow", "refused")


def test_without_the_token_list_the_staff_console_offers_disconnect_only(
    no_token_list, support_client, john, sandbox
):
    page = support_client.get(reverse("admin:staff_subject", args=[john.username]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "does not let the portal read tokens" in html
    assert "Remove permissions…" not in html and "Disconnect…" in html
    sandbox.clear_requests()
    response = support_client.post(
        reverse("admin:staff_app_narrow", args=[john.username, NOTES]),
        {"keep": ["openid"], "reason": "Ticket 9"},
        follow=True,
    )
    assert "permissions cannot be removed" in response.content.decode()
    assert sandbox.writes() == []
    assert AuditEvent.objects.outcomes().get().outcome == "refused"
    support_client.post(
        reverse("admin:staff_app_revoke", args=[john.username, NOTES]), {"reason": "Ticket 9"}
    )
    assert NOTES not in sandbox.authorized_client_ids(demo.SUBJECT_JOHN)


@pytest.mark.parametrize("refresh", ["stay", "follow"])
def test_staff_narrowing_one_token_never_leaves_a_wider_refresh_token(
    refresh, support_client, john, sandbox
):
    sandbox.modes(**{**DOCUMENTED, "refresh_scopes": refresh})
    issued = sandbox.authorize(
        clientId=NOTES, subject=demo.SUBJECT_JOHN, scopes=["openid", "profile", "email"]
    )
    assert issued.get("refreshToken"), "the demo service issues refresh tokens"
    prefix = f"tok-{issued['accessTokenHash'][:16]}"
    response = support_client.post(
        reverse("admin:staff_token_narrow", args=[john.username, NOTES, issued["accessTokenHash"]]),
        {"reason": "Asked by phone", f"{prefix}-keep": ["openid", "email"]},
        follow=True,
    )
    notes = " ".join(str(m) for m in response.context["messages"])
    token = sandbox.token_state(demo.SUBJECT_JOHN, NOTES).get(issued["accessTokenHash"])
    if refresh == "stay":
        assert token is None and "then ended it" in notes
    else:
        assert token["scopes"] == ["openid", "email"]
        assert "profile" not in (token.get("refreshTokenScopes") or [])
        assert "Narrowed the scopes of token" in notes


def test_a_change_is_on_record_before_anything_reaches_authlete(transactional_db, john, sandbox):
    sandbox.fault("latency", path="/client/authorization/delete/", delayMs=700)
    client = Client()
    client.force_login(john)

    def disconnect() -> None:
        try:
            client.post(reverse("connected_apps:revoke", args=[NOTES]))
        finally:
            connections.close_all()

    worker = threading.Thread(target=disconnect)
    worker.start()
    # While Authlete holds the disconnect, the trail already says it was sent, unconfirmed.
    deadline = time.monotonic() + 2
    while not AuditEvent.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    attempt = AuditEvent.objects.get()
    assert (attempt.action, attempt.outcome) == ("revoke", "unknown")
    assert "not confirmed yet" in attempt.detail
    worker.join()
    assert AuditEvent.objects.outcomes().get().outcome in ("success", "unknown")


def test_an_attempt_whose_worker_died_is_settled_by_the_task_worker(
    transactional_db, john, sandbox, settings
):
    # The portal recorded the attempt and sent the disconnect, then its worker was killed
    # before it could record the answer; Authlete had acted.
    attempt = audit_attempt(
        actor=Actor(user=john),
        subject=demo.SUBJECT_JOHN,
        client_id=NOTES,
        client_name="Inkwell Notes",
        action=AuditEvent.Action.REVOKE,
    )
    sandbox.api("POST", f"/client/authorization/delete/{NOTES}", json={"subject": "john"})
    queued = DBTaskResult.objects.get()
    assert queued.run_after >= attempt.created_at + timedelta(seconds=longest_change_seconds())
    # The change could still be running until its longest time has passed. The audit rows
    # cannot be moved back in time (the trail is append-only), so that time is made short
    # and the test waits it out.
    settings.AUTHLETE_DEADLINE = 0.2
    time.sleep(longest_change_seconds() + 0.1)
    DBTaskResult.objects.filter(pk=queued.pk).update(run_after=timezone.now())
    call_command("db_worker", "--batch", "--no-startup-delay")
    final = AuditEvent.objects.outcomes().get()
    assert (final.outcome, final.confirmed_later, final.settles) == ("success", True, attempt)


def test_a_late_change_read_too_soon_is_not_settled_as_not_done(john_client, sandbox, settings):
    # Authlete carries the disconnect out after the portal gave up waiting; the person opens
    # the list before it lands. That read must not record "not done" for good.
    settings.AUTHLETE_READ_TIMEOUT = 0.3
    settings.AUTHLETE_DEADLINE = 1.0
    sandbox.fault("latency", path="/client/authorization/delete/", delayMs=900)
    john_client.post(reverse("connected_apps:revoke", args=[NOTES]))
    john_client.get(reverse("connected_apps:list"))
    assert not AuditEvent.objects.filter(confirmed_later=True).exists()
    deadline = time.monotonic() + 3
    while NOTES in sandbox.authorized_client_ids(demo.SUBJECT_JOHN) and time.monotonic() < deadline:
        time.sleep(0.05)
    john_client.get(reverse("connected_apps:list"))
    final = AuditEvent.objects.outcomes().get()
    assert (final.outcome, final.confirmed_later) == ("success", True)
