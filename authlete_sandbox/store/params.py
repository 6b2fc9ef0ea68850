"""Reading the parameters of an Authlete call, refusing with a 400 what Authlete refuses."""

from __future__ import annotations

import re
from typing import Any

from authlete_sandbox.store import BAD_REQUEST, ApiError

_INTEGER = re.compile(r"-?[0-9]+")


def bad_request(message: str) -> ApiError:
    return ApiError(400, BAD_REQUEST, message)


def subject_of(params: dict[str, Any]) -> str:
    subject = params.get("subject")
    if not isinstance(subject, str) or not subject:
        raise bad_request("The request does not contain 'subject'.")
    return subject


def developer_of(params: dict[str, Any]) -> str | None:
    """The developer a list is narrowed to, if any."""
    developer = params.get("developer") or None
    if developer is not None and not isinstance(developer, str):
        raise bad_request("'developer' must be a string.")
    return developer


def string_list(value: Any, name: str) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise bad_request(f"'{name}' must be an array of strings.")
    return list(dict.fromkeys(value))


def property_list(value: Any) -> list[dict[str, Any]] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise bad_request("'properties' must be an array.")
    properties = []
    for item in value:
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("key"), str)
            or not isinstance(item.get("value"), str)
            or not isinstance(item.get("hidden", False), bool)
        ):
            raise bad_request("Each property needs a string 'key' and 'value'.")
        properties.append(
            {"key": item["key"], "value": item["value"], "hidden": item.get("hidden", False)}
        )
    return properties


def optional_int(value: Any, name: str) -> int | None:
    # Query strings and form bodies carry numbers as text: an optional "-", then ASCII digits
    # (str.isdigit() also holds for "³", which int() refuses).
    if isinstance(value, str) and _INTEGER.fullmatch(value):
        return int(value)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request(f"'{name}' must be an integer.")
    return value


def page_of(params: dict[str, Any], *, default_end: int = 5) -> tuple[int, int]:
    """``start`` (inclusive, default 0) and ``end`` (exclusive, default 5 as in SPEC) of a list."""
    start = optional_int(params.get("start"), "start")
    end = optional_int(params.get("end"), "end")
    start = 0 if start is None else start
    end = default_end if end is None else end
    if start < 0 or end < 0:
        raise bad_request("'start' and 'end' must not be negative.")
    return start, max(start, end)
