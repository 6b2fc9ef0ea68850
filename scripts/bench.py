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
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import (  # noqa: E402
    SandboxControl,
    create_users,
    free_port,
    gunicorn_command,
    manage,
    portal_environment,
    running,
    sandbox_command,
    sign_in,
    wait_until_up,
)

PASSWORD = "bench-password-not-secret"  # noqa: S105 - throwaway users in a temp database
SCOPES = ["openid", "email", "profile"]
# An override for the bench only: the per-person write limit would turn the write runs into 429s.
BENCH_SETTINGS = "PORTAL_WRITES_PER_MINUTE = 0\n"


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
    sandbox_port, portal_port = free_port(), free_port()
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    base = f"http://127.0.0.1:{portal_port}"
    env = portal_environment(tmp, sandbox_url, BENCH_SETTINGS)

    print(f"Preparing in {tmp} ...", file=sys.stderr)
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")
    users = ["bench5", "bench500", "benchn", "benchr"]
    create_users(env, users, PASSWORD)
    sandbox_cmd = sandbox_command(sandbox_port, "--seed", "demo")
    sandbox_cmd += ["--latency-ms", str(options.latency_ms)]
    gunicorn = gunicorn_command(portal_port, options.workers, options.threads)
    with (
        running(sandbox_cmd, env, tmp / "sandbox.log") as sandbox_proc,
        running(gunicorn, env, tmp / "gunicorn.log") as portal_proc,
    ):
        wait_until_up(f"{sandbox_url}/_sandbox/requests")
        wait_until_up(f"{base}/healthz")
        sandbox = SandboxControl(sandbox_url)
        print("Creating 500 clients and the grants ...", file=sys.stderr)
        with ThreadPoolExecutor(max_workers=16) as pool:
            names = [f"Bench app {n}" for n in range(max(500, writes_needed))]
            clients = list(pool.map(sandbox.create_client, names))
            list(pool.map(lambda c: sandbox.authorize("bench500", c, SCOPES), clients[:500]))
            list(pool.map(lambda c: sandbox.authorize("bench5", c, SCOPES), clients[:5]))
        sessions = {user: sign_in(base, user, PASSWORD) for user in users}
        detail_id = clients[0]

        def get(path: str) -> Callable[[requests.Session, int], requests.Response]:
            return lambda s, _: s.get(base + path, timeout=30, allow_redirects=False)

        narrowed = iter(clients)

        def narrow_batch(count: int) -> Callable[[requests.Session, int], requests.Response]:
            ids = [next(narrowed) for _ in range(count)]
            with ThreadPoolExecutor(max_workers=16) as pool:
                list(pool.map(lambda c: sandbox.authorize("benchn", c, SCOPES), ids))
            return lambda s, i: s.post(
                f"{base}/apps/{ids[i]}/narrow/",
                {"keep": ["openid"]},
                timeout=30,
                allow_redirects=False,
            )

        def revoke_batch(count: int) -> Callable[[requests.Session, int], requests.Response]:
            ids = clients[:count]
            with ThreadPoolExecutor(max_workers=16) as pool:
                list(pool.map(lambda c: sandbox.authorize("benchr", c, SCOPES), ids))
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
