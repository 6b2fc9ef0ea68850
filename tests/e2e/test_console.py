"""Support in a real browser: from a subject id in a ticket to the change on the audit trail."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from playwright.sync_api import Page, expect

from authlete_sandbox import seed as demo
from connected_apps.staff import roles
from tests.e2e.conftest import PASSWORD

pytestmark = pytest.mark.browser

TEMPO = demo.TEMPO_PLANNER
NAME = demo.CLIENT_NAMES[TEMPO]


def _group(name: str) -> Group:
    """The role's group as the migration makes it; browser tests empty the tables between them."""
    group, _ = Group.objects.get_or_create(name=name)
    codenames = roles.GROUPS[name]
    group.permissions.set(Permission.objects.filter(codename__in=codenames))
    return group


@pytest.fixture
def agent(make_user: Callable[..., Any]) -> Any:
    staff = make_user("agent", staff=True)
    staff.groups.add(_group("Support — acting"))
    return staff


def _sign_in_to_the_admin(page: Page, username: str) -> None:
    # The admin sends staff to the portal's own sign-in page, then back.
    page.goto("/admin/")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Staff console")).to_be_visible()


def test_support_finds_a_person_by_subject_disconnects_an_app_and_finds_it_in_the_audit(
    new_context: Callable[..., Any],
    make_user: Callable[..., Any],
    agent: Any,
    sandbox: Any,
):
    # The ticket names only the subject; the account has another username.
    make_user("jdoe", subject=demo.SUBJECT_JOHN)
    page = new_context().new_page()
    _sign_in_to_the_admin(page, agent.username)

    page.get_by_label("Find a person by subject, username or e-mail").fill(demo.SUBJECT_JOHN)
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_role("heading", level=1, name="Connected apps of jdoe")).to_be_visible()
    expect(page.get_by_text("14 connected apps")).to_be_visible()
    row = page.locator(f"#app-{TEMPO}")
    expect(row.get_by_role("heading", name=NAME)).to_be_visible()

    row.get_by_role("link", name=f"Disconnect {NAME}").click()
    expect(page.get_by_role("heading", level=1, name=f"Disconnect {NAME}?")).to_be_visible()
    expect(page.get_by_text("jdoe will see this change in their activity")).to_be_visible()
    # Without a reason the browser itself asks for one; nothing is sent.
    page.get_by_role("button", name=f"Disconnect {NAME}").click()
    expect(page).to_have_url(re.compile(f"/apps/{TEMPO}/revoke/$"))
    page.get_by_label("Reason").fill("Customer says it posts as them; never approved it")
    page.get_by_role("button", name=f"Disconnect {NAME}").click()

    expect(page.get_by_role("status")).to_contain_text(f"Disconnected {NAME}. jdoe will see this")
    expect(page.get_by_text("13 connected apps")).to_be_visible()
    expect(page.locator(f"#app-{TEMPO}")).to_have_count(0)
    assert TEMPO not in sandbox.authorized_client_ids(demo.SUBJECT_JOHN)

    page.get_by_role("link", name="Who did what").click()
    page.get_by_label("Subject").fill(demo.SUBJECT_JOHN)
    page.get_by_label("Action").select_option(label="Disconnected app")
    page.get_by_label("Outcome").select_option(label="Done")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("heading", name="1 change", exact=True)).to_be_visible()
    found = page.locator(".console-table tbody tr")
    expect(found).to_have_count(1)
    expect(found).to_contain_text("agent")
    expect(found).to_contain_text(NAME)
    expect(found).to_contain_text("Customer says it posts as them; never approved it")
    expect(found.get_by_role("link", name=demo.SUBJECT_JOHN)).to_have_attribute(
        "href", f"/admin/console/subjects/{demo.SUBJECT_JOHN}/"
    )


def test_read_only_support_sees_the_apps_without_any_button(
    new_context: Callable[..., Any], make_user: Callable[..., Any], sandbox: Any
):
    reader = make_user("reader", staff=True)
    reader.groups.add(_group("Support — read only"))
    make_user("john")
    page = new_context().new_page()
    _sign_in_to_the_admin(page, "reader")
    page.goto(f"/admin/console/subjects/{demo.SUBJECT_JOHN}/")
    expect(page.get_by_text("Your role: read-only support")).to_be_visible()
    expect(page.locator(f"#app-{TEMPO}")).to_be_visible()
    expect(page.get_by_role("link", name=f"Disconnect {NAME}")).to_have_count(0)
    expect(page.get_by_role("link", name="Disconnect all apps…")).to_have_count(0)
