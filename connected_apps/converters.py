"""URL converters: a client id in a path is a real Authlete client id or no match at all."""

from __future__ import annotations

from django.urls import register_converter


class ClientIdConverter:
    """An Authlete client id: a positive 64-bit integer. A longer number is no client at all,
    so it is not found here rather than reaching a view, the audit or Authlete."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number >= 2**63:
            raise ValueError(value)  # the URL resolver then tries no further: 404
        return number

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(ClientIdConverter, "client_id")
