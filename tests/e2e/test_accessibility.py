"""axe-core on every page the portal shows: no serious or critical accessibility violation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from authlete_sandbox import seed as demo
from tests.e2e.conftest import PASSWORD

pytestmark = pytest.mark.browser

_axe = Axe()
BLOCKING = {"serious", "critical"}
TEMPO = demo.TEMPO_PLANNER


def _describe(node: dict[str, Any]) -> str:
    where = " ".join(map(str, node["target"]))
    why = (node.get("any") or node.get("all") or [{}])[0].get("message", "")
    return f"    at {where}: {why}"


def assert_accessible(page: Page, *, context: str | None = None) -> None:
    """Fail on any serious or critical axe violation, naming each rule and where it fired."""
    results = _axe.run(page, context=context)
    problems = [
        f"{violation['id']} ({violation['impact']}): {violation['help']}\n"
        + "\n".join(_describe(node) for node in violation["nodes"])
        for violation in results.response["violations"]
        if violation["impact"] in BLOCKING
    ]
    assert not problems, f"axe found problems on {page.url}:\n" + "\n".join(problems)


@pytest.fixture
def john_page(signed_in: Callable[..., Page]) -> Page:
    return signed_in("john")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_list_and_its_in_place_forms(signed_in: Callable[..., Page], scheme: str):
    page = signed_in("john", color_scheme=scheme)
    assert_accessible(page)
    name = demo.CLIENT_NAMES[TEMPO]
    page.locator(f"#app-{TEMPO} summary").click()
    expect(page.locator(f"#app-{TEMPO} .scope").first).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name=f"Disconnect {name}").click()
    expect(page.get_by_role("heading", name=f"Disconnect {name}?")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name=f"Disconnect {name}").click()
    expect(page.get_by_text(f"{name} is disconnected.")).to_be_visible()
    assert_accessible(page)


@pytest.mark.parametrize(
    "path",
    [
        f"/apps/{TEMPO}/",
        f"/apps/{TEMPO}/narrow/",
        f"/apps/{TEMPO}/revoke/",
        "/apps/revoke-all/",
        "/apps/?page=2",
        "/apps/?q=zzz",
        "/apps/?filter=stale&filter=away",
        "/apps/?filter=stale&q=zzz",
    ],
    ids=[
        "details",
        "narrow",
        "revoke",
        "revoke-all",
        "second-page",
        "no-match",
        "filtered",
        "filtered-empty",
    ],
)
def test_full_pages(john_page: Page, path: str):
    john_page.goto(path)
    assert_accessible(john_page)


def test_the_narrow_form_with_its_errors(john_page: Page):
    john_page.goto(f"/apps/{TEMPO}/narrow/")
    for checkbox in john_page.get_by_role("checkbox").all():
        checkbox.uncheck()
    john_page.get_by_role("button", name="Save permissions").click()
    expect(john_page.get_by_role("alert")).to_be_visible()
    assert_accessible(john_page)


def test_the_error_states(john_page: Page, sandbox: Any):
    name = demo.CLIENT_NAMES[TEMPO]
    sandbox.fault("status500", path="/client/authorization/delete/")
    john_page.get_by_role("link", name=f"Disconnect {name}").click()
    john_page.get_by_role("button", name=f"Disconnect {name}").click()
    expect(john_page.get_by_role("alert")).to_contain_text("Nothing was changed")
    assert_accessible(john_page)

    sandbox.fault("status500", path="/client/authorization/get/list")
    john_page.goto("/apps/")
    expect(john_page.get_by_role("alert")).to_contain_text("Please try again")
    assert_accessible(john_page)


def test_the_activity_page(john_page: Page):
    john_page.goto("/apps/activity/")
    assert_accessible(john_page)
    john_page.goto(f"/apps/{TEMPO}/revoke/")
    john_page.get_by_role("button", name=f"Disconnect {demo.CLIENT_NAMES[TEMPO]}").click()
    expect(john_page.locator("#messages")).to_contain_text("was disconnected")
    john_page.goto("/apps/activity/")
    expect(john_page.locator(".timeline__item", has_text="You disconnected")).to_have_count(1)
    assert_accessible(john_page)


def test_the_login_page(new_context: Callable[..., Any]):
    page = new_context().new_page()
    page.goto("/accounts/login/")
    assert_accessible(page)
    page.get_by_label("Username or email").fill("nobody")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page)


def test_the_empty_state(signed_in: Callable[..., Page]):
    page = signed_in("bob")
    expect(
        page.get_by_role("heading", name="No apps are connected to your account")
    ).to_be_visible()
    assert_accessible(page)
    page.goto("/apps/revoke-all/")
    assert_accessible(page)


def test_the_admin_view_of_someones_apps(
    new_context: Callable[..., Any], make_user: Callable[..., Any], support_user: Any, sandbox: Any
):
    john = make_user("john")
    page = new_context().new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Username or email").fill(support_user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", level=1, name="Connected apps")).to_be_visible()
    page.goto(f"/admin/people/{john.pk}/apps/")
    expect(page.get_by_role("heading", name=demo.CLIENT_NAMES[TEMPO])).to_be_visible()
    assert_accessible(page)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_staff_console(
    new_context: Callable[..., Any],
    make_user: Callable[..., Any],
    support_user: Any,
    sandbox: Any,
    scheme: str,
):
    make_user("john")
    page = new_context(color_scheme=scheme).new_page()
    page.goto("/admin/")
    page.get_by_label("Username or email").fill(support_user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Staff console")).to_be_visible()
    assert_accessible(page)
    console = "/admin/console/"
    person = f"{console}subjects/john/"
    for path in (
        f"{console}?q=jo",
        person,
        f"{person}?filter=away&sort=name",
        f"{person}apps/{TEMPO}/",
        f"{person}apps/{TEMPO}/revoke/",
        f"{person}apps/{TEMPO}/narrow/",
        f"{person}revoke-all/",
        f"{console}audit/",
        f"{console}audit/?date_from=never",
    ):
        page.goto(path)
        assert_accessible(page)
    page.goto(f"{person}apps/{TEMPO}/revoke/")
    page.evaluate("document.querySelector('textarea[name=reason]').removeAttribute('required')")
    page.get_by_role("button", name=f"Disconnect {demo.CLIENT_NAMES[TEMPO]}").click()
    expect(page.get_by_role("alert")).to_contain_text("Give a reason")
    assert_accessible(page)
    page.get_by_label("Reason").fill("Asked by phone")
    page.get_by_role("button", name=f"Disconnect {demo.CLIENT_NAMES[TEMPO]}").click()
    expect(page.get_by_role("status")).to_contain_text("Disconnected")
    page.goto(f"{console}audit/")
    assert_accessible(page)
