"""The history page: when each app got in, every change since in the service's words, links."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse

from authlete_sandbox import seed as demo

pytestmark = pytest.mark.django_db

HARBOR = demo.HARBOR_BACKUP
HARBOR_NAME = demo.CLIENT_NAMES[HARBOR]
INKWELL_NAME = demo.CLIENT_NAMES[demo.INKWELL_NOTES]
ACTIVITY = reverse("connected_apps:activity")


def _history(client) -> str:
    response = client.get(ACTIVITY)
    assert response.status_code == 200
    return response.content.decode()


def _line(html: str, text: str) -> str:
    """The one timeline line that says ``text``."""
    lines = [li for li in re.findall(r"<li .*?</li>", html, re.S) if text in li]
    assert len(lines) == 1, f"expected one line saying {text!r}, found {len(lines)}"
    return lines[0]


def _keep_only_reading_files(client) -> None:
    response = client.post(
        reverse("connected_apps:narrow", args=[HARBOR]), {"keep": ["files.read", "offline_access"]}
    )
    assert response.status_code == 302


def test_the_history_shows_when_each_app_was_connected_linking_to_it(
    john_client, sandbox, johns_apps
):
    html = _history(john_client)

    assert "History of your connected apps" in html
    for client_id in johns_apps:
        line = _line(html, f"{demo.CLIENT_NAMES[client_id]} was connected")
        assert f'href="{reverse("connected_apps:detail", args=[client_id])}"' in line
    # Inkwell Notes got in 210 days ago on a first device, then again 30 days ago on a second:
    # the history dates the first.
    first_device = (datetime.now(UTC) - timedelta(days=210)).date().isoformat()
    assert f'datetime="{first_device}T' in _line(html, f"{INKWELL_NAME} was connected")
    assert "could not be read" not in html


def test_changes_and_connections_are_merged_newest_first(john_client, sandbox):
    _keep_only_reading_files(john_client)
    html = _history(john_client)

    order = [
        html.index(f"You removed permissions of {HARBOR_NAME}"),
        html.index(f"{demo.CLIENT_NAMES[demo.ACME_COMMAND_LINE]} was connected"),  # 2 days ago
        html.index(f"{demo.CLIENT_NAMES[demo.TALLY_INVOICES]} was connected"),  # 3 days ago
        html.index(f"{demo.CLIENT_NAMES[demo.MARGIN_BOOK_CLUB]} was connected"),  # 300 days ago
    ]
    assert order == sorted(order)


def test_a_narrowing_says_what_was_removed_and_kept_in_the_services_words(john_client, sandbox):
    _keep_only_reading_files(john_client)
    line = _line(_history(john_client), f"You removed permissions of {HARBOR_NAME}")

    assert "Removed: Upload, change and delete your files" in line
    assert "Kept: See and download your files; Keep access when you are not using it" in line
    assert "files.read" not in line and "offline_access" not in line
    # The app is still connected: the line leads to its page.
    assert f'href="{reverse("connected_apps:detail", args=[HARBOR])}"' in line


def test_scope_codes_stand_in_where_the_service_has_no_words_for_them(john_client, sandbox):
    _keep_only_reading_files(john_client)
    cache.clear()  # a fresh worker, which has not read the service's scopes yet
    sandbox.fault("status500", path="/service/get")
    try:
        line = _line(_history(john_client), f"You removed permissions of {HARBOR_NAME}")
    finally:
        sandbox.clear_faults()

    assert "Removed: files.write" in line
    assert "Kept: files.read; offline_access" in line


def test_a_disconnected_app_is_marked_no_longer_connected(john_client, sandbox):
    _keep_only_reading_files(john_client)
    john_client.post(reverse("connected_apps:revoke", args=[HARBOR]))
    html = _history(john_client)

    narrowed = _line(html, f"You removed permissions of {HARBOR_NAME}")
    assert "No longer connected" in narrowed
    assert "href=" not in narrowed
    # The disconnect says so itself; its app's connection is no longer among the apps.
    assert "No longer connected" not in _line(html, f"You disconnected {HARBOR_NAME}")
    assert f"{HARBOR_NAME} was connected" not in html


def test_with_authlete_down_the_changes_still_show_and_the_page_says_what_is_missing(
    john_client, support_client, john, sandbox, johns_apps
):
    _keep_only_reading_files(john_client)
    support_client.post(
        reverse("admin:staff_app_revoke", args=[john.username, johns_apps[0]]),
        {"reason": "Requested by phone, ticket 42"},
    )
    sandbox.fault("status500")
    try:
        html = _history(john_client)
    finally:
        sandbox.clear_faults()

    assert "When some of your apps were connected could not be read" in html
    assert "was connected</a>" not in html
    assert f"You removed permissions of {HARBOR_NAME}" in html
    assert "Support disconnected" in html and "Requested by phone, ticket 42" in html
    assert "Traceback" not in html


def test_a_person_with_apps_but_no_changes_sees_their_connections_and_no_changes_yet(
    john_client, sandbox
):
    html = _history(john_client)
    assert "No changes yet" in html and "was connected</a>" in html


def test_a_person_without_apps_or_changes_sees_the_empty_state(make_user, client, sandbox):
    client.force_login(make_user("bob"))
    html = _history(client)
    assert "No changes yet" in html and "was connected</a>" not in html
    assert "could not be read" not in html


def test_where_the_service_hides_tokens_apps_still_link_but_their_dates_are_said_missing(
    john_client, sandbox
):
    _keep_only_reading_files(john_client)
    sandbox.modes(token_list="refused")
    html = _history(john_client)

    assert "When some of your apps were connected could not be read" in html
    assert "was connected</a>" not in html
    line = _line(html, f"You removed permissions of {HARBOR_NAME}")
    assert f'href="{reverse("connected_apps:detail", args=[HARBOR])}"' in line
