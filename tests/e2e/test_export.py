"""Downloading your data in a real browser: a file arrives, the page stays, keyboard and no-JS."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from authlete_sandbox import seed as demo

pytestmark = pytest.mark.browser

ACTIVITY = "/apps/activity/"


def _download(page: Page, link: str) -> tuple[str, bytes]:
    """Reach the link with the keyboard, press Enter, and return the saved file."""
    target = page.get_by_role("link", name=link)
    target.focus()
    expect(target).to_be_focused()
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    download = info.value
    return download.suggested_filename, Path(download.path()).read_bytes()


def test_without_javascript_the_csv_is_a_file_and_the_page_stays(
    signed_in: Callable[..., Page], sandbox
):
    page = signed_in("john", java_script_enabled=False, accept_downloads=True)
    page.goto(ACTIVITY)

    name, content = _download(page, "Download (CSV)")

    assert name == f"connected-apps-{datetime.now(UTC).date().isoformat()}.csv"
    assert content.startswith(b"\xef\xbb\xbf")
    assert demo.CLIENT_NAMES[demo.HARBOR_BACKUP] in content.decode("utf-8-sig")
    assert page.url.endswith(ACTIVITY)
    expect(page.get_by_role("heading", level=1)).to_have_text("History of your connected apps")


def test_with_javascript_the_json_downloads_whole(signed_in: Callable[..., Page], sandbox):
    page = signed_in("john", accept_downloads=True)
    page.goto(ACTIVITY)

    name, content = _download(page, "Download (JSON)")

    assert name.endswith(".json")
    document = json.loads(content)
    assert document["complete"] is True
    assert {app["client_id"] for app in document["apps"]} == set(demo.DEMO_GRANTS["john"])
