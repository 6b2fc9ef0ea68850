"""A production start refuses unsafe settings, and sound ones pass the deploy check cleanly."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# What an operator sets for production, as .env.example describes it.
PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "Jq7v-Zr2Lx9Kp4Wt8Nb3Hc6Md1Fs5Gy0Ue-a-long-random-production-secret",
    "DJANGO_ALLOWED_HOSTS": "apps.example.com",
    "AUTHLETE_API_VERSION": "v3",
    "AUTHLETE_BASE_URL": "https://us.authlete.com",
    "AUTHLETE_SERVICE_ID": "715948317",
    "AUTHLETE_SERVICE_TOKEN": "a-service-access-token",
    "REDIS_URL": "redis://redis.internal:6379/0",
    "GUNICORN_WORKERS": "3",
}


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """manage.py with exactly the deployment settings given, none from the caller's environment."""
    left_out = ("DJANGO_", "AUTHLETE_", "REDIS_URL", "GUNICORN_", "DATABASE_URL")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(left_out)}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _tables(database: Path) -> list[str]:
    if not database.exists():
        return []
    with closing(sqlite3.connect(database)) as db:
        return [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]


def _without(*names: str) -> dict[str, str]:
    return {k: v for k, v in PRODUCTION.items() if k not in names}


def _assert_refused(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode != 0, result.stdout
    for word in words:
        assert word in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_production_settings_pass_the_deploy_check_without_warnings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_on_the_demo_defaults():
    result = _manage("check", DJANGO_DEBUG="0")
    _assert_refused(result, "DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS")


def test_production_refuses_to_start_without_authlete_settings():
    result = _manage("check", **_without("AUTHLETE_BASE_URL", "AUTHLETE_SERVICE_TOKEN"))
    _assert_refused(result, "Authlete API v3 needs AUTHLETE_BASE_URL, AUTHLETE_SERVICE_TOKEN")


def test_production_on_api_v2_asks_for_the_key_and_secret():
    env = {
        **_without("AUTHLETE_SERVICE_ID", "AUTHLETE_SERVICE_TOKEN"),
        "AUTHLETE_API_VERSION": "v2",
    }
    result = _manage("check", **env)
    _assert_refused(result, "Authlete API v2 needs AUTHLETE_API_KEY, AUTHLETE_API_SECRET")


@pytest.mark.parametrize("command", [["check"], ["migrate", "--noinput"]])
def test_several_workers_without_a_shared_cache_are_refused(command: list[str], tmp_path: Path):
    # `migrate` is what the container runs before gunicorn; its database stays untouched.
    database = tmp_path / "portal.sqlite3"
    env = {**_without("REDIS_URL"), "DATABASE_URL": f"sqlite:///{database}"}
    result = _manage(*command, **env)
    _assert_refused(result, "portal.E001", "GUNICORN_WORKERS is 3", "REDIS_URL")
    assert _tables(database) == []


def test_one_worker_may_keep_its_own_cache():
    result = _manage("check", "--deploy", **{**_without("REDIS_URL"), "GUNICORN_WORKERS": "1"})
    assert result.returncode == 0, result.stderr


def test_a_real_host_name_without_django_debug_is_refused():
    result = _manage("check", DJANGO_ALLOWED_HOSTS="apps.example.com")
    _assert_refused(result, "DJANGO_ALLOWED_HOSTS names apps.example.com", "DJANGO_DEBUG=0")


@pytest.mark.parametrize(
    "env",
    [
        {"DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1,[::1]"},
        {"DJANGO_ALLOWED_HOSTS": "demo.example.com", "DJANGO_DEBUG": "1"},
    ],
    ids=["the-local-demo", "a-demo-on-a-named-host-on-purpose"],
)
def test_the_demo_still_starts(env: dict[str, str]):
    result = _manage("check", **env)
    assert result.returncode == 0, result.stderr
