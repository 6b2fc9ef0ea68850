"""Tiers: the operator's word on a scope wins; otherwise its name decides, most weighty first."""

from __future__ import annotations

import pytest

from connected_apps.authlete import parsing
from connected_apps.services.tiers import Tier, by_consequence, tier_of
from connected_apps.services.types import Permission


@pytest.mark.parametrize(
    ("scope", "tier"),
    [
        ("payments.initiate", Tier.ACT),
        ("files.write", Tier.ACT),
        ("mail:send", Tier.ACT),
        ("offline_access", Tier.AWAY),
        ("payments.read", Tier.SEE),
        ("email", Tier.SEE),
        ("openid", Tier.SIGN_IN),
        ("profile", Tier.SIGN_IN),
    ],
)
def test_without_the_operators_word_a_scope_is_tiered_by_its_name(scope, tier):
    assert tier_of(scope, {}) is tier


def test_the_operators_scope_attribute_wins_over_the_name():
    assert tier_of("reports", {"portal.tier": "act"}) is Tier.ACT
    assert tier_of("files.write", {"portal.tier": "see"}) is Tier.SEE
    # An unknown value is ignored rather than guessed at.
    assert tier_of("files.write", {"portal.tier": "extreme"}) is Tier.ACT


def test_the_services_scope_attributes_reach_the_tier():
    service = parsing.service(
        {
            "apiKey": 1,
            "serviceName": "Acme",
            "supportedScopes": [
                {"name": "reports", "attributes": [{"key": "portal.tier", "value": "act"}]}
            ],
        }
    )
    (scope,) = service.scopes
    assert tier_of(scope.name, dict(scope.attributes)) is Tier.ACT


def test_permissions_are_ordered_most_consequential_first_keeping_their_order_otherwise():
    permissions = [
        Permission("openid", "Sign in", Tier.SIGN_IN),
        Permission("email", "See email", Tier.SEE),
        Permission("offline_access", "Stay", Tier.AWAY),
        Permission("files.write", "Change files", Tier.ACT),
        Permission("photos.read", "See photos", Tier.SEE),
    ]
    ordered = [p.scope for p in by_consequence(permissions)]
    assert ordered == ["files.write", "offline_access", "email", "photos.read", "openid"]
