"""The rules every change obeys, each in one place: forms and use cases both ask here."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from django.conf import settings

# Pages name a token by this much of its hash: plenty to tell a person's tokens apart, and the
# full identifier Authlete acts on stays off the page.
TOKEN_REF_LENGTH = 16
# What a table shows of a token's hash.
TOKEN_SHORT_LENGTH = 8
# An app not active for this long is flagged for review: access a person has forgotten about is
# access they would not notice being misused.
STALE_AFTER = timedelta(days=90)


class NarrowingProblem(StrEnum):
    """Why a choice of scopes to keep is not a narrowing."""

    UNHELD = "unheld"  # asks to keep (so to add) a scope that is not held
    NOTHING_KEPT = "nothing_kept"  # that is a revoke, not a narrowing
    NOTHING_REMOVED = "nothing_removed"


def narrowing_problem(held: Iterable[str], keep: Iterable[str]) -> NarrowingProblem | None:
    """Scopes are only ever narrowed: ``keep`` must be a strict, non-empty subset of ``held``."""
    held, keep = set(held), set(keep)
    if keep - held:
        return NarrowingProblem.UNHELD
    if not keep:
        return NarrowingProblem.NOTHING_KEPT
    if keep == held:
        return NarrowingProblem.NOTHING_REMOVED
    return None


def kept_in_order(held: Sequence[str], keep: Iterable[str]) -> list[str]:
    """The kept scopes in the order they are held, so pages and the audit read the same."""
    wanted = set(keep)
    return [scope for scope in held if scope in wanted]


def token_ref(access_token_hash: str) -> str:
    return access_token_hash[:TOKEN_REF_LENGTH]


def token_short_hash(access_token_hash: str) -> str:
    """Enough of Authlete's hash to tell tokens apart on a page, never the token itself."""
    return access_token_hash[:TOKEN_SHORT_LENGTH]


def token_max_expiry(created_at: datetime | None) -> datetime:
    """The latest expiry staff may set: the token's issue time plus the configured lifetime."""
    days = settings.PORTAL_TOKEN_MAX_LIFETIME_DAYS
    return (created_at or datetime.now(UTC)) + timedelta(days=days)


def token_expiry_allowed(
    current: datetime | None, created_at: datetime | None, wanted: datetime
) -> bool:
    """A new expiry is in the future, and either sooner than now (a token that never expires
    can only get sooner) or within the ceiling."""
    shorter = current is None or wanted <= current
    return wanted > datetime.now(UTC) and (shorter or wanted <= token_max_expiry(created_at))


def narrowed_token_scopes(token_scopes: Sequence[str], removed: Iterable[str]) -> tuple[str, ...]:
    """What one token keeps when ``removed`` is taken from an app: its own scopes, never more."""
    gone = set(removed)
    return tuple(scope for scope in token_scopes if scope not in gone)


def holds_any(scopes: Iterable[str], removed: Iterable[str]) -> bool:
    return not set(scopes).isdisjoint(removed)
