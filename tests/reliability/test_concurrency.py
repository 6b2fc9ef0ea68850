"""Changes racing each other: Authlete ends in a state someone asked for, all of them audited."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from connected_apps.models import AuditEvent
from connected_apps.services import narrow
from connected_apps.services.audit import Actor
from connected_apps.services.errors import ChangeInProgress, ScopeChangeRefused
from tests.conftest import Sandbox


def _at_once[T](*calls: Callable[[], T]) -> list[T]:
    """Run the calls on their own threads, released together, each with its own connection."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T:
        start.wait()
        try:
            return call()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


@pytest.mark.parametrize("round_", range(3))
def test_narrowing_and_revoking_the_same_app_at_once_never_widens_it(
    transactional_db, john: Any, sandbox: Sandbox, johns_apps: list[int], round_: int
):
    client_id, scopes = sandbox.narrowable("john", johns_apps)
    kept = scopes[:1]
    # Hold both changes at their first write, so both have read the app before either lands.
    sandbox.fault("latency", path="/client/granted_scopes/delete/", delayMs=150, times=2)
    laptop, phone = Client(), Client()
    laptop.force_login(john)
    phone.force_login(john)
    narrow, revoke = _at_once(
        lambda: laptop.post(reverse("connected_apps:narrow", args=[client_id]), {"keep": kept}),
        lambda: phone.post(reverse("connected_apps:revoke", args=[client_id])),
    )

    outcome = f"narrow {narrow.status_code}, revoke {revoke.status_code}"
    assert narrow.status_code in (302, 404) and revoke.status_code == 302, outcome
    tokens = sandbox.token_scopes("john", client_id)
    assert all(set(token) <= set(kept) for token in tokens)
    if tokens:
        assert client_id in sandbox.authorized_client_ids("john")
    events = {e.action: e for e in AuditEvent.objects.outcomes().filter(client_id=client_id)}
    assert events["revoke"].outcome == "success"
    if narrow.status_code == 302:
        assert events["narrow"].outcome == "success"
        assert events["narrow"].scopes_after == kept


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL, not SQLite"
)
def test_the_audit_log_keeps_every_row_of_200_concurrent_changes(
    transactional_db, john: Any, sandbox: Sandbox, johns_apps: list[int]
):
    actor = Actor(user=john, ip_address="203.0.113.9", user_agent="load")

    def change(n: int) -> None:
        # A scope the app never held: refused before any write, yet audited like any change.
        # Changes to one app wait for each other, so they are spread over all of john's apps.
        # A change that finds its app busy is told to try again; like a person, it does.
        client_id = johns_apps[n % len(johns_apps)]
        try:
            while True:
                try:
                    narrow.connected_app_narrow(
                        subject="john",
                        client_id=client_id,
                        keep=[f"never-granted-{n}"],
                        actor=actor,
                    )
                except ChangeInProgress:
                    continue
                except ScopeChangeRefused:
                    pass
                return
        finally:
            connections.close_all()

    sandbox.clear_requests()
    with ThreadPoolExecutor(max_workers=32) as pool:
        list(pool.map(change, range(200)))

    rows = AuditEvent.objects.outcomes().filter(subject="john", action="narrow")
    assert rows.count() == 200
    assert {tuple(r.scopes_after) for r in rows} == {(f"never-granted-{n}",) for n in range(200)}
    assert sandbox.writes() == []
