"""In a real browser: a developer edits a registered client; a person ends one token in place."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, expect

from authlete_sandbox import seed as demo
from connected_apps.models import ConfirmedDeveloper
from connected_apps.services.bylines import developer_confirm
from tests.e2e.conftest import sign_in
from tests.e2e.test_accessibility import assert_accessible

pytestmark = pytest.mark.browser

DEVELOPER = "dev-john"


def _register_through_the_portal(live_server: Any) -> dict[str, Any]:
    """RFC 7591 registration at the portal's own endpoint, as the developer's software does,
    then staff confirming in the admin that the client is the developer's."""
    metadata = {
        "client_name": "John's Reader",
        "redirect_uris": ["https://reader.example/cb"],
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
    }
    response = requests.post(f"{live_server.url}/register", json=metadata, timeout=10)
    assert response.status_code == 201, response.text
    assert not response.cookies
    registered = response.json()
    confirmation = ConfirmedDeveloper(client_id=int(registered["client_id"]), developer=DEVELOPER)
    developer_confirm(confirmation, staff=None)
    return registered


@pytest.fixture
def developer_page(
    new_context: Callable[..., Any], make_user: Callable[..., Any], sandbox: Any
) -> Page:
    user = make_user("john")
    user.authlete_developer = DEVELOPER
    user.save()
    page = new_context().new_page()
    sign_in(page, "john")
    return page


def test_a_developer_edits_a_registered_client_with_its_registration_token(
    developer_page: Page, live_server: Any, sandbox: Any
):
    registered = _register_through_the_portal(live_server)
    page = developer_page
    page.goto("/apps/developer/")
    expect(page.get_by_role("heading", level=1, name="Your registered clients")).to_be_visible()
    row = page.locator(f"#client-{registered['client_id']}")
    expect(row).to_contain_text("John's Reader")
    assert_accessible(page)

    row.get_by_role("link", name="Edit John's Reader").click()
    expect(page.get_by_label("Name")).to_have_value("John's Reader")
    page.get_by_label("Name").fill("John's Better Reader")
    page.get_by_label("Privacy policy address").fill("https://reader.example/privacy")

    # A wrong token: the page says so, and Authlete keeps the old name.
    page.get_by_label("Registration access token").fill("not-the-token")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "That registration access token is not valid for this client."
    )
    assert_accessible(page)
    client = sandbox.api("GET", f"/client/get/{registered['client_id']}").json()
    assert client["clientName"] == "John's Reader"

    # The entered metadata stays in the form; the token never comes back into the page.
    expect(page.get_by_label("Name")).to_have_value("John's Better Reader")
    expect(page.get_by_label("Registration access token")).to_have_value("")
    page.get_by_label("Registration access token").fill(registered["registration_access_token"])
    page.get_by_role("button", name="Save").click()

    expect(page.locator("#messages")).to_contain_text("Saved the details of John's Reader.")
    expect(page.locator(f"#client-{registered['client_id']}")).to_contain_text(
        "John's Better Reader"
    )
    client = sandbox.api("GET", f"/client/get/{registered['client_id']}").json()
    assert client["clientName"] == "John's Better Reader"
    assert client["policyUri"] == "https://reader.example/privacy"


def test_an_invalid_redirect_uri_is_shown_next_to_its_field(
    developer_page: Page, live_server: Any, sandbox: Any
):
    registered = _register_through_the_portal(live_server)
    page = developer_page
    page.goto(f"/apps/developer/{registered['client_id']}/")
    page.get_by_label("Redirect URIs, one a line").fill("http://reader.example/cb")
    page.get_by_label("Registration access token").fill(registered["registration_access_token"])
    sandbox.clear_requests()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("is not an https:// address")).to_be_visible()
    assert not [r for r in sandbox.requests() if "/client/registration" in r["path"]]


def test_a_person_ends_one_token_in_place_with_htmx(
    new_context: Callable[..., Any], make_user: Callable[..., Any], sandbox: Any
):
    notes = demo.INKWELL_NOTES
    make_user("john")
    issued = sandbox.authorize(clientId=notes, subject="john", scopes=["openid"])
    page = new_context().new_page()
    sign_in(page, "john")
    page.goto(f"/apps/{notes}/")
    page.evaluate("window.__sameDocument = true")
    before = len(sandbox.token_scopes("john", notes))
    end_link = page.locator(f"a[href*='/tokens/{issued['accessTokenHash'][:16]}/']")
    end_link.click()
    expect(page.get_by_role("heading", name="End this sign-in of Inkwell Notes?")).to_be_visible()
    page.get_by_role("button", name="End this sign-in").click()
    expect(page.locator(".detail-result")).to_contain_text("Its other sign-ins stay.")
    assert page.evaluate("window.__sameDocument === true")
    assert len(sandbox.token_scopes("john", notes)) == before - 1
    assert_accessible(page)
