"""Write PNGs of incident response (an app disconnected from everyone), desktop and phone, into
docs/screenshots/incident-*.png: the app's page, the confirmation, progress and the report.

Runs the sandbox, the portal and a task worker paced slowly enough that progress can be seen.
"""

from __future__ import annotations

import contextlib
import os
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
from authlete_sandbox.store.grants import authorize  # noqa: E402
from tests.support import CHROMIUM, CHROMIUM_ARGS, free_port, wait_until_up  # noqa: E402

OUT = BASE_DIR / "docs" / "screenshots"
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 1,
        "is_mobile": True,
        "has_touch": True,
    },
}
PEOPLE = 60


@contextlib.contextmanager
def _portal_and_worker(sandbox_url: str) -> Iterator[str]:
    """The portal under runserver and a task worker, on a throwaway database with demo users."""
    with tempfile.TemporaryDirectory(prefix="portal-incident-") as var_dir:
        env = {
            **os.environ,
            "PORTAL_VAR_DIR": var_dir,
            "AUTHLETE_BASE_URL": sandbox_url,
            "AUTHLETE_SERVICE_ID": SERVICE_ID,
            "AUTHLETE_SERVICE_TOKEN": SERVICE_TOKEN,
            "PORTAL_SERVICE_NAME": demo.SERVICE_NAME,
            # Slow, so the progress page has something to show; short slices, so it moves.
            "PORTAL_SWEEP_REQUESTS_PER_SECOND": "6",
            "PORTAL_SWEEP_SLICE_SECONDS": "3",
            "DJANGO_DEBUG": "1",
            "DJANGO_LOG_LEVEL": "WARNING",
        }
        env.pop("DATABASE_URL", None)
        env.pop("REDIS_URL", None)
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
        worker = subprocess.Popen(  # noqa: S603
            [*manage, "db_worker", "--interval", "0.2", "--no-reload"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(f"{url}/healthz")
            yield url
        finally:
            for process in (worker, server):
                process.terminate()
                process.wait(timeout=10)


def _admin(browser: Browser, url: str, device: str, scheme: str = "light") -> Page:
    context = browser.new_context(
        base_url=url, locale="en-GB", color_scheme=scheme, **VIEWPORTS[device]
    )
    page = context.new_page()
    page.goto("/admin/")
    page.get_by_label("Username or email").fill("admin")
    page.get_by_label("Password").fill("demo-admin")
    page.get_by_role("button", name="Sign In").click()
    page.get_by_role("heading", name="Staff console").wait_for()
    return page


def _shoot(page: Page, name: str, *, full: bool = False) -> None:
    page.wait_for_load_state("networkidle")
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.mouse.move(0, 0)
    path = OUT / f"{name}.png"
    page.screenshot(path=path, animations="disabled", caret="hide", full_page=full)
    print(f"wrote {path.relative_to(BASE_DIR)}")


def _rogue_app(sandbox: SandboxServer) -> int:
    """An app many people authorised, John among them: the one to take out."""
    headers = {"Authorization": f"Bearer {SERVICE_TOKEN}"}
    body = {
        "clientName": "QuickSync Photos",
        "developer": "quicksync",
        "redirectUris": ["https://quicksync.example/cb"],
    }
    created = requests.post(
        f"{sandbox.url}/api/{SERVICE_ID}/client/create", json=body, headers=headers, timeout=10
    )
    client_id = created.json()["clientId"]
    for subject in [demo.SUBJECT_JOHN, *(f"customer-{n:04d}" for n in range(1, PEOPLE))]:
        authorize(sandbox.store, client_id=client_id, subject=subject, scopes=["openid", "email"])
    # One person's disconnect fails three times: the report then has a failure to retry.
    requests.post(
        f"{sandbox.url}/_sandbox/faults",
        json={"kind": "status500", "path": "/client/authorization/delete/", "times": 3},
        timeout=10,
    )
    return client_id


def main() -> None:
    if not Path(CHROMIUM).exists():
        raise SystemExit("Debian's chromium is missing: apt-get install chromium")
    OUT.mkdir(parents=True, exist_ok=True)
    sandbox = SandboxServer(port=0, db=":memory:", seed="demo")
    sandbox.start()
    try:
        client_id = _rogue_app(sandbox)
        with _portal_and_worker(sandbox.url) as url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            pages = {device: _admin(browser, url, device) for device in VIEWPORTS}
            dark = _admin(browser, url, "desktop", scheme="dark")
            for device, page in pages.items():
                page.goto("/admin/console/incident/?q=quicksync")
                if device == "desktop":
                    _shoot(page, "incident-find-desktop")
                page.goto(f"/admin/console/incident/apps/{client_id}/")
                _shoot(page, f"incident-app-{device}")
                page.goto(f"/admin/console/incident/apps/{client_id}/disconnect/")
                page.get_by_label("Reason").fill(
                    "QuickSync's signing key leaked; its tokens may be in other hands."
                )
                _shoot(page, f"incident-confirm-{device}")
            desktop = pages["desktop"]
            desktop.get_by_role("button", name="Disconnect from everyone").click()
            desktop.wait_for_url("**/incident/sweeps/**")
            progress = desktop.url
            desktop.get_by_text("people done").wait_for(timeout=60_000)
            time.sleep(6)
            for device, page in pages.items():
                if page is not desktop:
                    page.goto(progress)
                _shoot(page, f"incident-progress-{device}")
            dark.goto(progress)
            _shoot(dark, "incident-progress-desktop-dark")
            desktop.get_by_role("heading", name="Report").wait_for(timeout=180_000)
            for device, page in pages.items():
                page.goto(progress)
                _shoot(page, f"incident-report-{device}", full=device == "phone")
            dark.goto(progress)
            _shoot(dark, "incident-report-desktop-dark")
            browser.close()
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
