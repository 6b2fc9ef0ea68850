"""What the console's views share: the role check, the admin's page context, and the person.

Every console view is wrapped by ``console_view``: it reads the staff member's role once and
answers a kind 403 page when the role does not allow the view, whatever the method.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from connected_apps.staff.find import accounts_for_subject
from connected_apps.staff.roles import Role, role_of

type ConsoleView = Callable[..., HttpResponse]

_FORBIDDEN = "admin/connected_apps/console/forbidden.html"


def console_view(*, acting: bool = False) -> Callable[[ConsoleView], ConsoleView]:
    """Let in staff whose role may see the console (and act, when ``acting``); 403 otherwise.

    The view gets the role as ``request.console_role``, for its templates to show only what the
    role allows; the check here is what enforces it.
    """

    def wrap(view: ConsoleView) -> ConsoleView:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            role = role_of(request.user)
            if not role.can_view or (acting and not role.can_act):
                context = {
                    **console_context(request, role, title=_("Not allowed")),
                    "acting": acting,
                }
                return TemplateResponse(request, _FORBIDDEN, context, status=403)
            request.console_role = role  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        return wrapper

    return wrap


def console_context(request: HttpRequest, role: Role | None = None, **extra: Any) -> dict[str, Any]:
    """The admin's own context (header, theme toggle, sidebar) plus the role."""
    role = role or getattr(request, "console_role", None) or role_of(request.user)
    return {**admin.site.each_context(request), "role": role, **extra}


@dataclass(frozen=True, slots=True)
class Person:
    """Whose apps a console page shows: a subject, and the portal accounts that see it."""

    subject: str
    accounts: tuple[Any, ...]

    @property
    def label(self) -> str:
        """How pages name the person: their username, else the subject itself."""
        return self.accounts[0].get_username() if self.accounts else self.subject

    @property
    def url(self) -> str:
        return reverse("admin:staff_subject", args=[self.subject])


def person_for(subject: str) -> Person:
    return Person(subject=subject, accounts=tuple(accounts_for_subject(subject)))
