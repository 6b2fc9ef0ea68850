"""How a person's list index is kept: in the shared cache, with a version, and unpacked once
per worker; and the audit generation that tells when it no longer holds (``services/index.py``).
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.db.models import Max
from django.utils import translation

from connected_apps import authlete
from connected_apps.models import AuditEvent
from connected_apps.services.rules import STALE_AFTER

# The indexes this worker unpacked lately, by cache key: a page of a large account then costs a
# small cache read, not unpacking and sorting thousands of entries. Which version is current is
# always asked of the shared cache first.
_unpacked: OrderedDict[str, AppIndex] = OrderedDict()
_unpacked_lock = threading.Lock()
_UNPACKED_MAX = 64


@dataclass(frozen=True, slots=True)
class IndexedApp:
    """One app as ordering and filters see it; the same rules as ``ConnectedApp``'s."""

    client_id: int
    # The shown name, as names are compared (``names.comparison_key``), in the index's language.
    name_key: str
    can_act: bool
    connected_at: datetime | None
    last_used_at: datetime | None
    # A live refresh token lets it renew itself; until when (None: nothing ends it).
    renews: bool
    renews_until: datetime | None

    @property
    def name(self) -> str:
        return self.name_key

    @property
    def stale(self) -> bool:
        used = self.last_used_at
        return used is not None and datetime.now(UTC) - used >= STALE_AFTER

    @property
    def works_while_away(self) -> bool:
        until = self.renews_until
        return self.renews and (until is None or until > datetime.now(UTC))

    @property
    def review_weight(self) -> int:
        return int(self.can_act) + int(self.stale)


@dataclass(slots=True)
class AppIndex:
    generation: int
    apps: tuple[IndexedApp, ...]
    # The listing's ids while it fits one window (checked again with every page), else None.
    listed_ids: frozenset[int] | None
    # Names this version in the cache, so each worker unpacks a version once.
    version: str = field(default_factory=lambda: uuid.uuid4().hex)
    # Read in this request (a fresh build): every app's tokens and the listing's summaries.
    tokens: dict[int, list[authlete.TokenInfo]] | None = None
    summaries: dict[int, authlete.ClientSummary] = field(default_factory=dict)
    # Each order, worked out once per version and worker: every page of the list shares it.
    orders: dict[str, list[IndexedApp]] = field(default_factory=dict)

    def ordered(
        self, order: str, sort: Callable[[list[IndexedApp]], list[IndexedApp]]
    ) -> list[IndexedApp]:
        """Every app in ``order``, sorted by ``sort`` the first time it is asked for."""
        if order not in self.orders:
            self.orders[order] = sort(list(self.apps))
        return self.orders[order]


def kept(subject: str, generation: int) -> AppIndex | None:
    """The subject's index as kept, if it was built at this generation and has not expired."""
    key = _key(subject)
    current = cache.get(f"{key}:version")
    if current is None or current[0] != generation:
        return None
    with _unpacked_lock:
        local = _unpacked.get(key)
    if local is not None and local.version == current[1]:
        return local
    stored = cache.get(key)
    if stored is None or stored[0] != current[1]:
        return None
    index = AppIndex(generation, tuple(_app(row) for row in stored[2]), stored[1], stored[0])
    _remember(key, index)
    return index


def generation(subject: str) -> int:
    """The subject's latest audit row: it changes with every change attempted, here or by staff."""
    latest = AuditEvent.objects.filter(subject=subject).aggregate(latest=Max("id"))["latest"]
    return latest or 0


def _key(subject: str) -> str:
    # Names are localised, so each language has an index of its own; the subject is hashed to
    # fit any cache's key rules.
    digest = hashlib.sha256(subject.encode()).hexdigest()[:32]
    return f"apps-index:{digest}:{translation.get_language() or settings.LANGUAGE_CODE}"


def keep(subject: str, index: AppIndex) -> None:
    """Share the index through the cache (its version last, once the rows are there), and keep
    it unpacked in this worker."""
    # Plain tuples: a worker unpacks them far faster than pickled dataclasses.
    rows = tuple(
        (
            a.client_id,
            a.name_key,
            a.can_act,
            _ts(a.connected_at),
            _ts(a.last_used_at),
            a.renews,
            _ts(a.renews_until),
        )
        for a in index.apps
    )
    key, seconds = _key(subject), settings.PORTAL_LIST_INDEX_SECONDS
    cache.set(key, (index.version, index.listed_ids, rows), seconds)
    cache.set(f"{key}:version", (index.generation, index.version), seconds)
    _remember(key, AppIndex(index.generation, index.apps, index.listed_ids, index.version))


def _remember(key: str, index: AppIndex) -> None:
    with _unpacked_lock:
        _unpacked[key] = index
        _unpacked.move_to_end(key)
        while len(_unpacked) > _UNPACKED_MAX:
            _unpacked.popitem(last=False)


def _app(row: tuple) -> IndexedApp:
    client_id, name_key, can_act, connected, used, renews, until = row
    return IndexedApp(client_id, name_key, can_act, _dt(connected), _dt(used), renews, _dt(until))


def exact(moment: datetime | None) -> datetime | None:
    """The moment as the cache gives it back, so a fresh read and a kept one compare equal."""
    return _dt(_ts(moment))


def _ts(moment: datetime | None) -> float | None:
    return moment.timestamp() if moment else None


def _dt(stamp: float | None) -> datetime | None:
    return datetime.fromtimestamp(stamp, UTC) if stamp is not None else None
