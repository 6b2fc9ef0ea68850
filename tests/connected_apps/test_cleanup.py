"""Cleaning up old apps: filters on the list, and disconnecting several apps at once."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from authlete_sandbox import seed as demo
from connected_apps.models import AuditEvent
from connected_apps.services import apps
from connected_apps.services.filters import ListFilter

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
LIST = reverse("connected_apps:list")
REVIEW = reverse("connected_apps:disconnect_review")
CONFIRM = reverse("connected_apps:disconnect_chosen")
LEDGERLY, PIXEL = demo.LEDGERLY_BUDGET, demo.PIXEL_PRINT_SHOP
# Idle for 90 and 150 days in the demo world: John's two apps past the 90-day rule.
STALE = {demo.CLIENT_NAMES[LEDGERLY], demo.CLIENT_NAMES[PIXEL]}
# John's apps without a live refresh token: they cannot work while he is away.
NOT_AWAY = {demo.STRIDE_FITNESS, demo.SAFFRON_RECIPES, demo.PIXEL_PRINT_SHOP}


@pytest.fixture(autouse=True)
def _demo_world(sandbox):
    """Every test starts from the demo world: these tests disconnect apps."""
    return sandbox


def _row_names(html: str) -> list[str]:
    return re.findall(r'class="app-card__title"[^>]*><a href="[^"]*">([^<]+)</a>', html)


def _pill(html: str, value: str) -> str:
    return re.search(rf'<a id="filter-{value}"[^>]*>', html).group(0)


# --- Filters ------------------------------------------------------------------------------------


def test_the_stale_filter_lists_only_apps_not_active_in_90_days(john_client, sandbox, johns_apps):
    html = john_client.get(LIST, {"filter": "stale"}).content.decode()
    assert set(_row_names(html)) == STALE
    assert f"2 of {len(johns_apps)} apps" in html
    # The filter in force is marked for assistive technology too; "All apps" clears it.
    assert "aria-current" in _pill(html, "stale")
    assert "aria-current" not in _pill(html, "all")
    assert 'href="?"' in _pill(html, "all")
    assert "Not active in 90 days" in html


def test_the_away_filter_uses_live_renewal_not_the_offline_access_scope(john_client, johns_apps):
    html = john_client.get(LIST, {"filter": "away", "sort": "name"}).content.decode()
    expected = [c for c in johns_apps if c not in NOT_AWAY]
    assert f"{len(expected)} of {len(johns_apps)} apps" in html
    assert "Page 1 of 2" in html
    # Tempo Planner holds no offline_access, yet renews itself: it is here.
    assert demo.CLIENT_NAMES[demo.TEMPO_PLANNER] in _row_names(html)
    second = john_client.get(LIST, {"filter": "away", "sort": "name", "page": 2}).content.decode()
    shown = set(_row_names(html)) | set(_row_names(second))
    assert shown == {demo.CLIENT_NAMES[c] for c in expected}


def test_filters_combine_into_one_bookmarkable_address(john_client):
    response = john_client.get(f"{LIST}?filter=stale&filter=away")
    html = response.content.decode()
    assert response.status_code == 200
    # Ledgerly Budget is idle and still renews itself; Pixel Print Shop cannot renew.
    assert _row_names(html) == [demo.CLIENT_NAMES[LEDGERLY]]
    assert "aria-current" in _pill(html, "stale") and "aria-current" in _pill(html, "away")
    # Each pill turns its own filter off and keeps the other.
    assert 'href="?filter=away"' in _pill(html, "stale")
    assert 'href="?filter=stale"' in _pill(html, "away")


def test_filters_keep_the_search_and_order_and_pages_keep_the_filters(john_client):
    html = john_client.get(LIST, {"filter": "away", "sort": "name"}).content.decode()
    assert "sort=name&amp;filter=away&amp;page=2" in html
    # The search form sends the filter again with the words typed.
    assert '<input type="hidden" name="filter" value="away" form="list-controls">' in html
    searched = john_client.get(LIST, {"filter": "away", "q": "harbor"}).content.decode()
    assert _row_names(searched) == [demo.CLIENT_NAMES[demo.HARBOR_BACKUP]]
    assert "q=harbor&amp;filter=stale&amp;filter=away" in _pill(searched, "stale").replace(
        "filter=away&amp;filter=stale", "filter=stale&amp;filter=away"
    )


def test_a_filter_with_no_match_says_so_kindly(john_client, johns_apps):
    response = john_client.get(LIST, {"filter": "stale", "q": "inkwell"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "No app matches these filters" in html
    assert f"0 of {len(johns_apps)} apps" in html
    assert 'href="?q=inkwell"' in html  # clearing keeps the search


@pytest.mark.parametrize("value", ["bogus", "<script>alert(1)</script>", "STALE "])
def test_an_unknown_filter_is_named_back_and_the_list_shown_without_it(john_client, value):
    response = john_client.get(LIST, {"filter": value})
    html = response.content.decode()
    assert response.status_code == 400
    assert "There is no filter called" in html
    assert "<script>alert" not in html and "Traceback" not in html
    assert "Page 1 of 2" in html


def test_filtering_with_htmx_swaps_only_the_list(john_client):
    response = john_client.get(LIST, {"filter": "stale"}, **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="app-list"')
    assert "<html" not in html
    assert 'hx-push-url="true"' in _pill(html, "away")


def test_the_staff_console_can_ask_the_service_for_the_same_filters(sandbox):
    stale = apps.connected_app_list(subject="john", filters=[ListFilter.STALE])
    assert {app.name for app in stale.apps} == STALE
    count = apps.connected_app_count(subject="john", filters=[ListFilter.STALE, ListFilter.AWAY])
    assert count.total_count == 1


def test_disconnecting_one_app_of_a_filtered_list_keeps_the_filtered_count(john_client, johns_apps):
    response = john_client.post(
        reverse("connected_apps:revoke", args=[PIXEL]),
        HTTP_HX_CURRENT_URL="http://testserver/apps/?filter=stale",
        **HTMX,
    )
    assert f"1 of {len(johns_apps) - 1} apps" in response.content.decode()


# --- Choosing several apps ----------------------------------------------------------------------


def test_every_row_has_a_box_for_the_one_disconnect_form(john_client):
    html = john_client.get(LIST).content.decode()
    boxes = re.findall(
        r'<input type="checkbox" name="client_id" value="(\d+)" form="cleanup-form">', html
    )
    assert len(boxes) == 10 and all(f'id="app-{box}"' in html for box in boxes)
    assert '<form id="cleanup-form"' in html and 'method="post"' in html
    assert "Disconnect selected…" in html


def test_the_confirmation_names_each_app_and_what_it_can_do_and_changes_nothing(
    john_client, sandbox
):
    sandbox.clear_requests()
    response = john_client.post(
        REVIEW, {"client_id": [str(LEDGERLY), str(PIXEL)], "list": "filter=stale"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1" in html and "Disconnect these 2 apps?" in html
    for name in STALE:
        assert name in html
    assert "Make payments from your account" in html and "Can make payments" in html
    assert "Data they already received stays with them." in html
    assert html.count('<input type="hidden" name="client_id"') == 2
    assert '<input type="hidden" name="list" value="filter=stale">' in html
    assert sandbox.writes() == []
    assert not AuditEvent.objects.exists()


def test_the_confirmation_opens_in_place_with_htmx(john_client):
    response = john_client.post(REVIEW, {"client_id": [str(PIXEL)]}, **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="cleanup-confirm"')
    assert '<h2 id="cleanup-heading" tabindex="-1" data-focus-after-swap>' in html
    assert "Disconnect this app?" in html and "Disconnect 1 app" in html


def test_disconnecting_the_chosen_apps_without_javascript(john_client, sandbox, johns_apps):
    response = john_client.post(
        CONFIRM, {"client_id": [str(LEDGERLY), str(PIXEL)], "list": "filter=stale"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?filter=stale"
    left = sandbox.authorized_client_ids("john")
    assert LEDGERLY not in left and PIXEL not in left
    assert len(left) == len(johns_apps) - 2
    done = AuditEvent.objects.outcomes().filter(action="revoke", outcome="success")
    assert sorted(done.values_list("client_id", flat=True)) == sorted([LEDGERLY, PIXEL])
    html = john_client.get(response["Location"]).content.decode()
    assert "Disconnected: " in html and "No app matches these filters" in html
    assert f"0 of {len(johns_apps) - 2} apps" in html


def test_disconnecting_the_chosen_apps_with_htmx_shows_the_result_above_the_list(
    john_client, sandbox, johns_apps
):
    response = john_client.post(
        CONFIRM, {"client_id": [str(LEDGERLY), str(PIXEL)], "list": "sort=name&page=2"}, **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#app-list"
    assert html.lstrip().startswith('<section id="app-list"')
    assert "2 apps disconnected" in html and "data-focus-after-swap" in html
    assert f"{len(johns_apps) - 2} connected apps" in html
    # The list is read again, on the page the person was on (now the only one).
    assert "Page 1 of" not in html
    assert not STALE & set(_row_names(html))
    assert sandbox.authorized_client_ids("john").count(PIXEL) == 0


def test_more_apps_than_one_page_holds_can_be_chosen_at_once(john_client, sandbox, johns_apps):
    response = john_client.post(CONFIRM, {"client_id": [str(c) for c in johns_apps[:12]]})
    assert response.status_code == 302
    assert sandbox.authorized_client_ids("john") == johns_apps[12:]
    assert AuditEvent.objects.outcomes().filter(outcome="success").count() == 12


def test_an_app_that_is_not_yours_refuses_the_whole_choice(john_client, sandbox):
    foreign = demo.SPROUT_GARDEN_JOURNAL  # alice's, not john's
    sandbox.clear_requests()
    response = john_client.post(CONFIRM, {"client_id": [str(PIXEL), str(foreign)]})
    html = response.content.decode()
    assert response.status_code == 404
    assert "nothing was disconnected" in html
    assert sandbox.writes() == []
    assert PIXEL in sandbox.authorized_client_ids("john")
    (probe,) = AuditEvent.objects.all()
    assert (probe.action, probe.outcome, probe.client_id) == ("probe", "refused", foreign)


def test_an_app_that_is_not_yours_is_refused_at_the_confirmation_too(john_client):
    response = john_client.post(REVIEW, {"client_id": [str(demo.SPROUT_GARDEN_JOURNAL)]}, **HTMX)
    assert response.status_code == 404
    assert "not connected to your account" in response.content.decode()
    assert AuditEvent.objects.get().action == "probe"


def test_choosing_nothing_gets_a_clear_message(john_client, sandbox):
    sandbox.clear_requests()
    review = john_client.post(REVIEW, {"list": "filter=stale"})
    assert review.status_code == 400
    assert "No app was chosen" in review.content.decode()
    assert f'href="{LIST}?filter=stale"' in review.content.decode()
    confirm = john_client.post(CONFIRM, {}, **HTMX)
    assert confirm.status_code == 400
    assert "No app was chosen" in confirm.content.decode()
    assert sandbox.writes() == []
    (refused,) = AuditEvent.objects.all()
    assert (refused.action, refused.refusal) == ("revoke", "invalid")


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "99999999999999999999", "١٢"])
def test_a_choice_that_is_not_client_ids_changes_nothing(john_client, sandbox, value):
    sandbox.clear_requests()
    response = john_client.post(CONFIRM, {"client_id": [str(PIXEL), value]})
    assert response.status_code == 400
    assert "could not be read" in response.content.decode()
    assert sandbox.writes() == []


def test_a_tampered_return_address_stays_on_the_list(john_client):
    response = john_client.post(
        CONFIRM, {"client_id": [str(PIXEL)], "list": "q=a&sort=evil&next=https://evil.example"}
    )
    assert response["Location"] == f"{LIST}?q=a"


@pytest.mark.parametrize("url", [REVIEW, CONFIRM])
def test_either_address_alone_leads_back_to_the_list(john_client, url):
    response = john_client.get(url)
    assert response.status_code == 302 and response["Location"] == LIST
    # "Try again" after an error shown in place: the whole list comes back.
    assert john_client.get(url, **HTMX)["HX-Redirect"] == LIST


def test_authlete_failing_during_the_confirmation_answers_in_place(john_client, sandbox):
    sandbox.fault("status500", path="/client/authorization/get/list")
    response = john_client.post(REVIEW, {"client_id": [str(PIXEL)]}, **HTMX)
    html = response.content.decode()
    assert response.status_code in (502, 503)
    assert "Try again" in html and "Traceback" not in html
    sandbox.clear_faults()


def test_disconnecting_several_needs_the_csrf_token(john, sandbox):
    client = Client(enforce_csrf_checks=True)
    client.force_login(john)
    sandbox.clear_requests()
    assert client.post(CONFIRM, {"client_id": [str(PIXEL)]}).status_code == 403
    assert sandbox.writes() == []


def test_disconnecting_several_counts_against_the_write_limit(john_client, sandbox, settings):
    settings.PORTAL_WRITES_PER_MINUTE = 1
    john_client.post(CONFIRM, {"client_id": [str(PIXEL)]})
    response = john_client.post(CONFIRM, {"client_id": [str(LEDGERLY)]})
    assert response.status_code == 429
    assert LEDGERLY in sandbox.authorized_client_ids("john")


def test_the_report_says_exactly_which_apps_failed(john_client, sandbox):
    sandbox.fault("status500", path=f"/client/authorization/delete/{PIXEL}")
    response = john_client.post(CONFIRM, {"client_id": [str(LEDGERLY), str(PIXEL)]}, **HTMX)
    html = response.content.decode()
    assert "Not every app could be disconnected" in html
    assert f"Could not disconnect: {demo.CLIENT_NAMES[PIXEL]}" in html
    assert f"Disconnected: {demo.CLIENT_NAMES[LEDGERLY]}." in html
    outcomes = dict(AuditEvent.objects.outcomes().values_list("client_id", "outcome"))
    assert outcomes == {LEDGERLY: "success", PIXEL: "failed"}
    sandbox.clear_faults()
