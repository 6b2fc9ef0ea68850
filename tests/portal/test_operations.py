"""What operators rely on: probes, the Authlete check, a production start that refuses danger."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from tests.conftest import Sandbox

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AUTHLETE_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_healthz_answers_without_login():
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_is_ready_when_the_database_and_authlete_answer(sandbox: Sandbox):
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "authlete": "ok"}


@pytest.mark.django_db
def test_readyz_is_unavailable_when_authlete_is_down(sandbox: Sandbox):
    sandbox.fault("status503", path="/service/get", retryAfter=0)
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["authlete"] == "unavailable"


def test_authlete_check_prints_the_service_name(sandbox: Sandbox, capsys):
    call_command("authlete_check")
    out = capsys.readouterr().out
    assert "Acme" in out and "API v3" in out


def test_authlete_check_explains_a_bad_token(settings, sandbox: Sandbox):
    settings.AUTHLETE_SERVICE_TOKEN = "not-the-token"
    with pytest.raises(CommandError, match="AUTHLETE_SERVICE_TOKEN"):
        call_command("authlete_check")


def test_authlete_check_explains_a_wrong_service_id(settings, sandbox: Sandbox):
    settings.AUTHLETE_SERVICE_ID = "1"
    with pytest.raises(CommandError, match="AUTHLETE_SERVICE_ID"):
        call_command("authlete_check")


def test_authlete_check_explains_an_unreachable_authlete(settings):
    settings.AUTHLETE_BASE_URL = "http://127.0.0.1:9"
    with pytest.raises(CommandError, match="unreachable"):
        call_command("authlete_check")


def test_authlete_check_explains_a_timeout(settings, sandbox: Sandbox):
    sandbox.fault("hang", path="/service/get")
    with pytest.raises(CommandError, match="did not answer in time"):
        call_command("authlete_check")
    sandbox.clear_faults()


def test_production_refuses_to_start_on_the_demo_defaults():
    result = _manage("check", DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr and "DJANGO_ALLOWED_HOSTS" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_settings_pass_the_deploy_check_without_warnings():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="x" * 30 + "-a-long-random-production-secret-value",
        DJANGO_ALLOWED_HOSTS="apps.example.com",
        AUTHLETE_SERVICE_ID="1",
        AUTHLETE_SERVICE_TOKEN="t",
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout
