"""After disconnecting everything, or ending one sign-in, the result is where the person is
looking and has keyboard focus, on a desktop and on a phone."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from authlete_sandbox import seed as demo
from tests.e2e.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser

HARBOR = demo.HARBOR_BACKUP
VIEWPORTS = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])


@VIEWPORTS
def test_after_disconnecting_every_app_the_report_is_in_view_and_focused(
    signed_in: Callable[..., Page], sandbox: Any, viewport: dict[str, int]
):
    page = signed_in("john", viewport=viewport)
    page.get_by_role("link", name="Disconnect all apps…").click()
    page.get_by_role("checkbox", name=re.compile("I understand")).check()
    button = page.get_by_role("button", name="Disconnect all apps")
    button.scroll_into_view_if_needed()
    button.click()

    report = page.locator("#messages .alert", has_text="Disconnected:")
    expect(report).to_be_in_viewport()
    expect(report).to_be_focused()
    expect(report).to_contain_text(demo.CLIENT_NAMES[HARBOR])
    assert sandbox.authorized_client_ids("john") == []


@VIEWPORTS
def test_ending_one_sign_in_shows_its_result_in_view_and_focused(
    signed_in: Callable[..., Page], sandbox: Any, viewport: dict[str, int]
):
    page = signed_in("john", viewport=viewport)
    page.goto(f"/apps/{HARBOR}/")
    page.evaluate("window.__sameDocument = true")
    assert len(sandbox.token_state("john", HARBOR)) == 2
    end = page.locator(".sign-in").first.get_by_role("link", name=re.compile("^End"))
    end.scroll_into_view_if_needed()
    end.click()
    confirm = page.get_by_role("button", name="End this sign-in")
    expect(confirm).to_be_visible()
    confirm.scroll_into_view_if_needed()
    confirm.click()

    name = demo.CLIENT_NAMES[HARBOR]
    # On the page itself, under "Where it's signed in": not only in the screen-reader region.
    result = (
        page.locator("#detail")
        .get_by_role("status")
        .filter(has_text=f"That sign-in of {name} has ended")
    )
    expect(result).to_be_in_viewport()
    expect(result).to_be_focused()
    expect(page.locator(".sign-in")).to_have_count(1)
    assert page.evaluate("window.__sameDocument === true")
    assert len(sandbox.token_state("john", HARBOR)) == 1


def test_without_javascript_ending_a_sign_in_shows_the_result_at_the_top(
    signed_in: Callable[..., Page], sandbox: Any
):
    page = signed_in("john", java_script_enabled=False, viewport=PHONE)
    page.goto(f"/apps/{HARBOR}/")
    page.locator(".sign-in").first.get_by_role("link", name=re.compile("^End")).click()
    page.get_by_role("button", name="End this sign-in").click()

    expect(page).to_have_url(re.compile(f"/apps/{HARBOR}/$"))
    message = page.locator("#messages")
    expect(message).to_contain_text(f"That sign-in of {demo.CLIENT_NAMES[HARBOR]} has ended")
    expect(message).to_be_in_viewport()


def test_with_nothing_connected_the_list_shows_only_the_empty_state(
    signed_in: Callable[..., Page],
):
    page = signed_in("bob", viewport=PHONE)
    expect(
        page.get_by_role("heading", name="No apps are connected to your account")
    ).to_be_visible()
    expect(page.locator("#app-list-count")).to_be_hidden()
    expect(page.get_by_role("searchbox")).to_have_count(0)
    expect(page.get_by_role("link", name="Disconnect all apps…")).to_have_count(0)


def test_on_a_phone_the_signed_in_name_and_made_by_are_visible(signed_in: Callable[..., Page]):
    page = signed_in("john", viewport=PHONE, color_scheme="dark")
    expect(page.locator(".account-menu__name")).to_have_text("john")
    expect(page.locator(".account-menu__name")).to_be_visible()
    page.goto(f"/apps/{demo.ACME_COMMAND_LINE}/")
    expect(page.locator(".app-detail__header")).to_contain_text("Made by Acme Account")


def test_a_confirmation_lists_what_is_lost_without_scope_codes(signed_in: Callable[..., Page]):
    page = signed_in("john")
    page.goto(f"/apps/{HARBOR}/revoke/")
    losing = page.locator(".scope-list--losing")
    expect(losing).to_contain_text("Upload, change and delete your files")
    expect(losing.locator(".scope__name").first).to_be_hidden()
