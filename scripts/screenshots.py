"""Write PNGs of the main pages, desktop and phone, light and dark, into docs/screenshots/."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import requests
from playwright.sync_api import Browser, Page, sync_playwright

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from authlete_sandbox import SERVICE_ID, SERVICE_TOKEN  # noqa: E402
from authlete_sandbox import seed as demo  # noqa: E402
from authlete_sandbox.server import SandboxServer  # noqa: E402
from tests.support import CHROMIUM, CHROMIUM_ARGS, free_port  # noqa: E402

OUT = BASE_DIR / "docs" / "screenshots"
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        # One CSS pixel per image pixel keeps the committed PNGs small.
        "device_scale_factor": 1,
        "is_mobile": True,
        "has_touch": True,
    },
}
TEMPO = demo.TEMPO_PLANNER
HARBOR = demo.HARBOR_BACKUP


@contextlib.contextmanager
def _portal(sandbox_url: str) -> Iterator[str]:
    """The portal under runserver, on a throwaway SQLite database with the demo users."""
    with tempfile.TemporaryDirectory(prefix="portal-screenshots-") as var_dir:
        env = {
            **os.environ,
            "PORTAL_VAR_DIR": var_dir,
            "AUTHLETE_BASE_URL": sandbox_url,
            "AUTHLETE_SERVICE_ID": SERVICE_ID,
            "AUTHLETE_SERVICE_TOKEN": SERVICE_TOKEN,
            # The header's brand, as an operator would name the account.
            "PORTAL_SERVICE_NAME": demo.SERVICE_NAME,
            "DJANGO_DEBUG": "1",
            "DJANGO_LOG_LEVEL": "WARNING",
        }
        env.pop("DATABASE_URL", None)
        env.pop("REDIS_URL", None)
        # Only our own interpreter and manage.py run here, with arguments fixed in this file.
        manage = [sys.executable, str(BASE_DIR / "manage.py")]
        for command in (["migrate", "--verbosity", "0"], ["seed_demo_users"]):
            subprocess.run(  # noqa: S603
                [*manage, *command], env=env, check=True, stdout=subprocess.DEVNULL
            )
        port = free_port()
        server = subprocess.Popen(  # noqa: S603
            [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_for(f"{url}/healthz", server)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=10)


def _wait_for(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"The portal stopped while starting (exit code {server.returncode}).")
        with contextlib.suppress(requests.ConnectionError):
            if requests.get(url, timeout=2).ok:
                return
        time.sleep(0.2)
    raise SystemExit(f"The portal did not answer on {url} within 30 seconds.")


def _signed_in(browser: Browser, url: str, device: str, scheme: str = "light") -> Page:
    context = browser.new_context(
        base_url=url, locale="en-GB", color_scheme=scheme, **VIEWPORTS[device]
    )
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Username or email").fill("john")
    page.get_by_label("Password").fill("demo-john")
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/apps/")
    # Once more, so the "signed in" notice does not sit on top of every picture.
    page.goto("/apps/")
    return page


def _shoot(page: Page, name: str) -> None:
    page.wait_for_load_state("networkidle")
    # The caret blinks, and focus and hover follow the last click: none belongs in a picture.
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.mouse.move(0, 0)
    path = OUT / f"{name}.png"
    page.screenshot(path=path, animations="disabled", caret="hide")
    print(f"wrote {path.relative_to(BASE_DIR)}")


def _pages(page: Page, suffix: str) -> None:
    """The list, an app's page and each confirmation, named e.g. narrow-phone-dark."""
    _shoot(page, f"apps-{suffix}")
    page.goto(f"/apps/{TEMPO}/narrow/")
    page.get_by_role("checkbox", name="calendar.write").uncheck()
    _shoot(page, f"narrow-{suffix}")
    page.goto(f"/apps/{TEMPO}/revoke/")
    _shoot(page, f"revoke-{suffix}")
    page.goto(f"/apps/{TEMPO}/")
    _shoot(page, f"details-{suffix}")
    # Ending one of two sign-ins: the confirmation opens in place of that sign-in.
    page.goto(f"/apps/{HARBOR}/")
    page.locator(".sign-in").first.get_by_role("link", name=re.compile("^End")).click()
    page.get_by_role("button", name="End this sign-in").scroll_into_view_if_needed()
    _shoot(page, f"token-end-{suffix}")
    page.goto("/apps/revoke-all/")
    _shoot(page, f"revoke-all-{suffix}")


def _cleanup(browser: Browser, url: str) -> None:
    """The list narrowed to apps not active lately with two ticked, then their confirmation."""
    for device in VIEWPORTS:
        for scheme in ("light", "dark"):
            suffix = f"{device}-dark" if scheme == "dark" else device
            page = _signed_in(browser, url, device, scheme=scheme)
            page.goto("/apps/?filter=stale")
            for client_id in (demo.LEDGERLY_BUDGET, demo.PIXEL_PRINT_SHOP):
                page.locator(f"#app-{client_id} .app-row__select input").check()
            _shoot(page, f"cleanup-list-{suffix}")
            page.get_by_role("button", name="Disconnect selected…").click()
            page.locator("#cleanup-heading").wait_for()
            _shoot(page, f"cleanup-confirm-{suffix}")
            page.context.close()


