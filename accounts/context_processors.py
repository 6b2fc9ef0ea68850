"""Template context every page needs about the signed-in person."""

from __future__ import annotations

from django.http import HttpRequest

from accounts.subjects import developer_for_user


def navigation(request: HttpRequest) -> dict[str, bool]:
    """Show the developer page in the menu only to people who have one."""
    return {"nav_developer": developer_for_user(getattr(request, "user", None)) is not None}
