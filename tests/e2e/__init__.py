"""Browser tests: a real Chromium against a live portal and a live Authlete sandbox."""

from __future__ import annotations
