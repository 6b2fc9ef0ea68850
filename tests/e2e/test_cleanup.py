"""Cleaning up old apps in a real browser: filter, tick two, confirm, see the result in place."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from authlete_sandbox import seed as demo
from tests.e2e.conftest import PHONE
from tests.e2e.test_accessibility import assert_accessible

pytestmark = pytest.mark.browser

LEDGERLY, PIXEL = demo.LEDGERLY_BUDGET, demo.PIXEL_PRINT_SHOP
NAMES = [demo.CLIENT_NAMES[LEDGERLY], demo.CLIENT_NAMES[PIXEL]]
JOHNS_APPS = demo.DEMO_GRANTS["john"]


def _same_document(page: Page) -> bool:
    return page.evaluate("window.__sameDocument === true")


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_filter_stale_apps_tick_two_and_disconnect_them_in_place(
    signed_in: Callable[..., Page], sandbox: Any, viewport: Any
):
    page = signed_in("john", **({"viewport": viewport} if viewport else {}))
    page.evaluate("window.__sameDocument = true")
    total = len(JOHNS_APPS)

    page.get_by_role("link", name="Not active in 90 days").click()
    expect(page).to_have_url("/apps/?filter=stale")
    expect(page.locator("#app-list-count")).to_have_text(f"2 of {total} apps")
    expect(page.get_by_role("link", name="Not active in 90 days")).to_have_attribute(
        "aria-current", "true"
    )
    # Focus stays on the filter just chosen, though the list around it was replaced.
    expect(page.get_by_role("link", name="Not active in 90 days")).to_be_focused()

    for name in NAMES:
        page.get_by_role("checkbox", name=f"Select {name}").check()
    page.get_by_role("button", name="Disconnect selected…").click()

    confirmation = page.get_by_role("heading", name="Disconnect these 2 apps?")
    expect(confirmation).to_be_focused()
    expect(confirmation).to_be_in_viewport()
    panel = page.locator("#cleanup-panel")
    for name in NAMES:
        expect(panel).to_contain_text(name)
    expect(panel).to_contain_text("Data they already received stays with them.")
    assert_accessible(page)

    page.get_by_role("button", name="Disconnect 2 apps").click()
    result = page.get_by_role("heading", name="2 apps disconnected")
    expect(result).to_be_focused()
    expect(result).to_be_in_viewport()
    expect(page.locator("#app-list-count")).to_have_text(f"0 of {total - 2} apps")
    expect(page.get_by_text("No app matches these filters")).to_be_visible()
    assert_accessible(page)
    assert _same_document(page)
    left = sandbox.authorized_client_ids("john")
    assert LEDGERLY not in left and PIXEL not in left and len(left) == total - 2


def test_cancel_closes_the_confirmation_and_keeps_the_ticks(signed_in: Callable[..., Page]):
    page = signed_in("john")
    name = demo.CLIENT_NAMES[PIXEL]
    page.get_by_role("checkbox", name=f"Select {name}").check()
    page.get_by_role("button", name="Disconnect selected…").click()
    expect(page.get_by_role("heading", name="Disconnect this app?")).to_be_focused()
    page.locator("#cleanup-panel").get_by_role("link", name="Cancel").click()
    expect(page.get_by_role("heading", name="Disconnect this app?")).to_have_count(0)
    expect(page.get_by_role("button", name="Disconnect selected…")).to_be_focused()
    expect(page.get_by_role("checkbox", name=f"Select {name}")).to_be_checked()


def test_without_javascript_the_same_steps_are_pages(signed_in: Callable[..., Page], sandbox: Any):
    page = signed_in("john", java_script_enabled=False)
    page.get_by_role("link", name="Not active in 90 days").click()
    expect(page).to_have_url("/apps/?filter=stale")
    for name in NAMES:
        page.get_by_role("checkbox", name=f"Select {name}").check()
    page.get_by_role("button", name="Disconnect selected…").click()
    expect(page.get_by_role("heading", level=1, name="Disconnect these 2 apps?")).to_be_visible()
    page.get_by_role("button", name="Disconnect 2 apps").click()
    expect(page).to_have_url("/apps/?filter=stale")
    expect(page.locator("#messages")).to_contain_text("Disconnected:")
    expect(page.locator("#messages")).to_be_in_viewport()
    assert len(sandbox.authorized_client_ids("john")) == len(JOHNS_APPS) - 2


def test_the_confirmation_page_is_accessible(signed_in: Callable[..., Page]):
    """The page people without JavaScript see (axe itself needs JavaScript to run)."""
    page = signed_in("john")
    page.goto("/apps/?filter=stale")
    for name in NAMES:
        page.get_by_role("checkbox", name=f"Select {name}").check()
    # A programmatic submit bypasses htmx: the browser posts the form as it would without it.
    page.evaluate("document.getElementById('cleanup-form').submit()")
    expect(page.get_by_role("heading", level=1, name="Disconnect these 2 apps?")).to_be_visible()
    assert_accessible(page)
