"""Latency and throughput of the main pages, served by gunicorn, against a slow local Authlete.

Starts the sandbox with a fixed latency on every Authlete call and the portal under gunicorn on
loopback (a throwaway SQLite database), signs in through the login form, then sends a bounded
number of requests at a few concurrency levels and prints one table. Run: ``make bench``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from authlete_sandbox import SERVICE_ID, SERVICE_TOKEN  # noqa: E402
from tests.support import free_port, wait_until_up  # noqa: E402

PASSWORD = "bench-password-not-secret"  # noqa: S105 - throwaway users in a temp database
SCOPES = ["openid", "email", "profile"]
# Overrides for the bench only: the per-person write limit would turn the write runs into 429s,
# and collected static files go to the temp directory, not the source tree.
BENCH_SETTINGS = (
    "from portal.settings import *  # noqa\n"
    "PORTAL_WRITES_PER_MINUTE = 0\n"
    "STATIC_ROOT = VAR_DIR / 'staticfiles'\n"
)


@contextlib.contextmanager
def _process(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    with log.open("w") as out:
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and modules
            args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield proc
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)


class Sandbox:
    def __init__(self, url: str) -> None:
        self.url = url
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {SERVICE_TOKEN}"

    def create_client(self, n: int) -> int:
        body = {
            "clientName": f"Bench app {n}",
            "developer": "bench",
            "clientType": "PUBLIC",
            "redirectUris": ["https://bench.example/callback"],
        }
        response = self.http.post(f"{self.url}/api/{SERVICE_ID}/client/create", json=body)
        response.raise_for_status()
        return response.json()["clientId"]

    def authorize(self, subject: str, client_id: int) -> None:
        body = {"clientId": client_id, "subject": subject, "scopes": SCOPES, "refresh": True}
        self.http.post(f"{self.url}/_sandbox/authorize", json=body).raise_for_status()


def _sign_in(base: str, username: str) -> dict[str, str]:
    """Cookies of a signed-in session, through the real login form.

    The portal marks its cookies Secure (production settings) and this runs over plain HTTP on
    loopback, so the cookies are carried by hand instead of by requests' cookie jar.
    """
    form = requests.get(f"{base}/accounts/login/", timeout=10)
    csrf = form.cookies["csrftoken"]
    response = requests.post(
        f"{base}/accounts/login/",
        data={"login": username, "password": PASSWORD, "csrfmiddlewaretoken": csrf},
        cookies={"csrftoken": csrf},
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


def _cpu_seconds(root: int) -> float:
    """CPU time used so far by a process and its children (Linux /proc; 0 elsewhere)."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            pid, ppid = int(stat.parent.name), int(fields[1])
            if root in (pid, ppid):
                total += (int(fields[11]) + int(fields[12])) / tick
    return total


@dataclass
class Result:
    page: str
    concurrency: int
    count: int
    latencies: list[float]
    wall: float
    errors: dict[int, int]
    portal_cpu: float = 0.0
    sandbox_cpu: float = 0.0

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    @property
    def throughput(self) -> float:
        return self.count / self.wall


