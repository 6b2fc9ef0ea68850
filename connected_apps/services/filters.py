"""Filters of a person's list of apps: the ones not active lately, the ones that work unattended.

The same filters serve the person's list and the staff console, so what "not active" and "works
while you're away" mean is decided here and on the card (``ConnectedApp.stale``,
``ConnectedApp.works_while_away``), never in a view or a template.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from connected_apps.services.rules import STALE_AFTER

if TYPE_CHECKING:
    from connected_apps.services.types import ConnectedApp


class ListFilter(StrEnum):
    """One way to narrow the list; several together keep only the apps that match them all."""

    STALE = "stale"  # not active for STALE_AFTER: access a person has likely forgotten
    AWAY = "away"  # can renew its own access now (a live refresh token)

    @property
    def label(self) -> str:
        if self is ListFilter.STALE:
            days = STALE_AFTER.days
            return ngettext("Not active in %(days)d day", "Not active in %(days)d days", days) % {
                "days": days
            }
        # The chip's own words, typographic apostrophe included, so both read (and translate) alike.
        return str(_("Works while you’re away"))  # noqa: RUF001

    def matches(self, app: ConnectedApp) -> bool:
        if self is ListFilter.STALE:
            return app.stale
        return app.works_while_away


def parse_filters(values: Iterable[str]) -> tuple[frozenset[ListFilter], tuple[str, ...]]:
    """The filters named in a query string, and whatever it named that is not one (for a clear
    answer rather than a silently wider list)."""
    known: set[ListFilter] = set()
    unknown: list[str] = []
    for value in values:
        try:
            known.add(ListFilter(value))
        except ValueError:
            unknown.append(value[:40])
    return frozenset(known), tuple(unknown)


def matching(apps: Iterable[ConnectedApp], filters: Iterable[ListFilter]) -> list[ConnectedApp]:
    """The apps that match every filter (all of them when there is none)."""
    wanted = tuple(filters)
    return [app for app in apps if all(f.matches(app) for f in wanted)]


def in_order(filters: Iterable[str]) -> tuple[ListFilter, ...]:
    """Filters in one fixed order, so one choice always makes the same link."""
    chosen = set(filters)
    return tuple(f for f in ListFilter if f in chosen)


@dataclass(frozen=True, slots=True)
class FilterOption:
    """One filter as a link: whether it is on, and the query string that turns it on or off."""

    value: str
    label: str
    active: bool
    toggle_params: str


def query_params(query: str, order: str, filters: Iterable[str], page: int | None = None) -> str:
    """The list's state as a query string: search, order (the default left out), filters, page."""
    params: list[tuple[str, str | int]] = []
    if query:
        params.append(("q", query))
    if order and order != "review":
        params.append(("sort", order))
    params += [("filter", f.value) for f in in_order(filters)]
    if page and page > 1:
        params.append(("page", page))
    return urlencode(params)


def filter_options(query: str, order: str, active: Iterable[str]) -> tuple[FilterOption, ...]:
    """Every filter with the link that toggles it, keeping the search and order (not the page:
    a different list starts on its first page)."""
    on = set(in_order(active))
    return tuple(
        FilterOption(
            value=f.value,
            label=f.label,
            active=f in on,
            toggle_params=query_params(query, order, on ^ {f}),
        )
        for f in ListFilter
    )
