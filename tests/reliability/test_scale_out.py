"""Two portal instances behind nginx share sessions, cache and database: either serves anyone."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests

from authlete_sandbox import SERVICE_ID, SERVICE_TOKEN
from authlete_sandbox.server import SandboxServer
from tests.conftest import Sandbox
from tests.support import free_port, wait_until_up

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
# One database per test process, so runs side by side never drop each other's.
DATABASE = f"portal_scale_{os.getpid()}"
PASSWORD = "scale-out-password"


def _listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    return False


# Sessions, cached client metadata and rate-limit counters live here; keys carry random
# session ids or the fresh database's user ids, so other users of this Redis are left alone.
REDIS_URL = "redis://127.0.0.1:6379/15"

pytestmark = pytest.mark.skipif(
    not (NGINX and _listening(5432) and _listening(6379)),
    reason="needs nginx, and PostgreSQL and Redis on 127.0.0.1 (scripts/services.sh)",
)


@contextlib.contextmanager
def _running(args: list[str], env: dict[str, str], log: Path) -> Iterator[None]:
    with log.open("w") as out:
        proc = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)


def _drop_database() -> None:
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as db:
        db.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


def _fresh_database() -> None:
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as db:
        db.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        db.execute(f"CREATE DATABASE {DATABASE}")


NGINX_CONF = """
daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log;
{user}
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {tmp}/body;
  proxy_temp_path {tmp}/proxy;
  upstream portal {{ server 127.0.0.1:{a}; server 127.0.0.1:{b}; }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://portal;
      proxy_set_header Host $host;
      add_header X-Upstream $upstream_addr always;
    }}
  }}
}}
"""


@pytest.fixture
def two_instances(tmp_path: Path, sandbox_server: SandboxServer) -> Iterator[str]:
    _fresh_database()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AUTHLETE_"))},
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
        "REDIS_URL": REDIS_URL,
        "PORTAL_VAR_DIR": str(tmp_path),
        "AUTHLETE_BASE_URL": sandbox_server.url,
        "AUTHLETE_SERVICE_ID": SERVICE_ID,
        "AUTHLETE_SERVICE_TOKEN": SERVICE_TOKEN,
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput"], cwd=ROOT, env=env, check=True)
    script = (
        f"from accounts.models import User; User.objects.create_user('john', password={PASSWORD!r})"
    )
    subprocess.run([*manage, "shell", "-c", script], cwd=ROOT, env=env, check=True)
    a, b, port = free_port(), free_port(), free_port()
    user = "user root;" if os.geteuid() == 0 else ""
    conf = tmp_path / "nginx.conf"
    conf.write_text(NGINX_CONF.format(tmp=tmp_path, a=a, b=b, port=port, user=user))
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    with contextlib.ExitStack() as stack:
        stack.callback(_drop_database)  # runs last, once both instances have stopped
        for instance in (a, b):
            args = [gunicorn, "portal.wsgi:application", "-b", f"127.0.0.1:{instance}", "-w", "1"]
            stack.enter_context(_running(args, env, tmp_path / f"gunicorn-{instance}.log"))
            wait_until_up(f"http://127.0.0.1:{instance}/healthz")
        stack.enter_context(_running([NGINX, "-c", str(conf)], env, tmp_path / "nginx.log"))
        wait_until_up(f"http://127.0.0.1:{port}/healthz")
        yield f"http://127.0.0.1:{port}"


def _served_by(response: Any) -> str:
    return response.headers["X-Upstream"]


def test_signing_in_on_one_instance_and_acting_on_the_other(two_instances: str, sandbox: Sandbox):
    base = two_instances
    browser = requests.Session()
    browser.get(f"{base}/accounts/login/")
    signed_in = browser.post(
        f"{base}/accounts/login/",
        {
            "login": "john",
            "password": PASSWORD,
            "csrfmiddlewaretoken": browser.cookies["csrftoken"],
        },
        allow_redirects=False,
    )
    assert signed_in.status_code == 302
    login_instance = _served_by(signed_in)

    # nginx alternates between the two; keep asking until the other one answers.
    for _ in range(6):
        page = browser.get(f"{base}/apps/", allow_redirects=False)
        assert page.status_code == 200, "every instance knows the session"
        if _served_by(page) != login_instance:
            break
    else:
        raise AssertionError("nginx never sent a request to the second instance")

    client_id = sandbox.authorized_client_ids("john")[0]
    # With round robin and no other traffic, the request after one the sign-in instance served
    # goes to the other instance.
    while _served_by(browser.get(f"{base}/healthz")) != login_instance:
        pass
    revoke = browser.post(
        f"{base}/apps/{client_id}/revoke/",
        headers={"X-CSRFToken": browser.cookies["csrftoken"]},
        allow_redirects=False,
    )
    assert revoke.status_code == 302
    assert _served_by(revoke) != login_instance
    assert client_id not in sandbox.authorized_client_ids("john")
    activity = {_served_by(r): r for r in (browser.get(f"{base}/apps/activity/") for _ in range(2))}
    assert len(activity) == 2, "both instances answered"
    assert all("You disconnected" in r.text for r in activity.values())