def _load(
    page: str,
    send: Callable[[requests.Session, int], requests.Response],
    expect: int,
    count: int,
    concurrency: int,
    cookies: dict[str, str],
) -> Result:
    local = threading.local()
    latencies: list[float] = []
    errors: dict[int, int] = {}
    lock = threading.Lock()

    def one(i: int) -> None:
        if not hasattr(local, "session"):
            local.session = requests.Session()
            local.session.headers["X-CSRFToken"] = cookies.get("csrftoken", "")
            for name, value in cookies.items():
                local.session.cookies.set(name, value)
        started = time.perf_counter()
        response = send(local.session, i)
        elapsed = time.perf_counter() - started
        with lock:
            latencies.append(elapsed)
            if response.status_code != expect:
                errors[response.status_code] = errors.get(response.status_code, 0) + 1

    wall_start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, range(count)))
    return Result(page, concurrency, count, latencies, time.perf_counter() - wall_start, errors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--levels", default="1,4,16", help="concurrency levels")
    parser.add_argument("--max-requests", type=int, default=240, help="cap per page and level")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument("--threads", type=int, default=8)
    options = parser.parse_args()
    levels = [int(level) for level in options.levels.split(",")]
    counts = {c: max(40, min(options.max_requests, 15 * c)) for c in levels}
    writes_needed = sum(counts.values())

    tmp = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    (tmp / "bench_settings.py").write_text(BENCH_SETTINGS)
    sandbox_port, portal_port = free_port(), free_port()
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    base = f"http://127.0.0.1:{portal_port}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AUTHLETE_"))},
        "PYTHONPATH": f"{tmp}{os.pathsep}{ROOT}",
        "DJANGO_SETTINGS_MODULE": "bench_settings",
        "PORTAL_VAR_DIR": str(tmp),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-only-" + "k" * 50,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_LOG_LEVEL": "WARNING",
        "AUTHLETE_BASE_URL": sandbox_url,
        "AUTHLETE_SERVICE_ID": SERVICE_ID,
        "AUTHLETE_SERVICE_TOKEN": SERVICE_TOKEN,
    }
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    python = sys.executable

    def manage(*args: str) -> None:
        subprocess.run(  # noqa: S603
            [python, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True
        )

    print(f"Preparing in {tmp} ...", file=sys.stderr)
    manage("migrate", "--noinput")
    manage("collectstatic", "--noinput")
    users = ["bench5", "bench500", "benchn", "benchr"]
    manage(
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model as g\n"
        + "".join(f"g().objects.create_user({u!r}, password={PASSWORD!r})\n" for u in users),
    )
    sandbox_cmd = [python, "-m", "authlete_sandbox", "--port", str(sandbox_port)]
    sandbox_cmd += ["--seed", "demo", "--latency-ms", str(options.latency_ms)]
    gunicorn = [str(Path(python).parent / "gunicorn"), "portal.wsgi:application"]
    gunicorn += ["-b", f"127.0.0.1:{portal_port}", "-k", "gthread"]
    gunicorn += ["-w", str(options.workers), "--threads", str(options.threads), "--log-level"]
    gunicorn += ["warning"]
    with (
        _process(sandbox_cmd, env, tmp / "sandbox.log") as sandbox_proc,
        _process(gunicorn, env, tmp / "gunicorn.log") as portal_proc,
    ):
        wait_until_up(f"{sandbox_url}/_sandbox/requests")
        wait_until_up(f"{base}/healthz")
        sandbox = Sandbox(sandbox_url)
        print("Creating 500 clients and the grants ...", file=sys.stderr)
        with ThreadPoolExecutor(max_workers=16) as pool:
            clients = list(pool.map(sandbox.create_client, range(max(500, writes_needed))))
            list(pool.map(lambda c: sandbox.authorize("bench500", c), clients[:500]))
            list(pool.map(lambda c: sandbox.authorize("bench5", c), clients[:5]))
        sessions = {user: _sign_in(base, user) for user in users}
        detail_id = clients[0]

        def get(path: str) -> Callable[[requests.Session, int], requests.Response]:
            return lambda s, _: s.get(base + path, timeout=30, allow_redirects=False)

        narrowed = iter(clients)

        def narrow_batch(count: int) -> Callable[[requests.Session, int], requests.Response]:
            ids = [next(narrowed) for _ in range(count)]
            with ThreadPoolExecutor(max_workers=16) as pool:
                list(pool.map(lambda c: sandbox.authorize("benchn", c), ids))
            return lambda s, i: s.post(
                f"{base}/apps/{ids[i]}/narrow/",
                {"keep": ["openid"]},
                timeout=30,
                allow_redirects=False,
            )

        def revoke_batch(count: int) -> Callable[[requests.Session, int], requests.Response]:
            ids = clients[:count]
            with ThreadPoolExecutor(max_workers=16) as pool:
                list(pool.map(lambda c: sandbox.authorize("benchr", c), ids))
            return lambda s, i: s.post(
                f"{base}/apps/{ids[i]}/revoke/", timeout=30, allow_redirects=False
            )

        # Warm each worker's client-metadata cache, as a running portal's would be.
        for _ in range(options.workers * 4):
            for user in ("bench5", "bench500"):
                requests.get(base + "/apps/", cookies=sessions[user], timeout=30)
            requests.get(f"{base}/apps/{detail_id}/", cookies=sessions["bench5"], timeout=30)

        results: list[Result] = []
        for level in levels:
            n = counts[level]
            plan = [
                ("/healthz (ceiling)", get("/healthz"), 200, None),
                ("list, 5 apps", get("/apps/"), 200, "bench5"),
                ("list, 500 apps", get("/apps/"), 200, "bench500"),
                ("details", get(f"/apps/{detail_id}/"), 200, "bench5"),
                ("narrow POST", narrow_batch(n), 302, "benchn"),
                ("revoke POST", revoke_batch(n), 302, "benchr"),
            ]
            for page, send, expect, user in plan:
                cookies = sessions[user] if user else {}
                print(f"  {page} x{n} at concurrency {level}", file=sys.stderr)
                cpu = _cpu_seconds(portal_proc.pid), _cpu_seconds(sandbox_proc.pid)
                result = _load(page, send, expect, n, level, cookies)
                result.portal_cpu = (_cpu_seconds(portal_proc.pid) - cpu[0]) / n
                result.sandbox_cpu = (_cpu_seconds(sandbox_proc.pid) - cpu[1]) / n
                results.append(result)

    _report(results, options)
    shutil.rmtree(tmp, ignore_errors=True)


def _report(results: list[Result], options: argparse.Namespace) -> None:
    floor = options.latency_ms
    ceiling = {r.concurrency: r.throughput for r in results if r.page.startswith("/healthz")}
    print()
    print(
        f"Upstream latency {floor} ms per Authlete call; gunicorn gthread "
        f"{options.workers}x{options.threads}; {os.cpu_count()} CPUs; Python "
        f"{platform.python_version()}"
    )
    print()
    print(
        "| page | conc. | n | p50 ms | p95 ms | p99 ms | req/s | p50 / upstream "
        "| req/s / healthz | portal CPU ms/req | sandbox CPU ms/req | errors |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        ratio = r.throughput / ceiling[r.concurrency]
        errors = f"{sum(r.errors.values())} {r.errors}" if r.errors else "0"
        print(
            f"| {r.page} | {r.concurrency} | {r.count} | {r.pct(0.5):.0f} | {r.pct(0.95):.0f} "
            f"| {r.pct(0.99):.0f} | {r.throughput:.1f} | {r.pct(0.5) / floor:.2f}x "
            f"| {ratio:.2f} | {r.portal_cpu * 1000:.1f} | {r.sandbox_cpu * 1000:.1f} | {errors} |"
        )


if __name__ == "__main__":
    main()
