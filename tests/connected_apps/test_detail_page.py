"""An app's page and its remove-permissions form: each thing said once, in plain words, truly."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape

import pytest
from django.urls import reverse
from django.utils.formats import date_format

from authlete_sandbox import seed as demo
from connected_apps.models import AuditEvent

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
JOHN = demo.SUBJECT_JOHN
NOTES, CADENCE, HARBOR, PIXEL, TEMPO = (
    demo.INKWELL_NOTES,
    demo.CADENCE_RADIO,
    demo.HARBOR_BACKUP,
    demo.PIXEL_PRINT_SHOP,
    demo.TEMPO_PLANNER,
)


@pytest.fixture(autouse=True)
def _demo_world(sandbox):
    """Every test reads the demo world as seeded, whatever the one before it changed."""


def _detail(client, client_id: int, **extra) -> str:
    response = client.get(reverse("connected_apps:detail", args=[client_id]), **extra)
    assert response.status_code == 200
    return response.content.decode()


def _narrow_form(client, client_id: int) -> str:
    response = client.get(reverse("connected_apps:narrow", args=[client_id]))
    assert response.status_code == 200
    return response.content.decode()


def _day(millis: int) -> str:
    return date_format(datetime.fromtimestamp(millis / 1000, UTC), "DATE_FORMAT")


def _latest_refresh_expiry(sandbox, client_id: int) -> str:
    tokens = sandbox.token_state(JOHN, client_id).values()
    return _day(max(t["refreshTokenExpiresAt"] for t in tokens if t.get("refreshTokenHash")))


def _tier_headings(html: str) -> list[str]:
    headings = re.findall(r'<h3 class="tier__heading">([^<]+)</h3>', html)
    return [unescape(h).replace("\u2019", "'") for h in headings]


# --- What it can do -----------------------------------------------------------------------------


def test_each_permission_is_listed_once_weightiest_tier_first(john_client):
    html = _detail(john_client, NOTES)
    for scope in ("openid", "profile", "email", "files.read", "files.write", "offline_access"):
        assert html.count(f'<code class="scope__name">{scope}</code>') == 1, scope
    assert _tier_headings(html) == [
        "Can act or spend for you",
        "Works while you're away",
        "Can see",
        "Sign-in only",
    ]
    assert "What it can do now" not in html and "Ever allowed" not in html


def test_the_host_sits_under_the_name_and_no_unconfirmed_developer_is_named(john_client):
    html = _detail(john_client, NOTES)
    heading_then_host = re.search(
        r'<h1 id="detail-heading">[^<]+</h1>\s*<p class="app-detail__host">([^<]+)</p>', html
    )
    assert heading_then_host and heading_then_host.group(1).strip()
    assert "Verified developer" not in html


# --- Works while you're away --------------------------------------------------------------------


def test_an_app_that_renews_itself_shows_until_when_on_a_neutral_chip(john_client, sandbox):
    html = _detail(john_client, CADENCE)
    until = _latest_refresh_expiry(sandbox, CADENCE)
    assert f'<span class="away-chip">Works while you\u2019re away · until {until}</span>' in html
    assert f"It can renew its access without you until {until}." in html
    assert "Offline access" not in html


def test_renewing_is_amber_only_for_an_app_that_can_also_act_for_you(john_client):
    assert "away-chip--warning" in _detail(john_client, HARBOR)
    assert "away-chip--warning" not in _detail(john_client, CADENCE)


def test_an_app_that_cannot_renew_itself_claims_nothing_about_while_you_are_away(john_client):
    html = _detail(john_client, PIXEL)
    assert "away-chip" not in html and "Works while you\u2019re away" not in html


# --- Where it's signed in -----------------------------------------------------------------------


def test_an_idle_sign_in_says_it_can_renew_and_until_when_never_expired_ago(john_client, sandbox):
    html = _detail(john_client, CADENCE)
    (token,) = sandbox.token_state(JOHN, CADENCE).values()
    assert token["accessTokenExpiresAt"] < datetime.now(UTC).timestamp() * 1000
    assert "Where it\u2019s signed in" in html and "Active access" not in html
    until = _day(token["refreshTokenExpiresAt"])
    assert re.search(rf"<strong>Idle</strong> — can renew itself until {until}", html)
    assert "Expires" not in html and "expires" not in html


def test_a_working_sign_in_reads_in_plain_words_with_its_dates(john_client, sandbox):
    html = _detail(john_client, TEMPO)
    (token,) = sandbox.token_state(JOHN, TEMPO).values()
    assert "Signed in on <time datetime=" in html
    assert "last renewed" in html
    assert f"can renew until {_day(token['refreshTokenExpiresAt'])}" in html


# --- Consent history ----------------------------------------------------------------------------


def test_consent_history_is_hidden_where_the_service_keeps_none(john_client, sandbox):
    sandbox.modes(server="shared")  # Authlete's shared server: granted scopes answer 403
    assert "Consent history" not in _detail(john_client, NOTES)


def test_consent_history_is_collapsed_and_says_only_what_it_can_no_longer_do(john_client, sandbox):
    sandbox.modes(server="dedicated")
    # End the sign-in that holds file changes: the consent that allowed it is still remembered.
    wide = next(
        h for h, t in sandbox.token_state(JOHN, NOTES).items() if "files.write" in t["scopes"]
    )
    sandbox.api("DELETE", f"/auth/token/delete/{wide}").raise_for_status()

    html = _detail(john_client, NOTES)
    history = html[html.index('<details class="consent-history">') :]
    assert "<details " in html and "<details open" not in html
    assert "Also allowed before:" in history
    assert "Upload, change and delete your files" in history
    assert "See and download your files" not in history


# --- Remove permissions -------------------------------------------------------------------------


def test_the_form_orders_permissions_by_consequence_and_says_what_stops(john_client):
    html = _narrow_form(john_client, NOTES)
    order = re.findall(r'<code class="scope__name">([^<]+)</code>', html)
    assert order[:2] == ["files.write", "offline_access"] and order[-2:] == ["openid", "profile"]
    assert "If unchecked: Signing in to Inkwell Notes with your account stops working." in html
    assert "If unchecked: Inkwell Notes can no longer do this for you." in html
    summary = html.index("it may ask you again for what you removed")
    assert summary < html.index("Save permissions")


def test_unchecking_offline_access_says_until_when_the_app_may_still_renew(john_client, sandbox):
    html = _narrow_form(john_client, NOTES)
    until = _latest_refresh_expiry(sandbox, NOTES)
    assert (
        f"If unchecked: Inkwell Notes may still keep renewing the access it has until {until}. "
        "To stop that now, disconnect it." in html
    )


def test_after_saving_without_javascript_the_apps_page_shows_the_result(john_client, sandbox):
    response = john_client.post(
        reverse("connected_apps:narrow", args=[TEMPO]), {"keep": ["calendar.read"]}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("connected_apps:detail", args=[TEMPO])
    html = john_client.get(response["Location"]).content.decode()
    assert "Tempo Planner now keeps 1 permission. It may ask you again for the others." in html
    assert html.count('<code class="scope__name">') == 1
    assert sandbox.token_scopes(JOHN, TEMPO) == [["calendar.read"]]


def test_after_saving_with_htmx_the_result_is_inside_what_it_can_do(john_client, sandbox):
    response = john_client.post(
        reverse("connected_apps:narrow", args=[TEMPO]),
        {"keep": ["calendar.read", "profile"]},
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#detail"
    assert response["HX-Push-Url"] == reverse("connected_apps:detail", args=[TEMPO])
    assert html.lstrip().startswith('<article id="detail"') and "<html" not in html
    can_do = html[html.index('<section id="can-do"') : html.index("</section>")]
    assert "Tempo Planner now keeps 2 permissions. It may ask you again for the others." in can_do
    assert 'role="status"' in can_do and "data-focus-after-swap" in can_do


def test_the_form_opens_in_place_of_the_permission_list_with_htmx(john_client):
    html = john_client.get(reverse("connected_apps:narrow", args=[TEMPO]), **HTMX).content.decode()
    assert html.lstrip().startswith('<section id="can-do"') and "<html" not in html
    detail = _detail(john_client, TEMPO)
    assert 'hx-target="#can-do"' in detail and "Remove permissions…" in detail


def test_a_refused_form_stays_in_place_with_its_reason_and_changes_nothing(john_client, sandbox):
    before = sandbox.token_scopes(JOHN, TEMPO)
    response = john_client.post(reverse("connected_apps:narrow", args=[TEMPO]), {}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 400
    assert html.lstrip().startswith('<section id="can-do"')
    assert "You unchecked every permission" in html
    assert sandbox.token_scopes(JOHN, TEMPO) == before
    assert not AuditEvent.objects.outcomes().filter(outcome="success").exists()
