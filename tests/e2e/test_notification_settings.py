"""The notification settings page in a real browser: with and without JavaScript, by keyboard,
on a phone, in dark mode, and accessible."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from connected_apps.notifications.models import NotificationPreference
from tests.e2e.conftest import PHONE
from tests.e2e.test_accessibility import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHOICE = "E-mail me when an app is disconnected or loses permissions"


def _saved_choice() -> bool:
    return NotificationPreference.objects.get(user__username="john").access_removed


def test_the_choice_is_saved_without_javascript(signed_in: Callable[..., Page]):
    page = signed_in("john", java_script_enabled=False)
    page.get_by_role("link", name="E-mail notifications").click()
    checkbox = page.get_by_label(CHOICE)
    expect(checkbox).to_be_checked()
    checkbox.uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your e-mail settings are saved.")).to_be_visible()
    expect(page.get_by_label(CHOICE)).not_to_be_checked()
    assert _saved_choice() is False


def test_the_choice_is_saved_in_place_by_keyboard(signed_in: Callable[..., Page]):
    page = signed_in("john")
    page.goto("/apps/settings/")
    checkbox = page.get_by_label(CHOICE)
    checkbox.focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Save")).to_be_focused()
    page.keyboard.press("Enter")
    saved = page.get_by_role("status").get_by_text("Your e-mail settings are saved.")
    expect(saved).to_be_focused()
    assert page.url.endswith("/apps/settings/")
    expect(page.get_by_label(CHOICE)).not_to_be_checked()
    assert _saved_choice() is False


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_page_fits_a_phone_and_is_accessible(signed_in: Callable[..., Page], scheme: str):
    page = signed_in("john", viewport=PHONE, color_scheme=scheme)
    page.goto("/apps/settings/")
    expect(page.get_by_text("These e-mails cannot be turned off")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert_accessible(page)
