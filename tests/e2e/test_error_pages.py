"""Error pages in a real browser: accessible, on a phone and in dark mode, with a way back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import RequestFactory
from playwright.sync_api import Page, expect

from authlete_sandbox import seed as demo
from portal.errors import server_error
from tests.e2e.conftest import PHONE
from tests.e2e.test_accessibility import assert_accessible

pytestmark = pytest.mark.browser

NOTES = demo.INKWELL_NOTES
LOOKS = [
    pytest.param({}, id="desktop-light"),
    pytest.param({"viewport": PHONE, "color_scheme": "dark"}, id="phone-dark"),
]


def _fits_the_screen(page: Page) -> None:
    """The way back is on the first screen, and nothing spills sideways on a phone."""
    expect(page.get_by_role("link", name="Back to connected apps")).to_be_in_viewport()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0


@pytest.mark.parametrize("look", LOOKS)
def test_a_stale_app_link_lands_on_a_kind_page(
    signed_in: Callable[..., Page], sandbox: Any, look: dict[str, Any]
):
    page = signed_in("john", **look)
    sandbox.api("POST", f"/client/authorization/delete/{NOTES}", json={"subject": "john"})
    page.goto(f"/apps/{NOTES}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("This app is no longer connected")
    _fits_the_screen(page)
    assert_accessible(page)


@pytest.mark.parametrize("look", LOOKS)
def test_an_unknown_address_lands_on_a_kind_page(
    signed_in: Callable[..., Page], look: dict[str, Any]
):
    page = signed_in("john", **look)
    page.goto("/apps/no/such/page/")
    expect(page.get_by_role("heading", level=1)).to_have_text("There is nothing here")
    _fits_the_screen(page)
    assert_accessible(page)


@pytest.mark.parametrize("look", LOOKS)
def test_the_outage_page_offers_ways_out(
    signed_in: Callable[..., Page], sandbox: Any, look: dict[str, Any]
):
    page = signed_in("john", **look)
    sandbox.fault("status503", path="", retryAfter=0)
    page.goto("/apps/")
    expect(page.get_by_role("alert")).to_contain_text("not reachable right now")
    help_ = page.get_by_role("region", name="In the meantime")
    expect(help_).to_contain_text("Your apps keep the access they already had")
    expect(help_.get_by_role("button", name="Sign out")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert_accessible(page)


@pytest.mark.parametrize("look", LOOKS)
def test_the_server_error_page_is_accessible(signed_in: Callable[..., Page], look: dict[str, Any]):
    page = signed_in("john", **look)
    # Over one of the portal's pages, so its stylesheets load as on a real failure.
    page.set_content(server_error(RequestFactory().get("/apps/")).content.decode())
    expect(page.get_by_role("heading", level=1)).to_have_text("Something went wrong on our side")
    expect(page.get_by_role("link", name="Go to connected apps")).to_be_in_viewport()
    assert_accessible(page)


def test_without_javascript_the_gone_page_leads_back_to_the_list(
    signed_in: Callable[..., Page], sandbox: Any
):
    page = signed_in("john", java_script_enabled=False)
    sandbox.api("POST", f"/client/authorization/delete/{NOTES}", json={"subject": "john"})
    page.goto(f"/apps/{NOTES}/revoke/")
    page.get_by_role("link", name="Back to connected apps").click()
    expect(page.get_by_role("heading", level=1, name="Connected apps")).to_be_visible()
    expect(page.locator(f"#app-{NOTES}")).to_have_count(0)
