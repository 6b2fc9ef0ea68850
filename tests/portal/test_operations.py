"""What operators rely on: the Authlete check, which says why it cannot reach the service."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import Sandbox


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
