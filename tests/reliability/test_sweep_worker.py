"""Disconnecting an app from everyone survives its worker: a real `db_worker` process is killed
(SIGKILL) half-way and another started; in the end nobody holds the app, nobody was missed and
nobody was disconnected twice, and the run kept to its pace.

The 200-person run is part of `make test`; the 10,000-person run is `make scale`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import Client
from django.urls import reverse

from authlete_sandbox import SERVICE_ID, SERVICE_TOKEN
from authlete_sandbox.server import SandboxServer
from authlete_sandbox.store.grants import authorize
from connected_apps.models import AuditEvent
from connected_apps.staff import roles
from connected_apps.sweep_models import Sweep, SweepItem
from tests.conftest import Sandbox
from tests.support import ROOT

# The worker process writes to the test database itself, so every row must be committed.
pytestmark = pytest.mark.django_db(transaction=True)

INCIDENT = "Incident response"


def _responder(make_user: Any) -> Client:
    # Tables are emptied between these tests, the migration's groups with them: made again here.
    role, _ = Group.objects.get_or_create(name=INCIDENT)
    role.permissions.set(
        Permission.objects.filter(
            content_type__app_label="connected_apps", codename__in=roles.GROUPS[INCIDENT]
        )
    )
    staff = make_user("responder", staff=True)
    staff.groups.add(role)
    client = Client()
    client.force_login(staff)
    return client


def _database_url() -> str:
    """The test database as DATABASE_URL, for the worker process to share it."""
    config = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{config['NAME']}"
    user = config["USER"] + (f":{config['PASSWORD']}" if config["PASSWORD"] else "")
    return f"postgres://{user}@{config['HOST']}:{config['PORT'] or 5432}/{config['NAME']}"


def _worker(tmp_path: Path, sandbox_url: str, rate: float, log: str) -> subprocess.Popen:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AUTHLETE_"))},
        "DATABASE_URL": _database_url(),
        "PORTAL_VAR_DIR": str(tmp_path),
        "AUTHLETE_BASE_URL": sandbox_url,
        "AUTHLETE_SERVICE_ID": SERVICE_ID,
        "AUTHLETE_SERVICE_TOKEN": SERVICE_TOKEN,
        # Short, so a dead worker's lease and claims expire within seconds (lease: 2 + 7 + 1 s).
        "AUTHLETE_DEADLINE": "1",
        "PORTAL_SWEEP_SLICE_SECONDS": "2",
        "PORTAL_SWEEP_REQUESTS_PER_SECOND": str(rate),
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "manage.py", "db_worker", "--interval", "0.1"]
    command += ["--no-startup-delay", "--no-reload"]
    out = (tmp_path / log).open("w")
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )


def _stop(worker: subprocess.Popen, sig: int) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, sig)
    worker.wait(timeout=30)


def _wait_for(condition: Any, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.2)


def _sweep_through_a_killed_worker(
    tmp_path: Path,
    server: SandboxServer,
    sandbox: Sandbox,
    make_user: Any,
    people: int,
    rate: float,
) -> None:
    body = {"clientName": "Compromised Sync", "redirectUris": ["https://sync.example/cb"]}
    client_id = sandbox.api("POST", "/client/create", json=body).json()["clientId"]
    subjects = [f"person-{n:05d}" for n in range(people)]
    for (
        subject
    ) in subjects:  # straight into the sandbox's store: thousands of HTTP calls add nothing
        authorize(server.store, client_id=client_id, subject=subject, scopes=["openid"])
    responder = _responder(make_user)
    started = responder.post(
        reverse("admin:staff_incident_start", args=[client_id]),
        {"reason": "Compromised client", "lock": "on"},
    )
    assert started.status_code == 302
    sweep = Sweep.objects.get()
    sandbox.clear_requests()
    began = time.monotonic()

    def done() -> int:
        return sweep.items.filter(status=SweepItem.Status.DONE).count()

    first = _worker(tmp_path, server.url, rate, "worker-1.log")
    try:
        _wait_for(lambda: done() >= people // 2, 120 + people / 2, "half the people")
    finally:
        _stop(first, signal.SIGKILL)
    killed_at = done()
    assert killed_at < people, "the worker finished before it could be killed"
    second = _worker(tmp_path, server.url, rate, "worker-2.log")
    try:
        _wait_for(
            lambda: Sweep.objects.get(pk=sweep.pk).status == Sweep.Status.FINISHED,
            120 + people / 2,
            "the sweep to finish",
        )
    finally:
        _stop(second, signal.SIGTERM)
    elapsed = time.monotonic() - began

    assert sandbox.control("GET", "state/tokens", params={"clientId": client_id}) == []
    items = dict(sweep.items.values_list("subject", "status"))
    assert sorted(items) == subjects, "a person was missed"
    assert set(items.values()) == {SweepItem.Status.DONE}
    calls = server.store.requests()
    deletes = Counter(
        r["body"]["subject"]
        for r in calls
        if r["path"].endswith(f"/client/authorization/delete/{client_id}") and r["status"] == 200
    )
    assert sorted(deletes) == subjects and set(deletes.values()) == {1}, "disconnected twice"
    attempts = Counter(
        AuditEvent.objects.filter(
            action=AuditEvent.Action.REVOKE, client_id=client_id, settles__isnull=True
        ).values_list("subject", flat=True)
    )
    assert sorted(attempts) == subjects

    sweep.refresh_from_db()
    api_calls = [r for r in calls if r["path"].startswith("/api/")]
    busy = sweep.authlete_calls / sweep.working_seconds
    print(  # the run's report: its pace against the configured limit
        f"\n{people} people, killed at {killed_at}, {len(api_calls)} Authlete calls in "
        f"{elapsed:.1f} s; while working {busy:.1f} calls/s against a limit of {rate:g}/s "
        f"({sweep.working_seconds:.1f} s working)"
    )
    assert busy <= rate * 1.05


def test_a_sweep_of_200_survives_its_worker_being_killed(
    tmp_path, sandbox_server, sandbox, make_user
):
    _sweep_through_a_killed_worker(tmp_path, sandbox_server, sandbox, make_user, 200, rate=400)


@pytest.mark.scale
@pytest.mark.skipif(not os.environ.get("PORTAL_SCALE"), reason="make scale runs it")
def test_a_sweep_of_10000_survives_its_worker_being_killed(
    tmp_path, sandbox_server, sandbox, make_user
):
    _sweep_through_a_killed_worker(tmp_path, sandbox_server, sandbox, make_user, 10_000, rate=400)
