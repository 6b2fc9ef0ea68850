"""Every Authlete fault against every page: a clear answer in time, and nothing claimed undone."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from connected_apps.models import AuditEvent
from tests.conftest import Sandbox

pytestmark = pytest.mark.django_db

WRONG_TOKEN = "not-the-service-token-9f3c2b"
# Slack for one sequential phase of Authlete calls that did not fault (a few ms each on loopback)
# plus Django's own work; the faulted phase is bounded by AUTHLETE_DEADLINE itself.
PHASE_MARGIN = 0.25
FRIENDLY = (
    "The account service is taking too long to answer.",
    "The account service is not reachable right now.",
    "The account service could not handle this request.",
    "Authlete could not be reached or refused the call",
    "The account service did not confirm your change.",
    "Authlete did not confirm the change",
)


@dataclass(frozen=True)
class Fault:
    name: str
    spec: dict[str, Any] | None  # what the sandbox injects; None for wrong credentials
    # Whether our client repeats a read after it: a plain 500, a garbled 200 and a 401 are
    # Authlete's definite answer, so repeating them would only add load.
    read_retried: bool
    reads_only: bool = False


FAULTS = [
    Fault("hang", {"kind": "hang"}, read_retried=True),
    # Latency past the read timeout. On a write the sandbox still applies it after the delay,
    # so the write's state is unknown: see test_a_write_that_timed_out_may_still_have_landed.
    Fault("latency", {"kind": "latency", "delayMs": 800}, read_retried=True, reads_only=True),
    Fault("status500", {"kind": "status500"}, read_retried=False),
    Fault("status503", {"kind": "status503", "retryAfter": 0}, read_retried=True),
    Fault("status429", {"kind": "status429", "retryAfter": 0}, read_retried=True),
    Fault("malformed", {"kind": "malformed"}, read_retried=False),
    Fault("reset", {"kind": "reset"}, read_retried=True),
    Fault("credentials", None, read_retried=False),
]


@dataclass
class World:
    sandbox: Sandbox
    john_client: Client
    support_client: Client
    john: Any
    client_id: int
    scopes: list[str]
    all_ids: list[int]


@dataclass(frozen=True)
class Operation:
    name: str
    send: Callable[[World], HttpResponse]
    # The Authlete path of the change a write makes; None for pages that only read.
    write_path: str | None
    # Sequential phases of Authlete calls before the answer (reads faulted everywhere stop at
    # the first; a write runs its reads, the consent delete, then the faulted change).
    phases: int
    admin: bool = False


def _admin_url(world: World, action: str = "") -> str:
    if action:
        return reverse(f"admin:staff_app_{action}", args=[world.john.username, world.client_id])
    return reverse("admin:staff_subject", args=[world.john.username])


OPERATIONS = [
    Operation("list", lambda w: w.john_client.get(reverse("connected_apps:list")), None, phases=1),
    Operation(
        "details",
        lambda w: w.john_client.get(reverse("connected_apps:detail", args=[w.client_id])),
        None,
        phases=1,
    ),
    Operation(
        "narrow",
        lambda w: w.john_client.post(
            reverse("connected_apps:narrow", args=[w.client_id]), {"keep": [w.scopes[0]]}
        ),
        # Inkwell Notes' tokens hold different scopes: each is narrowed on its own.
        "/auth/token/update",
        phases=4,
    ),
    Operation(
        "revoke",
        lambda w: w.john_client.post(reverse("connected_apps:revoke", args=[w.client_id])),
        "/client/authorization/delete/",
        phases=4,
    ),
    Operation(
        "revoke_all",
        lambda w: w.john_client.post(reverse("connected_apps:revoke_all"), {"confirm": "on"}),
        "/client/authorization/delete/",
        phases=5,
    ),
    Operation("admin_get", lambda w: w.support_client.get(_admin_url(w)), None, 1, admin=True),
    Operation(
        "admin_post",
        lambda w: w.support_client.post(_admin_url(w, "revoke"), {"reason": "Ticket 7"}),
        "/client/authorization/delete/",
        phases=4,
        admin=True,
    ),
    Operation(
        "admin_narrow",
        lambda w: w.support_client.post(
            _admin_url(w, "narrow"),
            {
                "keep": [w.scopes[0]],
                "reason": "Ticket 7",
            },
        ),
        "/auth/token/update",
        phases=4,
        admin=True,
    ),
]

CELLS = [
    pytest.param(fault, op, id=f"{op.name}-{fault.name}")
    for op in OPERATIONS
    for fault in FAULTS
    if not (fault.reads_only and op.write_path)
]


@pytest.fixture
def world(
    fast_authlete: Any,
    sandbox: Sandbox,
    john: Any,
    john_client: Client,
    support_client: Client,
    johns_apps: list[int],
) -> World:
    client_id, scopes = sandbox.narrowable("john", johns_apps)
    return World(sandbox, john_client, support_client, john, client_id, scopes, johns_apps)


def _state(sandbox: Sandbox, client_ids: list[int]) -> dict[int, list[list[str]]]:
    """What Authlete holds for john, per app: the scopes of each token."""
    return {cid: sorted(sandbox.token_scopes("john", cid)) for cid in client_ids}


def _maybe_acted(fault: Fault, op: Operation, calls: Counter[tuple[str, str]]) -> bool:
    """Whether Authlete may have acted: silence or garble after the write reached it.

    On a slow machine the page's reads can spend so much of the deadline that the portal
    never starts the write; then nothing changed, and the page must say exactly that.
    """
    reached = any(op.write_path and op.write_path in path for _, path in calls)
    return reached and fault.name in ("hang", "reset", "malformed")


def _calls(sandbox: Sandbox) -> Counter[tuple[str, str]]:
    return Counter((r["method"], r["path"]) for r in sandbox.requests())


@pytest.mark.parametrize(("fault", "op"), CELLS)
def test_a_fault_gets_a_clear_answer_in_time_and_nothing_is_claimed_done(
    world: World, settings: Any, fault: Fault, op: Operation
):
    sandbox = world.sandbox
    before = _state(sandbox, world.all_ids)
    if fault.spec is None:
        settings.AUTHLETE_SERVICE_TOKEN = WRONG_TOKEN
    else:
        # A page that only reads meets the fault on every call; a write meets it on the change.
        sandbox.fault(path=op.write_path or "", **fault.spec)
    sandbox.clear_requests()

    started = time.monotonic()
    response = op.send(world)
    elapsed = time.monotonic() - started

    html = response.content.decode()
    calls = _calls(sandbox)
    sandbox.clear_faults()
    # Bounded by the deadline of the one faulted call, not by the faults' own delays.
    assert elapsed <= settings.AUTHLETE_DEADLINE + PHASE_MARGIN * op.phases
    assert "Traceback" not in html and WRONG_TOKEN not in html
    assert AuditEvent.objects.outcomes().filter(outcome="success").count() == 0
    assert _state(sandbox, world.all_ids) == before

    if op.name == "revoke_all" and fault.spec is not None:
        # Revoke-all reports app by app on the next page: none disconnected, every one failed.
        assert response.status_code == 302
        notes = [str(m) for m in get_messages(response.wsgi_request)]
        assert not any(n.startswith("Disconnected:") for n in notes)
        # Silence or a garbled answer may come after Authlete acted: that is not "failed".
        unknown = _maybe_acted(fault, op, calls)
        expected = "Could not confirm:" if unknown else "Could not disconnect:"
        assert any(n.startswith(expected) for n in notes)
    else:
        assert response.status_code in (502, 503)
        assert any(text in html for text in FRIENDLY)
        if op.write_path and not op.admin:
            # Only an error answer proves nothing changed; silence or a garbled 200 proves nothing.
            if _maybe_acted(fault, op, calls):
                assert "could not confirm whether your change was made" in html
            else:
                assert "Nothing was changed." in html

    if op.write_path is None:
        _assert_reads_retried_as_safe(calls, fault, settings.AUTHLETE_MAX_RETRIES)
    elif fault.spec is None:
        # Wrong credentials fail the first read: the change is never attempted.
        assert not any(op.write_path in path for _, path in calls)
    else:
        _assert_write_not_repeated_unsafely(calls, fault, op, settings.AUTHLETE_MAX_RETRIES)
        # An error answer proves the change failed; silence or garble leaves it unknown.
        unknown = _maybe_acted(fault, op, calls)
        assert (
            AuditEvent.objects.outcomes()
            .filter(outcome="unknown" if unknown else "failed")
            .exists()
        )


def _assert_reads_retried_as_safe(calls: Counter[tuple[str, str]], fault: Fault, retries: int):
    assert calls, "the page must have asked Authlete"
    for (method, path), count in calls.items():
        assert count <= retries + 1, (method, path, count)
        if fault.read_retried:
            assert count >= 2, f"{method} {path} was not retried after {fault.name}"
        else:
            assert count == 1, f"{method} {path} was repeated after {fault.name}"


def _assert_write_not_repeated_unsafely(
    calls: Counter[tuple[str, str]], fault: Fault, op: Operation, retries: int
):
    assert op.write_path is not None
    writes = {path: count for (_, path), count in calls.items() if op.write_path in path}
    assert writes, "the change must have been attempted"
    limit = retries + 1 if fault.name == "status429" else 1
    for path, count in writes.items():
        assert count <= limit, f"{path} delivered {count} times after {fault.name}"


# --- Cases the matrix cannot show ----------------------------------------------------------------

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.mark.parametrize("name", ["list", "details", "narrow", "revoke"])
def test_htmx_gets_the_error_fragment_with_a_retry_in_place(world: World, name: str):
    world.sandbox.fault("status503", path="", retryAfter=0)
    client, cid = world.john_client, world.client_id
    response = {
        "list": lambda: client.get(reverse("connected_apps:list"), **HTMX),
        "details": lambda: client.get(reverse("connected_apps:detail", args=[cid]), **HTMX),
        "narrow": lambda: client.post(
            reverse("connected_apps:narrow", args=[cid]), {"keep": [world.scopes[0]]}, **HTMX
        ),
        "revoke": lambda: client.post(reverse("connected_apps:revoke", args=[cid]), **HTMX),
    }[name]()
    html = response.content.decode()
    assert response.status_code == 503
    assert 'class="alert alert--error' in html and 'role="alert"' in html
    assert "<html" not in html and "Try again" in html


@pytest.mark.parametrize("name", ["narrow", "revoke"])
def test_when_clearing_consent_fails_the_token_change_is_not_attempted(world: World, name: str):
    world.sandbox.fault("status503", path="/client/granted_scopes/delete/", retryAfter=0)
    before = _state(world.sandbox, [world.client_id])
    world.sandbox.clear_requests()
    data = {"keep": [world.scopes[0]]} if name == "narrow" else {}
    response = world.john_client.post(
        reverse(f"connected_apps:{name}", args=[world.client_id]), data
    )
    assert response.status_code == 503
    assert "Nothing was changed." in response.content.decode()
    assert not any("/client/authorization/" in r["path"] for r in world.sandbox.writes())
    assert _state(world.sandbox, [world.client_id]) == before
    assert AuditEvent.objects.outcomes().get().outcome == "failed"


def test_a_retry_after_longer_than_the_deadline_is_not_waited_for(world: World, settings: Any):
    world.sandbox.fault("status503", path="", retryAfter=30)
    world.sandbox.clear_requests()
    started = time.monotonic()
    response = world.john_client.get(reverse("connected_apps:list"))
    assert response.status_code == 503
    assert time.monotonic() - started <= settings.AUTHLETE_DEADLINE
    # The page's first round (the listing and the tokens, at once) is sent, and none repeated.
    asked = [(r["path"], sorted(r["query"].items())) for r in world.sandbox.requests()]
    assert asked and len(asked) == len({str(a) for a in asked})


def test_a_read_that_recovers_on_retry_shows_the_page(world: World):
    world.sandbox.fault("status503", path="/client/authorization/get/list", times=1, retryAfter=0)
    response = world.john_client.get(reverse("connected_apps:list"))
    assert response.status_code == 200
    assert 'class="app-card app-row' in response.content.decode()


def test_a_write_that_timed_out_is_audited_as_a_timeout_and_never_as_done(world: World):
    """Latency past the read timeout on the change itself: Authlete applies it later anyway.

    The portal cannot know the outcome, so it must not claim success; the audit row says it
    timed out, and the change was sent once.
    """
    world.sandbox.fault("latency", path="/client/authorization/delete/", delayMs=600)
    response = world.john_client.post(reverse("connected_apps:revoke", args=[world.client_id]))
    assert response.status_code == 503
    assert "taking too long" in response.content.decode()
    event = AuditEvent.objects.outcomes().get()
    assert event.outcome == "unknown" and event.detail.startswith("timeout:")
    deliveries = [r for r in world.sandbox.requests() if "/authorization/delete/" in r["path"]]
    assert len(deliveries) == 1
    _wait_for(lambda: world.client_id not in world.sandbox.authorized_client_ids("john"))


def test_a_write_that_timed_out_does_not_claim_that_nothing_changed(world: World):
    # Inkwell Notes' tokens hold different scopes: each is narrowed on its own.
    world.sandbox.fault("latency", path="/auth/token/update", delayMs=600)
    response = world.john_client.post(
        reverse("connected_apps:narrow", args=[world.client_id]), {"keep": [world.scopes[0]]}
    )
    changed = _wait_for(
        lambda: world.sandbox.token_scopes("john", world.client_id)[0] == [world.scopes[0]]
    )
    assert changed and response.status_code == 503
    assert "Nothing was changed." not in response.content.decode()
    assert "could not confirm whether your change was made" in response.content.decode()


def _wait_for(condition: Callable[[], bool], timeout: float = 3.0) -> bool:
    """Poll the witness until the sandbox has finished a delayed call."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("name", ["narrow", "revoke"])
