"""Headers, cookies, markup, rate limits and secrets: what an attacker or an auditor would check."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from authlete_sandbox import SERVICE_TOKEN
from connected_apps.models import AuditEvent
from tests.conftest import Sandbox

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def production(settings: Any) -> Any:
    """The security settings a production start computes with DJANGO_DEBUG=0."""
    settings.DEBUG = False
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_SSL_REDIRECT = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_CSP = {
        **settings.SECURE_CSP,
        "img-src": [v for v in settings.SECURE_CSP["img-src"] if v != "http:"],
    }
    return settings


# --- Headers and cookies ------------------------------------------------------------------------


def test_pages_carry_a_strict_policy_and_the_hardening_headers(production, john_client, sandbox):
    response = john_client.get(reverse("connected_apps:list"), secure=True)
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_plain_http_is_sent_to_https_in_production(production, john_client):
    response = john_client.get(reverse("connected_apps:list"))
    assert response.status_code == 301
    assert response["Location"].startswith("https://")


def test_session_and_csrf_cookies_are_secure_httponly_and_same_site(production, john):
    client = Client()
    login = client.get(reverse("account_login"), secure=True)
    csrf = login.cookies["csrftoken"]
    assert csrf["secure"] and csrf["httponly"] and csrf["samesite"] == "Lax"
    response = client.post(
        reverse("account_login"), {"login": "john", "password": PASSWORD}, secure=True
    )
    session = response.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"


def _manage(*args: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "AUTHLETE_", "DATABASE_", "PORTAL_"))
    }
    env = {
        **clean,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "a-long-random-production-key-for-checks-0123456789-qwerty",
        "DJANGO_ALLOWED_HOSTS": "portal.example.com",
        "AUTHLETE_BASE_URL": "https://us.authlete.com",
        "AUTHLETE_SERVICE_ID": "1",
        "AUTHLETE_SERVICE_TOKEN": "unused",
        "PORTAL_VAR_DIR": str(ROOT / "var"),
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_production_start_sets_every_cookie_and_transport_flag():
    result = _manage("diffsettings", "--all")
    assert result.returncode == 0, result.stderr
    values = dict(re.findall(r"^(?:### )?([A-Z_]+) = (.*)$", result.stdout, re.MULTILINE))
    for name in (
        "SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "CSRF_COOKIE_SECURE",
        "CSRF_COOKIE_HTTPONLY",
        "SECURE_SSL_REDIRECT",
        "SECURE_CONTENT_TYPE_NOSNIFF",
    ):
        assert values[name] == "True", name
    assert values["SESSION_COOKIE_SAMESITE"] == values["CSRF_COOKIE_SAMESITE"] == "'Lax'"
    assert int(values["SECURE_HSTS_SECONDS"]) >= 31_536_000
    assert values["X_FRAME_OPTIONS"] == "'DENY'"
    assert values["DEBUG"] == "False"


def test_the_deployment_checklist_passes_in_production():
    result = _manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


# --- Markup -------------------------------------------------------------------------------------

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"""\sstyle\s*=\s*["']""", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"""\son[a-z]+\s*=\s*["']""", re.IGNORECASE)


def test_no_page_holds_inline_script_style_or_event_handlers(
    john_client, sandbox: Sandbox, johns_apps
):
    client_id, _ = sandbox.narrowable("john", johns_apps)
    sandbox.fault("status503", path="/auth/token/get/list", retryAfter=0, times=100)
    pages = [
        reverse("connected_apps:list"),
        reverse("connected_apps:list") + "?q=zz-no-match",
        reverse("connected_apps:activity"),
        reverse("connected_apps:revoke_all"),
    ]
    rendered = {url: john_client.get(url) for url in pages}
    sandbox.clear_faults()
    rendered[reverse("connected_apps:list") + "?ok"] = john_client.get(
        reverse("connected_apps:list")
    )
    for name in ("detail", "narrow", "revoke"):
        url = reverse(f"connected_apps:{name}", args=[client_id])
        rendered[url] = john_client.get(url)
        rendered[url + "#htmx"] = john_client.get(url, **HTMX)
    rendered["login"] = Client().get(reverse("account_login"))
    assert any(r.status_code == 503 for r in rendered.values()), "the error page is covered"
    for url, response in rendered.items():
        html = response.content.decode()
        assert response.status_code in (200, 503), url
        assert not INLINE_SCRIPT.search(html), url
        assert not INLINE_STYLE.search(html), url
        assert not INLINE_HANDLER.search(html), url


# --- Rate limits --------------------------------------------------------------------------------


