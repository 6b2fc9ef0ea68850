"""Running a sandbox: a database file kept or reseeded, the command line, fixed latency."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import requests

from authlete_sandbox.server import SandboxServer
from tests.authlete_sandbox.conftest import BOB, JOHN, NOTES, Sandbox

ROOT = Path(__file__).resolve().parents[2]


def _counts(server: SandboxServer) -> tuple[int, int]:
    tokens = requests.get(f"{server.url}/_sandbox/state/tokens", timeout=5).json()
    clients = Sandbox(server.url).ok(
        "POST", "/client/authorization/get/list", json={"subject": JOHN}
    )["totalCount"]
    return len(tokens), clients


def test_seeding_a_file_twice_does_not_duplicate_and_reseed_starts_over(tmp_path):
    db = str(tmp_path / "sandbox.sqlite3")
    with SandboxServer(db=db, seed="demo") as first:
        counts = _counts(first)
        Sandbox(first.url).authorize(clientId=NOTES, subject=BOB, scopes=["email"])
    with SandboxServer(db=db, seed="demo") as second:
        assert _counts(second) == (counts[0] + 1, counts[1])
    with SandboxServer(db=db, seed="demo", reseed=True) as third:
        assert _counts(third) == counts


def test_a_file_from_before_refresh_scopes_were_kept_apart_still_opens(tmp_path):
    db = str(tmp_path / "old.sqlite3")
    SandboxServer(db=db, seed="demo").stop()
    with sqlite3.connect(db) as old:
        old.execute("ALTER TABLE tokens DROP COLUMN refresh_scopes")
    with SandboxServer(db=db, seed="demo") as reopened:
        tokens = requests.get(f"{reopened.url}/_sandbox/state/tokens", timeout=5).json()
    refreshable = [t for t in tokens if "refreshTokenHash" in t]
    assert refreshable and all(t["refreshTokenScopes"] == t["scopes"] for t in refreshable)


def test_the_command_line_prints_its_url_keeps_its_data_and_stops_on_ctrl_c(tmp_path):
    db = tmp_path / "cli.sqlite3"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def run() -> tuple[str, int]:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "authlete_sandbox",
                "--port",
                "0",
                "--db",
                str(db),
                "--seed",
                "demo",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            line = process.stdout.readline()
            url = line.split()[3]
            tokens = len(requests.get(f"{url}/_sandbox/state/tokens", timeout=5).json())
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=10)
        assert process.returncode == 0
        return line, tokens

    line, first_tokens = run()
    assert line.startswith("Authlete sandbox at http://127.0.0.1:")
    _, second_tokens = run()
    assert first_tokens == second_tokens > 0


def test_latency_ms_delays_every_api_call_but_not_control(tmp_path):
    with SandboxServer(seed="empty", latency_ms=150) as slow:
        sandbox = Sandbox(slow.url)
        started = time.monotonic()
        sandbox.control("GET", "requests")
        assert time.monotonic() - started < 0.15
        started = time.monotonic()
        sandbox.ok("GET", "/service/get")
        assert time.monotonic() - started >= 0.15
