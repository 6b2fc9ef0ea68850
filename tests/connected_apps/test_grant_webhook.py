"""The webhook the authorization server calls after it issues a grant: signed, strict, and
idempotent; a good call ends in one e-mail, a bad one changes nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from authlete_sandbox import seed as demo
from connected_apps.notifications.models import Notification, ReceivedGrant
from tests.smtp import (
    BASE,
    WEBHOOK_SECRET,
    SmtpServer,
    links,
    no_remote_images,
    parts,
    run_worker,
    serving_mail,
)

# The task worker runs in this thread against committed rows, as it does in production.
pytestmark = pytest.mark.django_db(transaction=True)

NOTES = demo.INKWELL_NOTES
HOOK = "/hooks/grant-issued"


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpServer]:
    yield from serving_mail(settings)


def _event(**changes: Any) -> dict[str, Any]:
    return {
        "id": "evt_1",
        "subject": "john",
        "client_id": NOTES,
        "scopes": ["openid", "email"],
        "issued_at": "2026-11-25T10:00:00Z",
        **changes,
    }


def _signed(body: bytes, *, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    """Signed as the README says: HMAC-SHA256 of "<unix time>.<body>" with the shared secret."""
    timestamp = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def _deliver(client: Client, body: bytes, signature: str | None = None, **extra: Any):
    return client.post(
        HOOK,
        body,
        content_type=extra.pop("content_type", "application/json"),
        HTTP_PORTAL_SIGNATURE=_signed(body) if signature is None else signature,
        **extra,
    )


def test_a_signed_new_grant_mails_the_person_once(smtp, john, sandbox):
    body = json.dumps(_event()).encode()
    response = _deliver(Client(), body)
    assert response.status_code == 202
    assert response.json() == {"status": "accepted", "id": "evt_1"}
    again = _deliver(Client(), body)  # the server retried: same event, new signature
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    run_worker()
    assert smtp.recipients == [["john@example.com"]]
    name = sandbox.client_name(NOTES)
    message = smtp.messages[0]
    assert message["Subject"] == f"A new app can access your account: {name}"
    text, html = parts(message)
    assert "See your email address" in text
    assert f"{BASE}/apps/{NOTES}/" in links(text)
    assert f"{BASE}/apps/{NOTES}/revoke/" in links(html)
    no_remote_images(html)


def test_the_new_grant_mail_goes_even_when_authlete_is_down(smtp, john, sandbox):
    sandbox.fault("status503", path="/", retryAfter=0, times=1000)
    _deliver(Client(), json.dumps(_event()).encode())
    run_worker()
    assert smtp.messages[0]["Subject"] == f"A new app can access your account: App {NOTES}"


def test_a_grant_for_nobody_here_is_accepted_and_tells_nobody(smtp, john, sandbox):
    response = _deliver(Client(), json.dumps(_event(subject="someone-else")).encode())
    assert response.status_code == 202
    run_worker()
    assert smtp.messages == [] and not Notification.objects.exists()


@pytest.mark.parametrize(
    ("body", "signature", "status", "error"),
    [
        (b'{"id": "evt_1"', None, 400, "invalid_request"),
        (json.dumps(_event(client_id="17")).encode(), None, 400, "invalid_request"),
        (json.dumps(_event(extra=1)).encode(), None, 400, "invalid_request"),
        (json.dumps(_event(issued_at="yesterday")).encode(), None, 400, "invalid_request"),
        (json.dumps(_event()).encode(), _signed(b"{}"), 401, "invalid_signature"),
        (json.dumps(_event()).encode(), _signed(b"x", secret="other"), 401, "invalid_signature"),
        (json.dumps(_event()).encode(), "", 401, "missing_signature"),
        (json.dumps(_event()).encode(), "sha256=abc", 401, "malformed_signature"),
        (json.dumps(_event(scopes=["x" * 150] * 60)).encode(), None, 413, "too_large"),
    ],
    ids=[
        "malformed-json",
        "client-id-a-string",
        "unknown-field",
        "bad-time",
        "signature-of-another-body",
        "another-secret",
        "no-signature",
        "malformed-signature",
        "oversize",
    ],
)
def test_a_bad_call_gets_a_clear_answer_and_changes_nothing(
    smtp, john, sandbox, body, signature, status, error
):
    response = _deliver(Client(), body, signature)
    assert response.status_code == status
    assert response.json()["error"] == error and response.json()["error_description"]
    run_worker()
    assert not ReceivedGrant.objects.exists() and not Notification.objects.exists()
    assert smtp.messages == []


def test_a_stale_signature_is_refused_even_when_it_is_right(smtp, john, sandbox):
    body = json.dumps(_event()).encode()
    response = _deliver(Client(), body, _signed(body, at=int(time.time()) - 301))
    assert response.status_code == 401 and response.json()["error"] == "stale_timestamp"
    assert not ReceivedGrant.objects.exists()


def test_an_event_id_used_again_for_another_event_is_refused(smtp, john, sandbox):
    _deliver(Client(), json.dumps(_event()).encode())
    response = _deliver(Client(), json.dumps(_event(client_id=demo.TEMPO_PLANNER)).encode())
    assert response.status_code == 409 and response.json()["error"] == "event_id_reused"
    assert ReceivedGrant.objects.get().client_id == NOTES
    run_worker()
    assert len(smtp.messages) == 1


def test_the_webhook_takes_only_json_posts(smtp):
    body = json.dumps(_event()).encode()
    assert _deliver(Client(), body, content_type="text/plain").status_code == 415
    assert Client().get(HOOK).status_code == 405


def test_the_webhook_does_not_exist_without_a_secret(smtp, settings):
    settings.PORTAL_WEBHOOK_SECRET = ""
    assert _deliver(Client(), json.dumps(_event()).encode()).status_code == 404
