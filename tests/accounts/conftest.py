"""People for the account tests: a local user with a known password."""

from __future__ import annotations

from typing import Any

import pytest

from tests.connected_apps.conftest import make_user

__all__ = ["make_user"]

PASSWORD = "correct horse battery staple"


@pytest.fixture
def john(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user(
        username="john", email="john@example.com", password=PASSWORD
    )
