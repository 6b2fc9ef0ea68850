"""Incident response in a real browser: by keyboard from the app to a running sweep whose
progress refreshes itself into the report, with JavaScript and without, on a phone too."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from playwright.sync_api import Page, expect

from connected_apps.staff import roles
from tests.e2e.conftest import PASSWORD, PHONE

pytestmark = pytest.mark.browser

PEOPLE = ["ada", "bob", "cyd"]


@pytest.fixture
def responder(make_user: Callable[..., Any]) -> Any:
    group, _ = Group.objects.get_or_create(name="Incident response")
    group.permissions.set(Permission.objects.filter(codename__in=roles.GROUPS[group.name]))
    staff = make_user("responder", staff=True)
    staff.groups.add(group)
    return staff


@pytest.fixture
def rogue(sandbox: Any) -> int:
    body = {"clientName": "Rogue Widget", "redirectUris": ["https://rogue.example/cb"]}
    client_id = sandbox.api("POST", "/client/create", json=body).json()["clientId"]
    for subject in PEOPLE:
        sandbox.authorize(clientId=client_id, subject=subject, scopes=["openid"])
    return client_id


def _admin(page: Page, username: str) -> None:
    page.goto("/admin/")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Staff console")).to_be_visible()


def _work() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)


def test_by_keyboard_a_sweep_starts_and_its_progress_becomes_the_report(
    new_context, responder, rogue, sandbox
):
    page = new_context().new_page()
    _admin(page, responder.username)
    page.goto("/admin/console/incident/")
    page.keyboard.type(str(rogue))  # the search box has the focus
    page.keyboard.press("Enter")
    expect(page.get_by_text("3 people hold them.")).to_be_visible()
    start = page.get_by_role("link", name="Disconnect from everyone…")
    start.focus()
    page.keyboard.press("Enter")
    page.get_by_label("Reason").focus()
    page.keyboard.type("Client secret leaked")
    page.get_by_role("button", name="Disconnect from everyone").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=2, name="Finding who holds tokens")).to_be_visible()
    _work()
    # htmx polls every 2 s and swaps the region in place: no reload, the report appears.
    expect(page.get_by_role("heading", name="Report")).to_be_visible(timeout=8_000)
    expect(page.get_by_role("status")).to_have_text("No longer holding the app: 3 of 3. Failed: 0.")
    assert sandbox.control("GET", "state/tokens", params={"clientId": rogue}) == []


def test_without_javascript_on_a_phone_the_page_reloads_itself(
    new_context, responder, rogue, sandbox
):
    page = new_context(java_script_enabled=False, viewport=PHONE).new_page()
    _admin(page, responder.username)
    page.goto(f"/admin/console/incident/apps/{rogue}/disconnect/")
    page.get_by_label("Reason").fill("Client secret leaked")
    page.get_by_role("button", name="Disconnect from everyone").click()
    expect(page.get_by_role("link", name="Refresh")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    _work()
    expect(page.get_by_role("heading", name="Report")).to_be_visible(timeout=8_000)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
