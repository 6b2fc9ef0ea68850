"""An app's page in a browser: what removing permissions will do is seen before Save, and the
result is seen where the person is looking after it, with JavaScript on or off."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from authlete_sandbox import seed as demo
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.test_accessibility import assert_accessible

pytestmark = pytest.mark.browser

NOTES = demo.INKWELL_NOTES
NAME = demo.CLIENT_NAMES[NOTES]


def _checkbox(page: Page, scope: str):
    return page.get_by_role("checkbox", name=re.compile(rf"\b{re.escape(scope)}\b"))


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_removing_a_permission_says_what_follows_before_save_and_the_result_after(
    signed_in: Callable[..., Page], sandbox: Any, viewport: dict[str, int]
):
    page = signed_in("john", viewport=viewport)
    page.goto(f"/apps/{NOTES}/")
    page.evaluate("window.__sameDocument = true")
    page.get_by_role("link", name="Remove permissions…").click()
    expect(page.locator("legend")).to_be_focused()

    checkbox = _checkbox(page, "files.write")
    expect(checkbox).to_be_visible()
    expect(page.locator("label", has=checkbox)).to_contain_text(
        f"If unchecked: {NAME} can no longer do this for you."
    )
    checkbox.uncheck()
    save = page.get_by_role("button", name="Save permissions")
    save.scroll_into_view_if_needed()
    # What happens next is on screen together with the button that makes it happen.
    summary = page.locator(".narrow__summary")
    expect(summary).to_contain_text("it may ask you again for what you removed")
    expect(summary).to_be_in_viewport()
    save.click()

    result = page.get_by_role("status").filter(has_text=f"{NAME} now keeps 5 permissions")
    expect(result).to_be_in_viewport()
    expect(result).to_be_focused()
    expect(page).to_have_url(re.compile(f"/apps/{NOTES}/$"))
    expect(page.locator("#can-do code", has_text="files.write")).to_have_count(0)
    assert page.evaluate("window.__sameDocument === true")
    assert all("files.write" not in scopes for scopes in sandbox.token_scopes("john", NOTES))


def test_without_javascript_the_result_is_on_the_apps_page(
    signed_in: Callable[..., Page], sandbox: Any
):
    page = signed_in("john", java_script_enabled=False, viewport=PHONE)
    page.goto(f"/apps/{NOTES}/")
    page.get_by_role("link", name="Remove permissions…").click()
    expect(page).to_have_url(re.compile(f"/apps/{NOTES}/narrow/$"))
    expect(page.locator(".narrow__summary")).to_contain_text("may ask you again")
    _checkbox(page, "email").uncheck()
    page.get_by_role("button", name="Save permissions").click()

    expect(page).to_have_url(re.compile(f"/apps/{NOTES}/$"))
    expect(page.locator("#messages")).to_contain_text(f"{NAME} now keeps 5 permissions")
    expect(page.locator("#messages")).to_be_in_viewport()
    assert all("email" not in scopes for scopes in sandbox.token_scopes("john", NOTES))


def test_cancel_puts_the_permission_list_back_and_changes_nothing(
    signed_in: Callable[..., Page], sandbox: Any
):
    page = signed_in("john")
    page.goto(f"/apps/{NOTES}/")
    sandbox.clear_requests()
    page.get_by_role("link", name="Remove permissions…").click()
    _checkbox(page, "openid").uncheck()
    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_role("heading", name="What it can do")).to_be_visible()
    expect(page.locator("#can-do code", has_text="openid")).to_have_count(1)
    assert sandbox.writes() == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_apps_page_and_its_form_have_no_accessibility_problems(
    signed_in: Callable[..., Page], scheme: str
):
    page = signed_in("john", color_scheme=scheme)
    page.goto(f"/apps/{NOTES}/")
    page.locator(".consent-history summary").click()
    assert_accessible(page)
    page.get_by_role("link", name="Remove permissions…").click()
    expect(page.get_by_role("button", name="Save permissions")).to_be_visible()
    assert_accessible(page)
    _checkbox(page, "profile").uncheck()
    page.get_by_role("button", name="Save permissions").click()
    expect(page.get_by_role("status").filter(has_text="now keeps")).to_be_visible()
    assert_accessible(page)