def _export(browser: Browser, url: str) -> None:
    """The activity page's download links (export-desktop, export-phone-dark, ...)."""
    _make_some_history(_signed_in(browser, url, "desktop"))
    for device in VIEWPORTS:
        for scheme in ("light", "dark"):
            page = _signed_in(browser, url, device, scheme=scheme)
            page.goto("/apps/activity/")
            _shoot(page, f"export-{device}" + ("-dark" if scheme == "dark" else ""))
            page.context.close()


def _make_some_history(page: Page) -> None:
    """Give the activity page something to show: one narrowed app and one disconnected."""
    page.goto(f"/apps/{HARBOR}/narrow/")
    page.get_by_role("checkbox", name=re.compile(r"\bfiles\.write\b")).uncheck()
    page.get_by_role("button", name="Save permissions").click()
    # The result shows in the app's page where the person is looking (a page alert without JS).
    page.locator(".detail-result, #messages .alert").first.wait_for()
    page.goto(f"/apps/{demo.SAFFRON_RECIPES}/revoke/")
    page.get_by_role("button", name=f"Disconnect {demo.CLIENT_NAMES[demo.SAFFRON_RECIPES]}").click()
    page.locator("#messages .alert").wait_for()


def _error_in_place(page: Page, sandbox_url: str) -> None:
    """What a disconnect looks like when Authlete fails: the message in the card's place."""
    fault = {"kind": "status500", "path": "/client/authorization/delete/"}
    requests.post(f"{sandbox_url}/_sandbox/faults", json=fault, timeout=5).raise_for_status()
    name = demo.CLIENT_NAMES[TEMPO]
    page.get_by_role("link", name=f"Disconnect {name}").click()
    page.get_by_role("button", name=f"Disconnect {name}").click()
    page.get_by_role("link", name="Try again").wait_for()
    page.locator(f"#app-{TEMPO}").scroll_into_view_if_needed()
    _shoot(page, "error-desktop")
    requests.delete(f"{sandbox_url}/_sandbox/faults", timeout=5).raise_for_status()


def _staff_console(browser: Browser, url: str) -> None:
    """The staff console as support sees it in the Django admin: the search, a person's apps,
    a confirmation and the audit trail, desktop and phone, light and dark."""
    for device in VIEWPORTS:
        for scheme in ("light", "dark"):
            suffix = f"{device}-dark" if scheme == "dark" else device
            context = browser.new_context(
                base_url=url, locale="en-GB", color_scheme=scheme, **VIEWPORTS[device]
            )
            page = context.new_page()
            # Staff sign in through the portal's own sign-in page, which the admin sends them to.
            page.goto("/admin/")
            page.get_by_label("Username or email").fill("admin")
            page.get_by_label("Password").fill("demo-admin")
            page.get_by_role("button", name="Sign In").click()
            page.get_by_role("heading", name="Staff console").wait_for()
            page.goto("/admin/console/?q=j")
            _shoot(page, f"console-search-{suffix}")
            page.goto("/admin/console/subjects/john/")
            _shoot(page, f"console-person-{suffix}")
            if suffix == "desktop":
                _shoot(page, "staff-desktop")
            page.goto(f"/admin/console/subjects/john/apps/{TEMPO}/revoke/")
            _shoot(page, f"console-confirm-{suffix}")
            page.goto("/admin/console/audit/")
            _shoot(page, f"console-audit-{suffix}")
            context.close()


def _has_japanese_font() -> bool:
    """Chromium draws what fontconfig finds; without a Japanese font it draws boxes."""
    if not Path("/usr/bin/fc-list").exists():
        return True  # not a fontconfig system: nothing to tell
    found = subprocess.run(
        ["/usr/bin/fc-list", ":lang=ja"], capture_output=True, text=True, check=False
    )
    return bool(found.stdout.strip())


def _languages(browser: Browser, url: str) -> None:
    """The list and a confirmation in French and Japanese (list-fr, revoke-ja, ...), desktop.

    The browser asks for the language, as a first visit would; choosing it in the footer would
    save it on john's account and change every later picture.
    """
    if not _has_japanese_font():
        print("No Japanese font: ja pictures show boxes (apt-get install fonts-noto-cjk).")
    for language, locale in (("fr", "fr-FR"), ("ja", "ja-JP")):
        context = browser.new_context(base_url=url, locale=locale, **VIEWPORTS["desktop"])
        page = context.new_page()
        page.goto("/accounts/login/")
        # The labels are translated: find the fields by name.
        page.locator("input[name=login]").fill("john")
        page.locator("input[name=password]").fill("demo-john")
        page.locator("form.form button[type=submit]").click()
        page.wait_for_url("**/apps/")
        page.goto("/apps/")
        _shoot(page, f"list-{language}")
        page.goto(f"/apps/{TEMPO}/revoke/")
        _shoot(page, f"revoke-{language}")
        context.close()


