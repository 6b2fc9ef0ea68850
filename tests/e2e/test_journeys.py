"""What people do on the portal, in a real browser, checked against what Authlete now holds."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from authlete_sandbox import seed as demo
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.browser

TEMPO = demo.TEMPO_PLANNER  # openid profile calendar.read calendar.write
PRISM = demo.PRISM_PHOTO_BOOK  # profile photos.read
LEDGERLY = demo.LEDGERLY_BUDGET  # email payments.read


def _card(page: Page, client_id: int) -> Locator:
    return page.locator(f"#app-{client_id}")


def _mark_document(page: Page) -> None:
    """A marker on window that only survives if the page is never reloaded or left."""
    page.evaluate("window.__sameDocument = true")


def _same_document(page: Page) -> bool:
    return page.evaluate("window.__sameDocument === true")


def _issue_token(sandbox: Any, client_id: int, scopes: list[str]) -> str:
    return sandbox.authorize(clientId=client_id, subject="john", scopes=scopes)["accessToken"]


def _focused(page: Page) -> dict[str, str]:
    return page.evaluate(
        """() => {
          const el = document.activeElement;
          const style = getComputedStyle(el);
          return {
            tag: el.tagName.toLowerCase(),
            name: (el.getAttribute("aria-label") || el.textContent || "")
              .trim().replace(/\\s+/g, " "),
            id: el.id,
            card: (el.closest(".app-card") || {}).id || "",
            outline: style.outlineStyle === "none" ? "none" : style.outlineWidth,
            shadow: style.boxShadow,
          };
        }"""
    )


def _assert_focus_is_visible(page: Page) -> None:
    focused = _focused(page)
    visible = focused["outline"] not in ("none", "0px") or focused["shadow"] != "none"
    assert visible, f"no visible focus indicator on {focused}"


def _tab_to(page: Page, name: str, *, limit: int = 80) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if _focused(page)["name"] == name:
            return
    raise AssertionError(f"Tab never reached {name!r}")


def test_a_row_opens_to_all_it_may_do_and_its_page_narrows_it_and_its_tokens(
    new_context: Callable[..., Any], make_user: Callable[..., Any], sandbox: Any
):
    make_user("john")
    token = _issue_token(sandbox, TEMPO, ["openid", "calendar.read", "calendar.write"])
    page = new_context().new_page()
    sign_in(page, "john")

    expect(page.locator(".app-card")).to_have_count(10)
    expect(page.get_by_text("14 connected apps")).to_be_visible()
    card = _card(page, TEMPO)
    expect(card.get_by_role("heading", name=demo.CLIENT_NAMES[TEMPO])).to_be_visible()
    # The row leads with the weightiest permission; the rest are one click away.
    expect(card.locator("summary")).to_contain_text("Create and change events in your calendar")
    expect(card.get_by_text("Sign you in with your Acme Account")).to_be_hidden()
    card.locator("summary").click()
    expect(card.get_by_text("Sign you in with your Acme Account")).to_be_visible()

    card.get_by_role("link", name=demo.CLIENT_NAMES[TEMPO], exact=True).click()
    _mark_document(page)
    page.get_by_role("link", name="Remove permissions…").click()
    for scope in ("openid", "profile", "calendar.write"):
        page.get_by_role("checkbox", name=re.compile(rf"\b{re.escape(scope)}\b")).uncheck()
    page.get_by_role("button", name="Save permissions").click()

    expect(page.get_by_role("status").filter(has_text="now keeps")).to_be_visible()
    assert _same_document(page)

    introspection = sandbox.introspect(token)
    assert introspection["scopes"] == ["calendar.read"]
    assert sandbox.token_scopes("john", TEMPO) and all(
        scopes == ["calendar.read"] for scopes in sandbox.token_scopes("john", TEMPO)
    )


def test_disconnecting_an_app_ends_its_tokens_and_shows_in_the_activity(
    signed_in: Callable[..., Page], sandbox: Any
):
    token = _issue_token(sandbox, PRISM, ["photos.read"])
    page = signed_in("john")
    name = demo.CLIENT_NAMES[PRISM]
    _mark_document(page)

    _card(page, PRISM).get_by_role("link", name=f"Disconnect {name}").click()
    confirm = _card(page, PRISM)
    expect(confirm.get_by_role("heading", name=f"Disconnect {name}?")).to_be_visible()
    expect(confirm.get_by_text("See your photos and albums")).to_be_visible()
    confirm.get_by_role("button", name=f"Disconnect {name}").click()

    # The row says so where it stood.
    expect(_card(page, PRISM)).to_contain_text(f"{name} is disconnected.")
    expect(page.locator("#messages")).to_contain_text(f"{name} was disconnected")
    assert _same_document(page)
    assert PRISM not in sandbox.authorized_client_ids("john")
    assert sandbox.introspect(token)["existent"] is False
    assert sandbox.granted_scopes("john", PRISM).get("latestGrantedScopes") is None

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Activity").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("History of your connected apps")
    expect(page.locator(".timeline__item").first).to_contain_text(f"You disconnected {name}")


def test_cancelling_a_confirmation_changes_nothing(signed_in: Callable[..., Page], sandbox: Any):
    page = signed_in("john")
    name = demo.CLIENT_NAMES[TEMPO]
    sandbox.clear_requests()

    _card(page, TEMPO).get_by_role("link", name=f"Disconnect {name}").click()
    expect(_card(page, TEMPO).get_by_role("heading", name=f"Disconnect {name}?")).to_be_visible()
    _card(page, TEMPO).get_by_role("link", name="Cancel").click()
    expect(_card(page, TEMPO).get_by_role("link", name=f"Disconnect {name}")).to_be_visible()

    expect(_card(page, TEMPO).locator(".scope")).to_have_count(4)

    page.get_by_role("link", name="Disconnect all apps…").click()
    page.get_by_role("link", name="Cancel").click()
    expect(page.locator(".app-card")).to_have_count(10)

    assert sandbox.writes() == []
    assert TEMPO in sandbox.authorized_client_ids("john")


def test_unticking_every_permission_explains_in_place_and_offers_to_disconnect(
    signed_in: Callable[..., Page], sandbox: Any
):
    page = signed_in("john")
    name = demo.CLIENT_NAMES[PRISM]
    sandbox.clear_requests()
    _card(page, PRISM).get_by_role("link", name=name, exact=True).click()
    page.get_by_role("link", name="Remove permissions…").click()
    # all() does not wait: let the form arrive before collecting its boxes.
    expect(page.get_by_role("checkbox").first).to_be_visible()
    for checkbox in page.get_by_role("checkbox").all():
        checkbox.uncheck()
    page.get_by_role("button", name="Save permissions").click()

    alert = page.get_by_role("alert")
    expect(alert).to_be_visible()
    alert.get_by_role("link", name=f"Disconnect {name} instead").click()
    expect(page.get_by_role("heading", name=f"Disconnect {name}?")).to_be_visible()
    assert sandbox.writes() == []


def test_disconnecting_everything_needs_the_box_ticked_then_shows_the_empty_state(
    signed_in: Callable[..., Page], sandbox: Any
):
    page = signed_in("john")
    page.get_by_role("link", name="Disconnect all apps…").click()
    expect(page.get_by_role("heading", name="Disconnect all apps?")).to_be_visible()
    expect(page.locator(".name-list li")).to_have_count(len(demo.DEMO_GRANTS["john"]))

    confirm = page.get_by_role("checkbox", name=re.compile("I understand"))
    page.get_by_role("button", name="Disconnect all apps").click()
    # The browser refuses to send the form until the box is ticked; the server would too.
    assert confirm.evaluate("box => box.matches(':invalid')")
    expect(page).to_have_url(re.compile("/apps/revoke-all/$"))
    assert len(sandbox.authorized_client_ids("john")) == len(demo.DEMO_GRANTS["john"])

    confirm.check()
    page.get_by_role("button", name="Disconnect all apps").click()
    expect(
        page.get_by_role("heading", name="No apps are connected to your account")
    ).to_be_visible()
    expect(page.locator("#messages")).to_contain_text("Disconnected:")
    assert sandbox.authorized_client_ids("john") == []


def test_narrowing_and_disconnecting_work_without_javascript(
    signed_in: Callable[..., Page], sandbox: Any
):
    page = signed_in("john", java_script_enabled=False)
    tempo, ledgerly = demo.CLIENT_NAMES[TEMPO], demo.CLIENT_NAMES[LEDGERLY]

    _card(page, TEMPO).get_by_role("link", name=tempo, exact=True).click()
    page.get_by_role("link", name="Remove permissions…").click()
    expect(page).to_have_url(re.compile(f"/apps/{TEMPO}/narrow/$"))
    for scope in ("openid", "calendar.read", "calendar.write"):
        page.get_by_role("checkbox", name=re.compile(rf"\b{re.escape(scope)}\b")).uncheck()
    page.get_by_role("button", name="Save permissions").click()
    expect(page.locator("#messages")).to_contain_text(f"{tempo} now keeps")
    assert {tuple(s) for s in sandbox.token_scopes("john", TEMPO)} == {("profile",)}

    page.goto("/apps/")
    expect(_card(page, TEMPO).locator(".scope")).to_have_count(1)

    _card(page, LEDGERLY).get_by_role("link", name=f"Disconnect {ledgerly}").click()
    expect(page.get_by_role("heading", name=f"Disconnect {ledgerly}?")).to_be_visible()
    page.get_by_role("button", name=f"Disconnect {ledgerly}").click()
    expect(page.locator("#messages")).to_contain_text(f"{ledgerly} was disconnected")
    expect(_card(page, LEDGERLY)).to_have_count(0)
    assert LEDGERLY not in sandbox.authorized_client_ids("john")


def test_everything_can_be_done_with_the_keyboard_with_visible_focus(
    signed_in: Callable[..., Page], sandbox: Any
):
    page = signed_in("john")
    tempo, prism = demo.CLIENT_NAMES[TEMPO], demo.CLIENT_NAMES[PRISM]

    _tab_to(page, f"Disconnect {tempo}")
    _assert_focus_is_visible(page)
    page.keyboard.press("Enter")
    expect(_card(page, TEMPO).get_by_role("heading", name=f"Disconnect {tempo}?")).to_be_focused()
    _tab_to(page, "Cancel", limit=10)
    _assert_focus_is_visible(page)
    page.keyboard.press("Enter")
    # Back on the action that opened the confirmation, not at the top of the page.
    expect(_card(page, TEMPO).get_by_role("link", name=f"Disconnect {tempo}")).to_be_focused()

    _tab_to(page, f"Disconnect {prism}")
    _assert_focus_is_visible(page)
    page.keyboard.press("Enter")
    heading = _card(page, PRISM).get_by_role("heading", name=f"Disconnect {prism}?")
    expect(heading).to_be_focused()
    _tab_to(page, f"Disconnect {prism}", limit=10)
    expect(_card(page, PRISM).get_by_role("button")).to_be_focused()
    _assert_focus_is_visible(page)
    page.keyboard.press("Enter")

    # Focus lands on the result, in the row where the app was.
    expect(_card(page, PRISM).get_by_text(f"{prism} is disconnected.")).to_be_focused()
    assert PRISM not in sandbox.authorized_client_ids("john")


def test_when_authlete_fails_the_card_says_so_and_try_again_finishes_the_job(
    signed_in: Callable[..., Page], sandbox: Any
):
    page = signed_in("john")
    name = demo.CLIENT_NAMES[PRISM]
    _mark_document(page)
    sandbox.fault("status500", path="/client/authorization/delete/")

    _card(page, PRISM).get_by_role("link", name=f"Disconnect {name}").click()
    _card(page, PRISM).get_by_role("button", name=f"Disconnect {name}").click()
    alert = _card(page, PRISM).get_by_role("alert")
    expect(alert).to_contain_text("Nothing was changed.")
    retry = alert.get_by_role("link", name="Try again")
    expect(retry).to_be_focused()
    assert PRISM in sandbox.authorized_client_ids("john")

    sandbox.clear_faults()
    retry.click()
    _card(page, PRISM).get_by_role("button", name=f"Disconnect {name}").click()
    expect(_card(page, PRISM)).to_contain_text(f"{name} is disconnected.")
    expect(page.locator("#messages")).to_contain_text(f"{name} was disconnected")
    assert _same_document(page)
    assert PRISM not in sandbox.authorized_client_ids("john")


def test_a_second_person_never_sees_the_first_persons_apps(
    signed_in: Callable[..., Page], sandbox: Any
):
    signed_in("john")
    page = signed_in("alice")
    names = page.locator(".app-card__title a")
    expect(names).to_have_count(3)
    expected = [demo.CLIENT_NAMES[client_id] for client_id in demo.DEMO_GRANTS["alice"]]
    assert sorted(names.all_inner_texts()) == sorted(expected)
    expect(page.get_by_text("3 connected apps")).to_be_visible()
    johns_only = set(demo.DEMO_GRANTS["john"]) - set(demo.DEMO_GRANTS["alice"])
    for client_id in johns_only:
        expect(_card(page, client_id)).to_have_count(0)
    page.goto(f"/apps/{TEMPO}/")
    expect(page.get_by_text(demo.CLIENT_NAMES[TEMPO])).to_have_count(0)