def test_when_nothing_reached_authlete_the_page_says_nothing_changed(
    world: World, settings: Any, name: str
):
    # Nothing listens on port 9: every connection is refused, so no request can have landed.
    settings.AUTHLETE_BASE_URL = "http://127.0.0.1:9"
    data = {"keep": [world.scopes[0]]} if name == "narrow" else {}
    response = world.john_client.post(
        reverse(f"connected_apps:{name}", args=[world.client_id]), data
    )
    html = response.content.decode()
    assert response.status_code == 503
    assert "Nothing was changed." in html
    assert "could not confirm" not in html


def test_a_page_answers_within_one_deadline_however_many_rounds_it_makes(
    world: World, settings: Any
):
    # The listing answers slowly but in time; then every per-app call hangs. Each call alone
    # keeps its deadline, but only one deadline for the whole page keeps the page in time.
    settings.AUTHLETE_DEADLINE = 2.0
    settings.AUTHLETE_READ_TIMEOUT = 1.95
    world.sandbox.fault("latency", path="/client/authorization/get/list", delayMs=1700)
    world.sandbox.fault("hang", path="/auth/token/get/list")
    started = time.monotonic()
    response = world.john_client.get(reverse("connected_apps:list"))
    elapsed = time.monotonic() - started
    assert response.status_code in (502, 503)
    assert elapsed <= settings.AUTHLETE_DEADLINE + 1, elapsed