def _without_token_list(browser: Browser, url: str, sandbox_url: str) -> None:
    """The list when the Authlete plan refuses the token list: apps, but not what each may do.

    The portal remembers the refusal for a while in its own cache, so this comes last.
    """
    modes = f"{sandbox_url}/_sandbox/modes"
    requests.put(modes, json={"token_list": "refused"}, timeout=5).raise_for_status()
    try:
        for device in VIEWPORTS:
            page = _signed_in(browser, url, device)
            _shoot(page, f"apps-no-token-list-{device}")
            page.context.close()
    finally:
        requests.put(modes, json={"token_list": "available"}, timeout=5).raise_for_status()


def _server_error_html() -> str:
    """The 500 page as the portal's handler renders it. The demo runs with DEBUG on, where
    Django shows its own debug page instead, so the page is rendered here and shown as is."""
    render = (
        "from django.test import RequestFactory; from portal.errors import server_error; "
        "print(server_error(RequestFactory().get('/apps/')).content.decode())"
    )
    with tempfile.TemporaryDirectory(prefix="portal-screenshots-") as var_dir:
        env = {**os.environ, "PORTAL_VAR_DIR": var_dir, "DJANGO_DEBUG": "1"}
        done = subprocess.run(  # noqa: S603
            [
                sys.executable,
                str(BASE_DIR / "manage.py"),
                "shell",
                "--verbosity",
                "0",
                "-c",
                render,
            ],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
    return done.stdout


def _error_pages(browser: Browser, url: str, sandbox_url: str) -> None:
    """Where bad, stale and failing addresses land: in the shell, with a way back.

    Authlete is made unavailable for the outage pictures, which may open the portal's circuit
    breaker for a moment, so this comes last.
    """
    server_error = _server_error_html()
    faults = f"{sandbox_url}/_sandbox/faults"
    for device in VIEWPORTS:
        for scheme in ("light", "dark"):
            suffix = f"{device}-dark" if scheme == "dark" else device
            page = _signed_in(browser, url, device, scheme=scheme)
            # Not connected to john (or no longer): the same page either way.
            page.goto("/apps/1/")
            _shoot(page, f"app-gone-{suffix}")
            page.goto(f"/apps/{TEMPO}/tokens/no-such-access/end/")
            _shoot(page, f"not-found-{suffix}")
            # Over a page of the portal, so the stylesheets load from it.
            page.set_content(server_error)
            _shoot(page, f"server-error-{suffix}")
            fault = {"kind": "status503", "path": "", "retryAfter": 0}
            requests.post(faults, json=fault, timeout=5).raise_for_status()
            try:
                page.goto("/apps/")
                _shoot(page, f"outage-{suffix}")
            finally:
                requests.delete(faults, timeout=5).raise_for_status()
            page.context.close()


def main() -> None:
    if not Path(CHROMIUM).exists():
        raise SystemExit("Debian's chromium is missing: apt-get install chromium")
    OUT.mkdir(parents=True, exist_ok=True)
    sandbox = SandboxServer(port=0, db=":memory:", seed="demo")
    sandbox.start()
    try:
        with _portal(sandbox.url) as url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            if sys.argv[1:] == ["--errors-only"]:
                _error_pages(browser, url, sandbox.url)
                return
            if sys.argv[1:] == ["--console-only"]:
                _make_some_history(_signed_in(browser, url, "desktop"))
                _staff_console(browser, url)
                return
            if sys.argv[1:] == ["--languages-only"]:
                _languages(browser, url)
                return
            if sys.argv[1:] == ["--cleanup-only"]:
                _cleanup(browser, url)
                return
            if sys.argv[1:] == ["--export-only"]:
                _export(browser, url)
                return
            for device in VIEWPORTS:
                login = browser.new_context(base_url=url, locale="en-GB", **VIEWPORTS[device])
                page = login.new_page()
                page.goto("/accounts/login/")
                _shoot(page, f"login-{device}")
                login.close()

                page = _signed_in(browser, url, device)
                _pages(page, device)
                page.context.close()

                page = _signed_in(browser, url, device, scheme="dark")
                _pages(page, f"{device}-dark")
                page.context.close()

            _cleanup(browser, url)
            page = _signed_in(browser, url, "desktop")
            _error_in_place(page, sandbox.url)
            _make_some_history(page)
            page.context.close()
            for device in VIEWPORTS:
                for scheme in ("light", "dark"):
                    page = _signed_in(browser, url, device, scheme=scheme)
                    page.goto("/apps/activity/")
                    _shoot(page, f"activity-{device}" + ("-dark" if scheme == "dark" else ""))
                    page.context.close()
            _staff_console(browser, url)
            _languages(browser, url)
            _without_token_list(browser, url, sandbox.url)
            _error_pages(browser, url, sandbox.url)
            browser.close()
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
