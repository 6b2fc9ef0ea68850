"""Whether an app can renew its own access while the person is away, and until when.

An app renews itself with a live refresh token, whatever scopes it was granted: that, not the
``offline_access`` permission alone, is what lets it keep working without the person. The date
shown is the latest expiry among its live refresh tokens; a refresh token without an expiry
means the renewal has no end date.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from connected_apps import authlete


@dataclass(frozen=True, slots=True)
class Renewal:
    """The app can renew its access without the person; ``until`` is None when nothing ends it."""

    until: datetime | None


def token_renews(token: authlete.TokenInfo, now: datetime) -> bool:
    """The token carries a refresh token that still works."""
    expires = token.refresh_token_expires_at
    return bool(token.refresh_token_hash) and (expires is None or expires > now)


def renewal_of(tokens: Iterable[authlete.TokenInfo], now: datetime) -> Renewal | None:
    """Until when the app can keep renewing itself through these tokens; None if it cannot."""
    renewing = [t for t in tokens if token_renews(t, now)]
    if not renewing:
        return None
    ends = [t.refresh_token_expires_at for t in renewing]
    if any(end is None for end in ends):
        return Renewal(until=None)
    return Renewal(until=max(end for end in ends if end is not None))
