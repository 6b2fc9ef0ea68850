"""In a real browser: people sign in through an OpenID Connect provider and see their own apps."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import PASSWORD
from tests.oidc_provider import NAME, OidcProvider, running_oidc_provider, sign_in_through

pytestmark = pytest.mark.browser

# Seeded grants (authlete_sandbox/seed.py): john has 14 apps, alice 3; Tempo Planner is only
# john's and Sprout Garden Journal only alice's.
JOHNS_OWN_APP = "Tempo Planner"
ALICES_OWN_APP = "Sprout Garden Journal"
# Anything but the portal, the sandbox and the provider on loopback: the provider's page links a
# stylesheet from a CDN, and a test must never reach the network.
ELSEWHERE = re.compile(r"^https?://(?!(127\.0\.0\.1|localhost)[:/])")


@pytest.fixture(scope="module")
def provider_server() -> Iterator[OidcProvider]:
    with running_oidc_provider() as provider:
        yield provider


@pytest.fixture
def provider(provider_server: OidcProvider, settings: Any, sandbox: Any) -> OidcProvider:
    sign_in_through(provider_server, settings)
    provider_server.add_person("john", email="john@example.com", email_verified=True, name="John")
    provider_server.add_person(
        "alice", email="alice@example.com", email_verified=True, name="Alice"
    )
    return provider_server


@pytest.fixture
def page(new_context: Callable[..., BrowserContext]) -> Page:
    context = new_context()
    context.route(ELSEWHERE, lambda route: route.abort())
    return context.new_page()


def _sign_in_at_provider(page: Page, sub: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_role("button", name=f"Continue with {NAME}").click()
    expect(page.get_by_role("heading", name="Authorize Client")).to_be_visible()
    page.get_by_label("Subject").fill(sub)
    page.get_by_role("button", name="Authorize", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Connected apps")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/apps/$"))


def _sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name=f"Continue with {NAME}")).to_be_visible()


def test_each_person_signed_in_through_the_provider_sees_the_apps_of_their_sub(
    page: Page, provider: OidcProvider
):
    _sign_in_at_provider(page, "john")
    expect(page.get_by_text("14 connected apps")).to_be_visible()
    expect(page.get_by_role("heading", name=JOHNS_OWN_APP)).to_be_visible()
    _sign_out(page)

    _sign_in_at_provider(page, "alice")
    expect(page.get_by_text("3 connected apps")).to_be_visible()
    expect(page.get_by_role("heading", name=ALICES_OWN_APP)).to_be_visible()
    expect(page.get_by_text(JOHNS_OWN_APP)).to_have_count(0)


def test_after_unlinking_the_provider_a_person_sees_no_apps_rather_than_their_usernames(
    page: Page, provider: OidcProvider
):
    # Signing up through the provider gave this person the username "alice", which is also a
    # subject at the authorization server; unlinked, it must not become theirs to see.
    _sign_in_at_provider(page, "alice")
    expect(page.get_by_role("heading", name=ALICES_OWN_APP)).to_be_visible()

    page.goto("/accounts/password/set/")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Set Password").click()

    page.goto("/accounts/3rdparty/")
    page.get_by_role("radio").check()
    page.get_by_role("button", name="Remove").click()
    expect(page.get_by_text("The third-party account has been disconnected.")).to_be_visible()

    page.goto("/apps/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("linked to an identity yet")
    expect(page.get_by_text(ALICES_OWN_APP)).to_have_count(0)
