"""The pages fit the screen: no sideways scrolling on a phone or a desktop."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from authlete_sandbox import seed as demo
from tests.e2e.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser

TEMPO = demo.TEMPO_PLANNER
PAGES = [
    "/apps/",
    f"/apps/{TEMPO}/",
    f"/apps/{TEMPO}/narrow/",
    f"/apps/{TEMPO}/revoke/",
    "/apps/revoke-all/",
    "/apps/activity/",
]


def _overflow(page: Page) -> str:
    """Empty when nothing is wider than the window, else what sticks out."""
    return page.evaluate(
        """() => {
          const width = window.innerWidth;
          if (document.documentElement.scrollWidth <= width) return "";
          const wide = [...document.querySelectorAll("body *")]
            .filter(el => el.getBoundingClientRect().right > width + 0.5)
            .slice(0, 5)
            .map(el => el.tagName.toLowerCase() + (el.className ? "." + el.className : ""));
          return `scrollWidth ${document.documentElement.scrollWidth} > ${width}: ${wide}`;
        }"""
    )


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_no_page_scrolls_sideways(signed_in: Callable[..., Page], viewport: dict[str, int]):
    page = signed_in("john", viewport=viewport, is_mobile=viewport is PHONE)
    for path in PAGES:
        page.goto(path)
        expect(page.locator("h1")).to_have_count(1)
        assert _overflow(page) == "", path


def test_the_in_place_forms_fit_a_phone(signed_in: Callable[..., Page]):
    page = signed_in("john", viewport=PHONE, is_mobile=True)
    name = demo.CLIENT_NAMES[TEMPO]
    page.locator(f"#app-{TEMPO} summary").click()
    expect(page.locator(f"#app-{TEMPO} .scope").first).to_be_visible()
    assert _overflow(page) == ""
    page.get_by_role("link", name=f"Disconnect {name}").click()
    expect(page.get_by_role("heading", name=f"Disconnect {name}?")).to_be_visible()
    assert _overflow(page) == ""
