"""Latency and throughput of the main pages, served by gunicorn, against a slow local Authlete.

Starts the sandbox with a fixed latency on every Authlete call and the portal under gunicorn on
loopback (a throwaway SQLite database), signs in through the login form, then sends a bounded
number of requests at a few concurrency levels and prints one table, then each target with PASS
or MISS. Ratios are to one Authlete call measured in the same run ("one call"), and beside the
portal a serial N+1 reader (the listing, then one call per app) reads the same sandbox.
Run: ``make bench`` (``--strict`` exits non-zero on a miss).
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

from authlete_sandbox import SERVICE_ID  # noqa: E402
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
# Overrides for the bench only: the per-person write limit would turn the write runs into 429s.
# Each worker here has a cache of its own (one per process, where production shares Redis), so
# the list index is kept for the run rather than rebuilt by every worker once a minute; a change
# still renews it at once (services/index.py). The deadline leaves room for the first, cold read
# of the 5,000-app account: the sandbox's listing costs it ~0.3 s of CPU a call at that size.
BENCH_SETTINGS = """
PORTAL_WRITES_PER_MINUTE = 0
PORTAL_LIST_INDEX_SECONDS = 3600
AUTHLETE_DEADLINE = 60.0
AUTHLETE_READ_TIMEOUT = 30.0
"""
# Account sizes (apps of one person) the list is measured at.
SIZES = (5, 50, 500, 5000)


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


def _one_call(
    sandbox: SandboxControl, client_id: int
) -> Callable[[requests.Session, int], requests.Response]:
    """One Authlete call from a plain client: what every ratio is measured against."""
    url = f"{sandbox.url}/api/{SERVICE_ID}/client/get/{client_id}"
    return lambda s, _: s.get(url, headers=sandbox.http.headers, timeout=30)


def _serial_reader(
    sandbox: SandboxControl, subject: str
) -> Callable[[requests.Session, int], requests.Response]:
    """A reader as Authlete's reference server is written: the listing, then one call per app,
    one after the other (what the portal is compared with)."""
    api = f"{sandbox.url}/api/{SERVICE_ID}"

    def read(session: requests.Session, _: int) -> requests.Response:
        listed: list[int] = []
        start, total = 0, 1
        while start < total:
            body = {"subject": subject, "start": start, "end": start + 100}
            page = session.post(
                f"{api}/client/authorization/get/list",
                json=body,
                headers=sandbox.http.headers,
                timeout=30,
            ).json()
            listed += [c["clientId"] for c in page["clients"]]
            start, total = start + 100, page["totalCount"]
        response = None
        for client_id in listed:
            params = {"subject": subject, "clientIdentifier": client_id, "start": 0, "end": 20}
            response = session.get(
                f"{api}/auth/token/get/list",
                params=params,
                headers=sandbox.http.headers,
                timeout=30,
            )
        return response

    return read


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--levels", default="1,4,16", help="concurrency levels")
    parser.add_argument("--max-requests", type=int, default=240, help="cap per page and level")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--strict", action="store_true", help="exit non-zero on a missed target")
    options = parser.parse_args()
    levels = [int(level) for level in options.levels.split(",")]
    counts = {c: max(40, min(options.max_requests, 15 * c)) for c in levels}
    writes_needed = sum(counts.values())

    tmp = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    sandbox_port, portal_port, wide_port = free_port(), free_port(), free_port()
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    base = f"http://127.0.0.1:{portal_port}"
    # A second portal on the same database and sandbox, with 50 apps a page.
    wide = f"http://127.0.0.1:{wide_port}"
    env = portal_environment(tmp, sandbox_url, BENCH_SETTINGS)
    wide_env = {**env, "PORTAL_PAGE_SIZE": "50"}

    print(f"Preparing in {tmp} ...", file=sys.stderr)
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")
    users = [f"bench{size}" for size in SIZES] + ["benchn", "benchr"]
    create_users(env, users, PASSWORD)
    sandbox_cmd = sandbox_command(sandbox_port, "--seed", "demo")
    sandbox_cmd += ["--latency-ms", str(options.latency_ms)]
    gunicorn = gunicorn_command(portal_port, options.workers, options.threads)
    wide_gunicorn = gunicorn_command(wide_port, max(1, options.workers // 2), options.threads)
    with (
        running(sandbox_cmd, env, tmp / "sandbox.log") as sandbox_proc,
        running(gunicorn, env, tmp / "gunicorn.log") as portal_proc,
        running(wide_gunicorn, wide_env, tmp / "gunicorn-wide.log") as wide_proc,
    ):
        # Generous: on a busy machine eight workers take a while to import Django.
        wait_until_up(f"{sandbox_url}/_sandbox/requests", timeout=120)
        wait_until_up(f"{base}/healthz", timeout=120)
        wait_until_up(f"{wide}/healthz", timeout=120)
        sandbox = SandboxControl(sandbox_url)
        count = max(max(SIZES), writes_needed)
        print(f"Creating {count} clients and the grants ...", file=sys.stderr)
        with ThreadPoolExecutor(max_workers=32) as pool:
            clients = list(
                pool.map(sandbox.create_client, [f"Bench app {n}" for n in range(count)])
            )
            for size in SIZES:
                list(
                    pool.map(
                        lambda c, u=f"bench{size}": sandbox.authorize(u, c, SCOPES), clients[:size]
                    )
                )
        sessions = {user: sign_in(base, user, PASSWORD) for user in users}
        wide_session = sign_in(wide, "bench50", PASSWORD)
        detail_id = clients[0]

        def get(path: str) -> Callable[[requests.Session, int], requests.Response]:
            return lambda s, _: s.get(base + path, timeout=30, allow_redirects=False)

        def wide_get(path: str) -> Callable[[requests.Session, int], requests.Response]:
            return lambda s, _: s.get(wide + path, timeout=30, allow_redirects=False)

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

        # Warm each worker's client-metadata cache and list index, as a running portal's would be.
        print("Warming every worker ...", file=sys.stderr)
        for _ in range(options.workers * 4):
            for size in SIZES:
                requests.get(base + "/apps/", cookies=sessions[f"bench{size}"], timeout=120)
            requests.get(base + "/apps/?q=app+42", cookies=sessions["bench500"], timeout=30)
            requests.get(f"{base}/apps/{detail_id}/", cookies=sessions["bench5"], timeout=30)
            requests.get(wide + "/apps/", cookies=wide_session, timeout=30)

        results: list[Result] = []
        for level in levels:
            n = counts[level]
            plan = [
                ("/healthz (ceiling)", get("/healthz"), 200, None),
                ("one call", _one_call(sandbox, detail_id), 200, None),
                *[(f"list, {size} apps", get("/apps/"), 200, f"bench{size}") for size in SIZES],
                ("list, 50 apps, 50 a page", wide_get("/apps/"), 200, "wide"),
                ("search, 500 apps", get("/apps/?q=app+42"), 200, "bench500"),
                ("details", get(f"/apps/{detail_id}/"), 200, "bench5"),
                ("narrow POST", narrow_batch(n), 302, "benchn"),
                ("revoke POST", revoke_batch(n), 302, "benchr"),
            ]
            if level == 1:
                # Seconds a request: a few are enough, and only one at a time is its point.
                plan.append(
                    ("serial N+1 reader, 50 apps", _serial_reader(sandbox, "bench50"), 200, None)
                )
            for page, send, expect, user in plan:
                cookies = wide_session if user == "wide" else sessions[user] if user else {}
                n = 5 if page.startswith("serial") else counts[level]
                print(f"  {page} x{n} at concurrency {level}", file=sys.stderr)
                portal_pid = wide_proc.pid if user == "wide" else portal_proc.pid
                cpu = _cpu_seconds(portal_pid), _cpu_seconds(sandbox_proc.pid)
                result = _load(page, send, expect, n, level, cookies)
                result.portal_cpu = (_cpu_seconds(portal_pid) - cpu[0]) / n
                result.sandbox_cpu = (_cpu_seconds(sandbox_proc.pid) - cpu[1]) / n
                results.append(result)

    _report(results, options)
    missed = _targets(results)
    shutil.rmtree(tmp, ignore_errors=True)
    if missed and options.strict:
        sys.exit(1)


def _report(results: list[Result], options: argparse.Namespace) -> None:
    # The floor is one Authlete call as a plain client sees it, measured at the same level.
    calls = {r.concurrency: r.pct(0.5) for r in results if r.page == "one call"}
    ceiling = {r.concurrency: r.throughput for r in results if r.page.startswith("/healthz")}
    print()
    print(
        f"Upstream latency {options.latency_ms} ms per Authlete call; gunicorn gthread "
        f"{options.workers}x{options.threads}; {os.cpu_count()} CPUs; Python "
        f"{platform.python_version()}"
    )
    print()
    print(
        "| page | conc. | n | p50 ms | p95 ms | p99 ms | req/s | p50 / one call "
        "| req/s / healthz | portal CPU ms/req | sandbox CPU ms/req | errors |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        ratio = r.throughput / ceiling[r.concurrency]
        floor = calls[r.concurrency]
        errors = f"{sum(r.errors.values())} {r.errors}" if r.errors else "0"
        print(
            f"| {r.page} | {r.concurrency} | {r.count} | {r.pct(0.5):.0f} | {r.pct(0.95):.0f} "
            f"| {r.pct(0.99):.0f} | {r.throughput:.1f} | {r.pct(0.5) / floor:.2f}x "
            f"| {ratio:.2f} | {r.portal_cpu * 1000:.1f} | {r.sandbox_cpu * 1000:.1f} | {errors} |"
        )


# Each target: the page, the most p50 may be in one calls (at concurrency 1), in words.
LATENCY_TARGETS = [
    *[(f"list, {size} apps", 2.3) for size in SIZES],
    ("list, 50 apps, 50 a page", 2.3),
    ("search, 500 apps", 3.0),
    ("narrow POST", 3.0),
    ("revoke POST", 2.3),
    ("details", 1.2),
]
CPU_TARGET_MS = 8.0  # portal CPU for a list page of 10 cards
SERIAL_TARGET = 20.0  # times faster than the serial N+1 reader, 50 apps


def _targets(results: list[Result]) -> list[str]:
    """Print every target with PASS or MISS; return the missed ones."""
    at_one = {r.page: r for r in results if r.concurrency == 1}
    call = at_one["one call"].pct(0.5)
    lines: list[tuple[str, str, bool]] = []
    for page, most in LATENCY_TARGETS:
        ratio = at_one[page].pct(0.5) / call
        lines.append((f"{page} p50 <= {most}x one call", f"{ratio:.2f}x", ratio <= most))
    cpu = at_one["list, 500 apps"].portal_cpu * 1000
    lines.append(
        (
            f"portal CPU, list page of 10 cards <= {CPU_TARGET_MS:.0f} ms",
            f"{cpu:.1f} ms",
            cpu <= CPU_TARGET_MS,
        )
    )
    serial = at_one["serial N+1 reader, 50 apps"].pct(0.5) / at_one["list, 50 apps, 50 a page"].pct(
        0.5
    )
    lines.append(
        (
            f"serial N+1 reader / list, 50 apps >= {SERIAL_TARGET:.0f}x",
            f"{serial:.1f}x",
            serial >= SERIAL_TARGET,
        )
    )
    print()
    print(f"One call (p50, concurrency 1): {call:.1f} ms")
    print()
    print("| target | measured | verdict |")
    print("|---|---:|---|")
    for target, measured, met in lines:
        print(f"| {target} | {measured} | {'PASS' if met else 'MISS'} |")
    return [target for target, _, met in lines if not met]


if __name__ == "__main__":
    main()
