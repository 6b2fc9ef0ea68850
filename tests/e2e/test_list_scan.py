"""The list as an index: short enough to scan, names on the first screen, results in view."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.django_db(transaction=True)

# Where a person can look at what the tests saw (set by hand; unset in the suite).
_SHOTS = os.environ.get("PORTAL_LIST_SHOTS", "")


def _shoot(page: Page, name: str) -> None:
    if _SHOTS:
        page.screenshot(path=f"{_SHOTS}/{name}.png", full_page=True)


def _first_page(page: Page) -> None:
    """The list as it opens on any later visit (no sign-in message above it)."""
    page.goto("/apps/")
    expect(page.locator(".app-row")).to_have_count(10)


def _names_in_first_screen(page: Page) -> int:
    return page.evaluate(
        """() => [...document.querySelectorAll('.app-row .app-card__title')]
              .filter(e => e.getBoundingClientRect().bottom <= window.innerHeight).length"""
    )


def test_johns_first_page_fits_a_desktop_with_seven_names_on_the_first_screen(
    signed_in: Callable[..., Page],
):
    page = signed_in("john", viewport=DESKTOP)
    _first_page(page)
    _shoot(page, "desktop")
    assert page.evaluate("document.documentElement.scrollHeight") <= 1100
    assert _names_in_first_screen(page) >= 7


def test_johns_first_page_fits_a_phone(signed_in: Callable[..., Page]):
    page = signed_in("john", viewport=PHONE, color_scheme="dark")
    _first_page(page)
    _shoot(page, "phone-dark")
    assert page.evaluate("document.documentElement.scrollHeight") <= 1600
    # Disconnect is a full-size target on a phone.
    box = page.locator(".app-row .button--danger").first.bounding_box()
    assert box and box["height"] >= 44


def test_a_row_opens_to_every_permission_without_javascript(signed_in: Callable[..., Page]):
    page = signed_in("john", java_script_enabled=False)
    row = page.locator("#app-17203958316027")
    expect(row.get_by_text("See your email address")).to_be_hidden()
    row.locator("summary").click()
    expect(row.get_by_text("See your email address")).to_be_visible()


def test_after_an_in_list_disconnect_the_result_is_in_view_and_the_count_drops(
    signed_in: Callable[..., Page],
):
    page = signed_in("john", viewport=DESKTOP)
    expect(page.locator("#app-list-count")).to_have_text("14 connected apps")
    row = page.locator(".app-row").nth(7)
    name = row.locator(".app-card__title").inner_text()
    row.scroll_into_view_if_needed()
    row.get_by_role("link", name=f"Disconnect {name}").click()
    page.get_by_role("button", name=f"Disconnect {name}").click()
    result = page.get_by_text(f"{name} is disconnected.")
    expect(result).to_be_in_viewport()
    expect(result).to_be_focused()
    expect(page.locator("#app-list-count")).to_have_text("13 connected apps")
    _shoot(page, "after-disconnect")
