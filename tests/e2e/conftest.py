"""Browser fixtures: one headless Chromium per session, a fresh context per test, people."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.support import CHROMIUM, CHROMIUM_ARGS

# Playwright's sync API runs an asyncio loop in the test thread; Django then refuses ORM calls
# from it ("You cannot call this from an async context") although they really run synchronously.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
PASSWORD = "correct horse battery staple"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

# Every browser test waits for the page, never for a fixed time; a few seconds is plenty locally.
expect.set_options(timeout=5_000)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_context(browser: Browser, live_server: Any) -> Iterator[Callable[..., BrowserContext]]:
    """Open browser contexts on the live portal; every one is closed after the test."""
    contexts: list[BrowserContext] = []

    def open_context(**options: Any) -> BrowserContext:
        options.setdefault("viewport", DESKTOP)
        context = browser.new_context(base_url=live_server.url, locale="en-GB", **options)
        context.set_default_timeout(5_000)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()


@pytest.fixture
def make_user(django_user_model: Any) -> Callable[..., Any]:
    def make(username: str, *, subject: str = "", staff: bool = False) -> Any:
        return django_user_model.objects.create_user(
            username=username,
            email=f"{username}@example.com",
            password=PASSWORD,
            authlete_subject=subject,
            is_staff=staff,
        )

    return make


def sign_in(page: Page, username: str) -> None:
    """Sign in through the real login form, as a person would."""
    page.goto("/accounts/login/")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", level=1, name="Connected apps")).to_be_visible()


@pytest.fixture
def signed_in(
    new_context: Callable[..., BrowserContext], make_user: Callable[..., Any], sandbox: Any
) -> Callable[..., Page]:
    """A page signed in as a demo subject (created on first use), on a fresh sandbox world."""

    def open_page(username: str = "john", **context_options: Any) -> Page:
        make_user(username)
        page = new_context(**context_options).new_page()
        sign_in(page, username)
        return page

    return open_page


@pytest.fixture
def support_user(make_user: Callable[..., Any]) -> Any:
    staff = make_user("support", staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="manage_connected_apps"))
    return staff
