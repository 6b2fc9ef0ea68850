"""How much a permission lets an app do, in four tiers, so pages can put the weightiest first.

The tiers, most consequential first:

- ``Tier.ACT``: can act or spend for you (make payments, change or delete things, send).
- ``Tier.AWAY``: works while you're away (keeps renewing its access without you).
- ``Tier.SEE``: can see something of yours.
- ``Tier.SIGN_IN``: sign-in only (who you are, nothing more).

Where a scope's tier comes from:

1. The operator's word: a scope attribute ``portal.tier`` on the Authlete service, with the value
   ``act``, ``away``, ``see`` or ``sign_in``. It always wins.
2. Otherwise a fallback on the scope's name: ``offline_access`` is AWAY; ``openid`` and
   ``profile`` are SIGN_IN; a name with a part such as ``write``, ``delete``, ``initiate``,
   ``send``, ``admin`` or ``manage`` (parts are split on ``.``, ``:``, ``_``, ``-`` and ``/``)
   is ACT; anything else is SEE.

Use ``tier_of(scope, attributes)`` for one scope and ``by_consequence(permissions)`` to order a
list; ``Tier.rank`` sorts (0 = most consequential).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Protocol

from django.utils.translation import gettext_lazy as _

# The scope attribute an operator sets on the Authlete service to say a scope's tier.
TIER_ATTRIBUTE = "portal.tier"


class Tier(StrEnum):
    ACT = "act"
    AWAY = "away"
    SEE = "see"
    SIGN_IN = "sign_in"

    @property
    def rank(self) -> int:
        """0 for the most consequential tier: sorting by rank puts what matters most first."""
        return list(Tier).index(self)

    @property
    def label(self) -> str:
        return str(_TIER_LABELS[self])


_TIER_LABELS = {
    Tier.ACT: _("Can act or spend for you"),
    Tier.AWAY: _("Works while you’re away"),  # noqa: RUF001
    Tier.SEE: _("Can see"),
    Tier.SIGN_IN: _("Sign-in only"),
}

# Parts of a scope name that mean the app can change, spend or speak for the person.
_ACTING_WORDS = frozenset(
    {
        "admin",
        "create",
        "delete",
        "initiate",
        "manage",
        "modify",
        "pay",
        "post",
        "publish",
        "send",
        "transfer",
        "update",
        "write",
    }
)
_SIGN_IN_SCOPES = frozenset({"openid", "profile"})
_AWAY_SCOPES = frozenset({"offline_access"})
_NAME_PARTS = re.compile(r"[.:_\-/]+")


def tier_of(scope: str, attributes: Mapping[str, str] | None = None) -> Tier:
    """The operator's ``portal.tier`` for this scope if set and known, else the name fallback."""
    stated = (attributes or {}).get(TIER_ATTRIBUTE, "").strip().lower()
    if stated in Tier._value2member_map_:
        return Tier(stated)
    if scope in _AWAY_SCOPES:
        return Tier.AWAY
    if scope in _SIGN_IN_SCOPES:
        return Tier.SIGN_IN
    if _ACTING_WORDS.intersection(_NAME_PARTS.split(scope.lower())):
        return Tier.ACT
    return Tier.SEE


class _Tiered(Protocol):
    @property
    def tier(self) -> Tier: ...


def by_consequence[T: _Tiered](permissions: Iterable[T]) -> tuple[T, ...]:
    """Most consequential first; within a tier, the order they came in (a stable sort)."""
    return tuple(sorted(permissions, key=lambda p: p.tier.rank))


def spends(scope: str) -> bool:
    """Whether the scope's name speaks of money (payments, pay, purchase): "Can make payments"."""
    return any(part.startswith(("pay", "purchase")) for part in _NAME_PARTS.split(scope.lower()))


def tiers_of(permissions: Iterable[_Tiered]) -> frozenset[Tier]:
    """Every tier present among these permissions."""
    return frozenset(p.tier for p in permissions)
