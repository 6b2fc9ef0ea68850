"""Every bad, stale or failing address lands in the portal's shell with a way back."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from authlete_sandbox import seed as demo
from connected_apps.models import AuditEvent
from portal.errors import server_error

NOTES = demo.INKWELL_NOTES


def _disconnect_behind_the_portals_back(sandbox: Any, client_id: int) -> None:
    """As another tab or the app itself would: the portal's page is now stale."""
    sandbox.api("POST", f"/client/authorization/delete/{client_id}", json={"subject": "john"})


# --- Not found ------------------------------------------------------------------------------------


def test_an_unknown_address_is_a_branded_page_with_the_menu_and_a_way_back(john_client, sandbox):
    response = john_client.get("/apps/no/such/page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert 'class="site-nav"' in html and "Sign out" in html
    assert "There is nothing here" in html
    assert 'href="/apps/"' in html and "Back to connected apps" in html
    assert 'href="/apps/activity/"' in html


@pytest.mark.django_db
def test_an_unknown_address_signed_out_is_branded_and_leads_in(client: Client):
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert 'class="site-header"' in html and "There is nothing here" in html
    assert "Go to connected apps" in html and "See activity" not in html


def test_an_unknown_access_link_says_so_in_the_shell(john_client, sandbox):
    url = reverse("connected_apps:token_end", args=[NOTES, "A" * 43])
    response = john_client.get(url)
    html = response.content.decode()
    assert response.status_code == 404
    assert "This app has no such sign-in on your account." in html
    assert 'class="site-nav"' in html and "Back to connected apps" in html


# --- An app that is gone --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["detail", "narrow", "revoke", "card"])
def test_a_stale_link_to_a_disconnected_app_says_it_is_no_longer_connected(
    john_client, sandbox, name
):
    _disconnect_behind_the_portals_back(sandbox, NOTES)
    response = john_client.get(reverse(f"connected_apps:{name}", args=[NOTES]))
    html = response.content.decode()
    assert response.status_code == 404
    assert "This app is no longer connected" in html
    assert "There is nothing more you need to do." in html
    assert 'href="/apps/"' in html and 'href="/apps/activity/"' in html
    assert 'class="site-nav"' in html


def test_posting_to_a_disconnected_app_without_javascript_lands_on_the_same_page(
    john_client, sandbox
):
    _disconnect_behind_the_portals_back(sandbox, NOTES)
    sandbox.clear_requests()
    response = john_client.post(reverse("connected_apps:revoke", args=[NOTES]))
    assert response.status_code == 404
    assert "This app is no longer connected" in response.content.decode()
    assert sandbox.writes() == []


def test_someone_elses_app_reads_exactly_like_a_gone_one_and_is_still_recorded(
    alice_client, john_client, sandbox
):
    alices = set(sandbox.authorized_client_ids("alice"))
    johns = next(c for c in sandbox.authorized_client_ids("john") if c not in alices)
    response = alice_client.get(reverse("connected_apps:detail", args=[johns]))
    html = response.content.decode()
    assert response.status_code == 404
    assert "This app is no longer connected" in html
    assert sandbox.client_name(johns) not in html
    probe = AuditEvent.objects.get(action=AuditEvent.Action.PROBE)
    assert probe.client_id == johns and probe.refusal == AuditEvent.Refusal.NOT_YOURS


# --- Authlete unavailable -------------------------------------------------------------------------


def test_the_outage_page_says_apps_keep_their_access_and_offers_ways_out(john_client, sandbox):
    sandbox.fault("status503", path="", retryAfter=0)
    response = john_client.get(reverse("connected_apps:list"))
    html = response.content.decode()
    assert response.status_code == 503
    assert "Your apps keep the access they already had" in html
    assert "Try again" in html
    assert 'href="/apps/activity/"' in html
    assert 'href="/accounts/password/change/"' in html
    assert 'action="/accounts/logout/"' in html


def test_an_unconfirmed_change_never_promises_the_apps_kept_their_access(john_client, sandbox):
    sandbox.fault("hang", path="/client/authorization/delete/", delayMs=4000)
    response = john_client.post(reverse("connected_apps:revoke", args=[NOTES]))
    html = response.content.decode()
    assert response.status_code in (502, 503)
    assert "We could not confirm whether your change was made" in html
    assert "keep the access they already had" not in html
    assert "In the meantime" in html and 'action="/accounts/logout/"' in html


# --- The portal itself failing --------------------------------------------------------------------


def test_a_portal_failure_shows_the_branded_error_page_not_a_trace(settings, john, sandbox):
    # Authlete settings missing: the portal cannot work, and the person must not see why.
    settings.AUTHLETE_SERVICE_TOKEN = ""
    client = Client(raise_request_exception=False)
    client.force_login(john)
    response = client.get(reverse("connected_apps:list"))
    html = response.content.decode()
    assert response.status_code == 500
    assert 'class="site-header"' in html and "Something went wrong on our side" in html
    assert "It is not something you did" in html and 'href="/apps/"' in html
    assert "AUTHLETE" not in html and "Traceback" not in html


def test_the_server_error_page_needs_nothing_but_the_language():
    with translation.override("fr"):
        response = server_error(RequestFactory().get("/apps/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert '<html lang="fr">' in html
    assert "Un problème est survenu de notre côté" in html and "/static/css/errors.css" in html
