"""Small tools the tests and the scripts (bench, faults, screenshots) share: ports, waiting,
Chromium, and a production-shaped portal and sandbox run as processes on loopback."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests

from authlete_sandbox import SERVICE_ID, SERVICE_TOKEN

ROOT = Path(__file__).resolve().parent.parent

# Debian's Chromium, never a downloaded one; quiet flags so it phones nowhere.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, timeout: float = 30.0) -> None:
    """Return once ``url`` answers 200; raise TimeoutError after ``timeout`` seconds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with contextlib.suppress(requests.RequestException):
            if requests.get(url, timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not come up within {timeout:.0f} s")


# --- A production-shaped portal under gunicorn and a sandbox process (bench, faults) -------------


@contextlib.contextmanager
def running(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """Run a command in its own process group, its output in ``log``; SIGTERM the group after."""
    with log.open("w") as out:
        proc = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield proc
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)


def portal_environment(
    var_dir: Path, authlete_url: str, settings: str, **extra: str
) -> dict[str, str]:
    """The environment of a portal with production settings (DEBUG off) on loopback, talking to
    a local sandbox. ``settings`` is Python run after ``portal.settings`` (a module written to
    ``var_dir``); collected static files go to ``var_dir`` too, never into the source tree."""
    module = var_dir / "loopback_settings.py"
    module.write_text(
        "from portal.settings import *  # noqa\n"
        "STATIC_ROOT = VAR_DIR / 'staticfiles'\n" + textwrap.dedent(settings)
    )
    left_out = ("DJANGO_", "AUTHLETE_", "DATABASE_URL", "REDIS_URL")  # only what is set here
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(left_out)},
        "PYTHONPATH": f"{var_dir}{os.pathsep}{ROOT}",
        "DJANGO_SETTINGS_MODULE": "loopback_settings",
        "PORTAL_VAR_DIR": str(var_dir),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "loopback-only-" + "k" * 50,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_LOG_LEVEL": "WARNING",
        "AUTHLETE_BASE_URL": authlete_url,
        "AUTHLETE_SERVICE_ID": SERVICE_ID,
        "AUTHLETE_SERVICE_TOKEN": SERVICE_TOKEN,
        **extra,
    }


def manage(env: dict[str, str], *args: str) -> None:
    """``python manage.py ...`` in that environment; its output shown only when it fails."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise RuntimeError(f"manage.py {args[0]} failed:\n{done.stdout}{done.stderr}")


def create_users(env: dict[str, str], usernames: list[str], password: str) -> None:
    manage(
        env,
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model as g\n"
        + "".join(f"g().objects.create_user({u!r}, password={password!r})\n" for u in usernames),
    )


def gunicorn_command(port: int, workers: int, threads: int) -> list[str]:
    """gunicorn as the container runs it (gthread), bound to loopback."""
    return [
        str(Path(sys.executable).parent / "gunicorn"),
        "portal.wsgi:application",
        *("-b", f"127.0.0.1:{port}", "-k", "gthread", "--timeout", "30"),
        *("-w", str(workers), "--threads", str(threads), "--log-level", "warning"),
    ]


def sandbox_command(port: int, *options: str) -> list[str]:
    return [sys.executable, "-m", "authlete_sandbox", "--port", str(port), *options]


def sign_in(
    base: str, username: str, password: str, session: requests.Session | None = None
) -> dict[str, str]:
    """Cookies of a signed-in session, through the real login form.

    The portal marks its cookies Secure (production settings) and this runs over plain HTTP on
    loopback, so the cookies are returned for the caller to carry by hand; a ``session`` given
    must carry them itself (see ``loopback_browser``).
    """
    http = session or requests
    form = http.get(f"{base}/accounts/login/", timeout=10)
    csrf = form.cookies["csrftoken"]
    response = http.post(
        f"{base}/accounts/login/",
        data={"login": username, "password": password, "csrfmiddlewaretoken": csrf},
        cookies={"csrftoken": csrf} if session is None else None,
        allow_redirects=False,
        timeout=10,
    )
    if response.status_code != 302 or "sessionid" not in response.cookies:
        raise SystemExit(f"signing in as {username} failed: HTTP {response.status_code}")
    # Signing in rotates the CSRF token.
    return {
        "sessionid": response.cookies["sessionid"],
        "csrftoken": response.cookies.get("csrftoken", csrf),
    }


class _LoopbackCookieJar(requests.cookies.RequestsCookieJar):
    """Keeps Secure cookies as if they were not, so they travel over plain HTTP on loopback."""

    def set_cookie(self, cookie: Any, *args: Any, **kwargs: Any) -> Any:
        cookie.secure = False
        return super().set_cookie(cookie, *args, **kwargs)


def loopback_browser() -> requests.Session:
    """A requests session that keeps and sends the portal's Secure cookies over plain HTTP on
    loopback, as a browser does over HTTPS: sessions, CSRF and flash messages all work."""
    session = requests.Session()
    session.cookies = _LoopbackCookieJar()
    return session


class SandboxControl:
    """A sandbox process seen from outside: its Authlete API (v3) and its /_sandbox/ control API."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {SERVICE_TOKEN}"

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        url = f"{self.url}/api/{SERVICE_ID}{path}"
        response = self.http.request(method, url, timeout=10, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, f"{self.url}/_sandbox/{path}", timeout=10, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def create_client(self, name: str) -> int:
        body = {
            "clientName": name,
            "developer": "loopback",
            "clientType": "PUBLIC",
            "redirectUris": ["https://loopback.example/callback"],
        }
        return self.api("POST", "/client/create", json=body)["clientId"]

    def authorize(
        self, subject: str, client_id: int, scopes: list[str], *, refresh: bool = True
    ) -> dict[str, Any]:
        body = {"clientId": client_id, "subject": subject, "scopes": scopes, "refresh": refresh}
        return self.control("POST", "authorize", json=body)

    def fault(self, kind: str, path: str = "", **options: Any) -> None:
        self.control("POST", "faults", json={"kind": kind, "path": path, **options})

    def clear_faults(self) -> None:
        self.control("DELETE", "faults")

    def requests(self) -> list[dict[str, Any]]:
        return self.control("GET", "requests")

    def clear_requests(self) -> None:
        self.control("DELETE", "requests")

    def tokens(self, subject: str, client_id: int) -> list[dict[str, Any]]:
        """What the sandbox really holds for the pair: its own record, not an API answer."""
        params = {"subject": subject, "clientId": client_id}
        return self.control("GET", "state/tokens", params=params)
