"""Signed webhook calls: ``Portal-Signature: t=<unix time>,v1=<hex HMAC-SHA256>``.

The HMAC is keyed with ``PORTAL_WEBHOOK_SECRET`` and covers ``<t>.<raw body>``, as Stripe's
webhooks do: the time is signed with the body, so an old call cannot be replayed with a new
time. Several ``v1`` values may be sent (while a secret is being rotated); one must match.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

HEADER = "Portal-Signature"
# A signed call older (or further in the future) than this is refused, whatever its signature.
TOLERANCE_SECONDS = 300


@dataclass(frozen=True, slots=True)
class SignatureProblem(Exception):
    """Why a call's signature is not accepted: a machine code and a sentence for its author."""

    code: str
    description: str


def signature_for(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_verify(*, secret: str, header: str, body: bytes, now: float | None = None) -> None:
    """Raise SignatureProblem unless ``header`` signs ``body`` with ``secret``, recently."""
    timestamp, candidates = _parse(header)
    expected = signature_for(secret, timestamp, body)
    # compare_digest on every candidate: the time taken tells nothing about how close one was.
    matched = [hmac.compare_digest(expected, candidate) for candidate in candidates]
    if not any(matched):
        raise SignatureProblem("invalid_signature", "The signature does not match the body.")
    if abs((time.time() if now is None else now) - timestamp) > TOLERANCE_SECONDS:
        raise SignatureProblem(
            "stale_timestamp",
            f"The signature's time is more than {TOLERANCE_SECONDS} seconds from ours.",
        )


def _parse(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isascii() and value.isdigit() and len(value) <= 12:
            timestamp = int(value)
        elif key == "v1" and len(value) == 64:
            candidates.append(value.lower())
    if not header:
        raise SignatureProblem("missing_signature", f"The {HEADER} header is missing.")
    if timestamp is None or not candidates:
        raise SignatureProblem(
            "malformed_signature", f"The {HEADER} header must read t=<unix time>,v1=<hex>."
        )
    return timestamp, candidates
