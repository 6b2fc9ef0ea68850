"""The rules every change obeys, asked directly: what the forms and the use cases both enforce."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connected_apps.services.rules import (
    NarrowingProblem,
    kept_in_order,
    narrowing_problem,
    token_expiry_allowed,
    token_max_expiry,
)

HELD = ("openid", "profile", "email")
scope_sets = st.frozensets(st.sampled_from(["openid", "profile", "email", "payments", "admin"]))


@pytest.mark.parametrize(
    ("keep", "problem"),
    [
        (["openid", "email"], None),
        (["openid", "payments"], NarrowingProblem.UNHELD),
        ([], NarrowingProblem.NOTHING_KEPT),
        (["email", "profile", "openid"], NarrowingProblem.NOTHING_REMOVED),
    ],
)
def test_only_a_strict_non_empty_subset_is_a_narrowing(keep, problem):
    assert narrowing_problem(HELD, keep) == problem


@given(held=scope_sets, keep=scope_sets)
def test_whatever_is_asked_an_accepted_narrowing_never_adds_a_scope(held, keep):
    if narrowing_problem(held, keep) is None:
        kept = kept_in_order(sorted(held), keep)
        assert set(kept) < set(held) and kept


def test_kept_scopes_stay_in_the_order_they_are_held():
    assert kept_in_order(HELD, ["email", "openid"]) == ["openid", "email"]


def test_staff_may_shorten_but_extend_only_to_the_lifetime_ceiling(settings):
    settings.PORTAL_TOKEN_MAX_LIFETIME_DAYS = 30
    now = datetime.now(UTC)
    created, current = now - timedelta(days=1), now + timedelta(days=2)
    ceiling = token_max_expiry(created)
    assert ceiling == created + timedelta(days=30)
    assert token_expiry_allowed(current, created, now + timedelta(days=1))
    assert token_expiry_allowed(current, created, ceiling)
    assert not token_expiry_allowed(current, created, ceiling + timedelta(minutes=1))
    assert not token_expiry_allowed(current, created, now - timedelta(minutes=1))


def test_a_token_that_never_expires_can_be_given_any_future_expiry(settings):
    settings.PORTAL_TOKEN_MAX_LIFETIME_DAYS = 30
    far = datetime.now(UTC) + timedelta(days=365)
    assert token_expiry_allowed(None, datetime.now(UTC), far)
