"""Choosing a language in the footer, in a real browser: by keyboard, without JavaScript, and
pages in French and Japanese still fit a phone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import PASSWORD, PHONE

pytestmark = pytest.mark.browser


def _sign_in_by_field_names(page: Page, username: str) -> None:
    """The labels may be in any language here: find the fields by name."""
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url("**/apps/")


def test_a_language_chosen_by_keyboard_follows_the_person_to_another_browser(
    signed_in: Callable[..., Page], new_context: Callable[..., BrowserContext]
):
    page = signed_in("john")
    page.get_by_label("Language").focus()
    page.keyboard.press("End")  # the last language offered: 日本語 or Français
    chosen = page.get_by_label("Language").input_value()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Change")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("html")).to_have_attribute("lang", chosen)
    assert page.url.endswith("/apps/")

    elsewhere = new_context().new_page()  # asks for English
    _sign_in_by_field_names(elsewhere, "john")
    expect(elsewhere.locator("html")).to_have_attribute("lang", chosen)


def test_the_language_menu_works_without_javascript_signed_out(
    new_context: Callable[..., BrowserContext],
):
    page = new_context(java_script_enabled=False).new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Language").select_option("fr")
    page.get_by_role("button", name="Change").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    assert page.url.endswith("/accounts/login/")
    expect(page.get_by_label("Langue")).to_have_value("fr")


@pytest.mark.parametrize("language", ["fr", "ja"])
def test_french_and_japanese_pages_fit_a_phone(
    new_context: Callable[..., BrowserContext],
    make_user: Callable[..., Any],
    sandbox: Any,
    language: str,
):
    user = make_user("john")
    user.language = language
    user.save()
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    _sign_in_by_field_names(page, "john")
    for url in ("/apps/", "/apps/activity/", "/apps/revoke-all/"):
        page.goto(url)
        expect(page.locator("html")).to_have_attribute("lang", language)
        wider = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert wider <= 0, f"{url} in {language} scrolls sideways by {wider}px on a phone"
