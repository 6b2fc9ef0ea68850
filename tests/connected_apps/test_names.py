"""App names people can trust: hidden characters gone, length bounded, look-alikes told apart,
and a developer byline only where staff confirmed it."""

from __future__ import annotations

import html as html_lib
import json
import re
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from authlete_sandbox.seed import INKWELL_NOTES
from connected_apps.models import AuditEvent, ConfirmedDeveloper
from tests.conftest import Sandbox

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
SUBJECT = "nina"  # no demo grants: her list holds only the apps each test connects
RIGHT_TO_LEFT_OVERRIDE = "\u202e"


@pytest.fixture
def nina(make_user: Any) -> Any:
    return make_user(SUBJECT)


@pytest.fixture
def nina_client(nina: Any) -> Client:
    client = Client()
    client.force_login(nina)
    return client


def _connect(sandbox: Sandbox, name: str, **metadata: Any) -> int:
    """Register a client at the portal's RFC 7591 endpoint, as anyone may, and let Nina use it."""
    body = {
        "client_name": name,
        "redirect_uris": ["https://reader.example/cb"],
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
        **metadata,
    }
    response = Client().post(reverse("register"), json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content
    client_id = int(response.json()["client_id"])
    sandbox.authorize(clientId=client_id, subject=SUBJECT, scopes=["openid"])
    return client_id


def _full_width(text: str) -> str:
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) for c in text)


def _title(page: str) -> str:
    return html_lib.unescape(re.search(r"<title>(.*?)</title>", page, re.S).group(1)).strip()


def _heading(page: str) -> str:
    found = re.search(r'<h1 id="detail-heading">(.*?)\s*(<span|</h1>)', page, re.S)
    return html_lib.unescape(found.group(1)).strip()


def _card(page: str, client_id: int) -> str:
    row = rf'<li class="app-card app-row[^"]*" id="app-{client_id}".*?</p>'
    return re.search(row, page, re.S).group(0)


# --- Hidden characters and length --------------------------------------------------------------


def test_a_right_to_left_override_cannot_disguise_a_name(
    nina, nina_client, support_client, sandbox
):
    # Rendered with the override, these letters read "Inkwell Notes".
    client_id = _connect(sandbox, f"{RIGHT_TO_LEFT_OVERRIDE}setoN llewknI")
    listing = nina_client.get(reverse("connected_apps:list")).content.decode()
    detail = nina_client.get(reverse("connected_apps:detail", args=[client_id])).content.decode()
    staff = support_client.get(reverse("admin:staff_person_apps", args=[nina.pk]), follow=True)
    for page in (listing, detail, staff.content.decode()):
        assert RIGHT_TO_LEFT_OVERRIDE not in page
        assert "setoN llewknI" in page
    assert _heading(detail) == "setoN llewknI"


def test_a_huge_name_is_cut_short_in_the_heading_the_title_and_the_list(nina_client, sandbox):
    client_id = _connect(sandbox, "Reader " + "x" * 60_000)
    detail = nina_client.get(reverse("connected_apps:detail", args=[client_id])).content.decode()
    heading = _heading(detail)
    assert heading.startswith("Reader xxx") and heading.endswith("…")
    assert len(heading) <= 80
    assert len(_title(detail)) < 100
    listing = nina_client.get(reverse("connected_apps:list")).content.decode()
    assert "x" * 100 not in listing and "x" * 100 not in detail
    assert len(listing) < 20_000


def test_a_name_of_only_control_characters_shows_as_app_and_its_id(nina_client, sandbox):
    client_id = _connect(sandbox, "\u0007\u200b\u202e\u2066\u0000 \n")
    detail = nina_client.get(reverse("connected_apps:detail", args=[client_id])).content.decode()
    assert _heading(detail) == f"App {client_id}"
    card = _card(nina_client.get(reverse("connected_apps:list")).content.decode(), client_id)
    assert f"App {client_id}</a>" in card


def test_tabs_and_line_breaks_in_a_name_become_single_spaces(nina_client, sandbox):
    client_id = _connect(sandbox, "  Harbor\t\tBackup\nPro\u2028 ")
    detail = nina_client.get(reverse("connected_apps:detail", args=[client_id])).content.decode()
    assert _heading(detail) == "Harbor Backup Pro"


def test_the_activity_records_the_name_as_it_was_shown(nina_client, sandbox):
    client_id = _connect(sandbox, f"{RIGHT_TO_LEFT_OVERRIDE}setoN llewknI" + "z" * 5_000)
    nina_client.post(reverse("connected_apps:revoke", args=[client_id]))
    event = AuditEvent.objects.outcomes().get(client_id=client_id)
    assert RIGHT_TO_LEFT_OVERRIDE not in event.client_name
    assert event.client_name.startswith("setoN llewknI") and len(event.client_name) <= 80
    activity = nina_client.get(reverse("connected_apps:activity")).content.decode()
    assert RIGHT_TO_LEFT_OVERRIDE not in activity and "z" * 100 not in activity
    assert "You disconnected setoN llewknI" in activity