def test_changes_beyond_the_per_minute_limit_get_429_and_never_reach_authlete(
    settings, john_client, sandbox: Sandbox, johns_apps
):
    settings.PORTAL_WRITES_PER_MINUTE = 2
    cache.clear()
    url = reverse("connected_apps:revoke", args=[johns_apps[0]])
    # Refused forms still count: the limit is on attempts, not on successes.
    assert john_client.post(reverse("connected_apps:revoke_all"), {}).status_code == 400
    assert john_client.post(url).status_code == 302
    sandbox.clear_requests()
    for view, args, data in [
        ("revoke", [johns_apps[1]], {}),
        ("narrow", [johns_apps[1]], {"keep": ["email"]}),
        ("revoke_all", [], {"confirm": "on"}),
    ]:
        response = john_client.post(reverse(f"connected_apps:{view}", args=args), data, **HTMX)
        html = response.content.decode()
        assert response.status_code == 429, view
        assert "too quickly" in html and "Nothing was changed." in html
        assert int(response["Retry-After"]) <= 60
    assert sandbox.requests() == []
    assert johns_apps[1] in sandbox.authorized_client_ids("john")
    # Reading stays possible while changes are paused.
    assert john_client.get(reverse("connected_apps:list")).status_code == 200


def test_the_write_limit_is_per_person(settings, john_client, alice_client, sandbox: Sandbox):
    settings.PORTAL_WRITES_PER_MINUTE = 1
    cache.clear()
    john_client.post(reverse("connected_apps:revoke_all"), {})
    assert john_client.post(reverse("connected_apps:revoke_all"), {}).status_code == 429
    assert alice_client.post(reverse("connected_apps:revoke_all"), {}).status_code == 400


def test_repeated_failed_sign_ins_are_limited_even_with_the_right_password(john):
    client = Client()
    cache.clear()
    url = reverse("account_login")
    for _ in range(5):
        client.post(url, {"login": "john", "password": "wrong"})
    response = client.post(url, {"login": "john", "password": PASSWORD})
    assert SESSION_KEY not in client.session
    assert response.status_code in (200, 429)
    assert "Too many failed login attempts" in response.content.decode()


# --- Secrets ------------------------------------------------------------------------------------


def test_credentials_never_reach_logs_or_error_pages(settings, john_client, sandbox, caplog):
    wrong = "wrong-service-token-that-must-stay-secret"
    settings.AUTHLETE_SERVICE_TOKEN = wrong
    with caplog.at_level(logging.DEBUG):
        page = john_client.get(reverse("connected_apps:list"))
        change = john_client.post(reverse("connected_apps:revoke_all"), {"confirm": "on"})
    assert page.status_code == change.status_code == 502
    assert "op=authorization_list" in caplog.text and "status=401" in caplog.text
    for text in (caplog.text, page.content.decode(), change.content.decode()):
        assert wrong not in text and SERVICE_TOKEN not in text
        assert "Bearer" not in text


# --- The admin ----------------------------------------------------------------------------------


def test_the_admin_connected_apps_view_needs_its_permission(make_user, john, sandbox):
    url = reverse("admin:staff_subject", args=["john"])
    revoke = reverse("admin:staff_app_revoke", args=["john", 1])
    assert Client().get(url).status_code == 302
    member = Client()
    member.force_login(make_user("member"))
    assert member.get(url).status_code == 302
    intern = Client()
    intern.force_login(make_user("intern", staff=True))
    sandbox.clear_requests()
    assert intern.get(url).status_code == 403
    reply = intern.post(revoke, {"reason": "x"})
    assert reply.status_code == 403
    assert sandbox.requests() == []
    assert AuditEvent.objects.outcomes().count() == 0


def test_the_admin_sign_in_goes_through_allauth_with_its_second_factor(make_user, client):
    # A staff password alone must not open the admin: its own login form is replaced by the
    # portal's sign-in, which asks for the second factor and limits failed attempts.
    make_user("staffer", staff=True)
    form = client.get("/admin/login/?next=/admin/")
    assert form.status_code == 302 and form["Location"].startswith(reverse("account_login"))
    posted = client.post(
        "/admin/login/?next=/admin/",
        {"username": "staffer", "password": "correct horse battery staple", "next": "/admin/"},
    )
    assert posted.status_code == 302 and posted["Location"].startswith(reverse("account_login"))
    assert client.get("/admin/").status_code == 302


def test_behind_one_proxy_each_client_has_its_own_sign_in_limit_and_audit_address(
    settings, make_user, john, sandbox, johns_apps
):
    # One TLS proxy appends the client's address; the portal sees only the proxy's connection.
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    make_user("someone")
    attacker = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.66")
    for attempt in range(12):
        attacker.post(
            reverse("account_login"), {"login": "someone", "password": f"wrong-{attempt}"}
        )
    person = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7")
    signed_in = person.post(
        reverse("account_login"), {"login": "john", "password": "correct horse battery staple"}
    )
    assert signed_in.status_code == 302, "another client's failures must not lock this one out"
    person.post(reverse("connected_apps:revoke", args=[johns_apps[0]]))
    assert AuditEvent.objects.outcomes().get().ip_address == "198.51.100.7"


def test_signed_in_pages_are_never_stored_by_a_cache(john_client, sandbox):
    for url in (reverse("connected_apps:list"), reverse("connected_apps:activity")):
        response = john_client.get(url)
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
