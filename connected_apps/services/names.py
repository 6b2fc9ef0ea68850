"""App names as people see them: cleaned of invisible tricks, of bounded length, told apart.

A client's name is written by its developer. Bidirectional overrides can make it render as
another app's name, control characters can hide text, and a name can be many kilobytes long;
every page and the audit trail show names only through ``display_name``.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from connected_apps.services.types import ConnectedApp

# Long enough for any real app name, short enough for a card's heading and a tab's title.
MAX_SHOWN_LENGTH = 80
ELLIPSIS = "…"

# Explicit bidi controls and marks: they reorder or hide what follows them (all are category Cf).
_BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)
# Joiners shape emoji sequences and Persian or Indic words, so they stay in what is shown;
# they are invisible, so comparisons ignore them.
_JOINERS = frozenset("\u200c\u200d")
# Letters that draw nothing (Hangul fillers), used to make a name look blank or like another.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")
# Categories dropped from a name: controls, invisible format characters, line and paragraph
# separators, and code points with no character of their own.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})


def display_name(raw: str, client_id: int | str) -> str:
    """The name to show for a client: cleaned, cut to MAX_SHOWN_LENGTH, or "App <id>"."""
    cleaned = clean_name(raw)
    if not comparison_key(cleaned):
        return _("App %(client_id)s") % {"client_id": client_id}
    return _shorten(cleaned)


def clean_name(raw: str) -> str:
    """The name without bidi controls, control or format characters, with whitespace collapsed."""
    kept = []
    for char in raw:
        if char.isspace():
            # Tabs and line breaks are controls too, but they separate words: keep a space.
            kept.append(" ")
        elif char in _JOINERS:
            kept.append(char)
        elif char in _BIDI_CONTROLS or char in _BLANK_LETTERS:
            continue
        elif unicodedata.category(char) not in _DROPPED_CATEGORIES:
            kept.append(char)
    return " ".join("".join(kept).split())


def comparison_key(name: str) -> str:
    """What two names are compared by: NFKC-normalised and case-folded, invisible parts left out.

    "Inkwell Notes" in full-width letters, "INKWELL NOTES" and "Inkwell Notes" with a hidden
    joiner inside all compare equal to the name they imitate.
    """
    visible = "".join(c for c in clean_name(name) if c not in _JOINERS)
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", visible).casefold())
    return " ".join(folded.split())


def tell_apart(apps: Sequence[ConnectedApp]) -> tuple[ConnectedApp, ...]:
    """Mark the apps of one page whose names look the same, so each card says which is which."""
    keys = [comparison_key(app.name) for app in apps]
    counts = Counter(keys)
    return tuple(
        replace(app, look_alike=True) if counts[key] > 1 else app
        for app, key in zip(apps, keys, strict=True)
    )


def host_of(*uris: str) -> str:
    """The host of the first web address among these: where an app says it lives."""
    for uri in uris:
        try:
            parts = urlsplit(uri)
            host = parts.hostname or ""
        except ValueError:
            continue
        # An app-specific scheme (com.example.app://callback) names no host a person could check.
        if host and parts.scheme.lower() in ("https", "http"):
            return _shorten(clean_name(host))
    return ""


def _shorten(name: str) -> str:
    if len(name) <= MAX_SHOWN_LENGTH:
        return name
    cut = MAX_SHOWN_LENGTH - len(ELLIPSIS)
    # Never part a mark or a joined sequence from the character it belongs to.
    while cut > 1 and (
        unicodedata.category(name[cut]).startswith("M")
        or name[cut] in _JOINERS
        or name[cut - 1] in _JOINERS
    ):
        cut -= 1
    return name[:cut].rstrip() + ELLIPSIS