# --- Look-alikes -------------------------------------------------------------------------------


def test_apps_sharing_a_name_each_show_their_site_and_client_id(nina_client, sandbox):
    genuine = _connect(sandbox, "Inkwell Notes", client_uri="https://inkwell.example/")
    copycat = _connect(sandbox, "Inkwell Notes", redirect_uris=["https://inkwell-app.example/cb"])
    # Full-width capitals draw the same name.
    shouting = _connect(sandbox, _full_width("INKWELL NOTES"))
    other = _connect(sandbox, "Margin Book Club")
    for headers in ({}, HTMX):
        page = nina_client.get(reverse("connected_apps:list"), **headers).content.decode()
        for client_id, site in (
            (genuine, "inkwell.example"),
            (copycat, "inkwell-app.example"),
            (shouting, "reader.example"),
        ):
            card = _card(page, client_id)
            assert "Same name as another app" in card
            assert f"<code>{site}</code>" in card
            assert f"<code>{client_id}</code>" in card
        assert "Same name as another app" not in _card(page, other)
        assert f"<code>{other}</code>" not in _card(page, other)


def test_the_app_page_shows_its_client_id_and_site(nina_client, sandbox):
    client_id = _connect(sandbox, "Margin Book Club", client_uri="https://margin.example/")
    page = nina_client.get(reverse("connected_apps:detail", args=[client_id])).content.decode()
    assert f"Client ID <code>{client_id}</code>" in page
    assert '<p class="app-detail__host">margin.example</p>' in page
    fragment = nina_client.get(
        reverse("connected_apps:detail", args=[client_id]), **HTMX
    ).content.decode()
    assert f"Client ID <code>{client_id}</code>" in fragment


# --- Bylines -----------------------------------------------------------------------------------


def _confirm_in_admin(staff: Client, client_id: int, developer: str):
    return staff.post(
        reverse("admin:connected_apps_confirmeddeveloper_add"),
        {"client_id": client_id, "developer": developer},
    )


def test_a_claimed_developer_shows_no_byline_until_staff_confirm_one(
    nina_client, support_client, sandbox
):
    client_id = _connect(sandbox, "Tally Invoices", developer="Acme Corporation")
    detail_url = reverse("connected_apps:detail", args=[client_id])
    listing = nina_client.get(reverse("connected_apps:list")).content.decode()
    assert "By " not in _card(listing, client_id)
    assert "Acme Corporation" not in listing
    assert "By " not in nina_client.get(detail_url).content.decode()

    response = _confirm_in_admin(support_client, client_id, "Tally Labs")
    assert response.status_code == 302
    confirmation = ConfirmedDeveloper.objects.get(client_id=client_id)
    assert confirmation.confirmed_by.username == "support" and confirmation.confirmed_at

    listing = nina_client.get(reverse("connected_apps:list")).content.decode()
    assert "By Tally Labs" in _card(listing, client_id)
    assert "By Tally Labs" in nina_client.get(detail_url).content.decode()
    assert "Acme Corporation" not in listing


def test_staff_without_the_permission_cannot_confirm_a_developer(make_user, sandbox):
    intern = Client()
    intern.force_login(make_user("intern", staff=True))
    client_id = _connect(sandbox, "Tally Invoices")
    assert _confirm_in_admin(intern, client_id, "Tally Labs").status_code == 403
    assert not ConfirmedDeveloper.objects.exists()


def test_confirming_a_client_authlete_does_not_know_is_refused(support_client, sandbox):
    response = _confirm_in_admin(support_client, 424242, "Tally Labs")
    assert response.status_code == 200
    assert "Authlete has no client with this id." in response.content.decode()
    assert not ConfirmedDeveloper.objects.exists()


def test_staff_with_the_permission_see_the_confirmations(make_user, sandbox):
    staff = make_user("lead", staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="manage_connected_apps"))
    client = Client()
    client.force_login(staff)
    index = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:connected_apps_confirmeddeveloper_changelist") in index


def test_the_trail_keeps_one_name_for_an_app_whatever_language_the_person_reads(
    john_client: Client,
):
    page = john_client.get(
        reverse("connected_apps:detail", args=[INKWELL_NOTES]), HTTP_ACCEPT_LANGUAGE="ja"
    )
    assert "インクウェル ノート" in page.content.decode()
    john_client.post(
        reverse("connected_apps:revoke", args=[INKWELL_NOTES]), HTTP_ACCEPT_LANGUAGE="ja"
    )
    rows = AuditEvent.objects.filter(client_id=INKWELL_NOTES, action="revoke")
    assert rows.exists()
    assert {row.client_name for row in rows} == {"Inkwell Notes"}
