"""One Authlete deadline for a whole page, however many rounds of calls it makes."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from connected_apps import authlete


class AuthleteDeadlineMiddleware:
    """Every Authlete call a request makes shares ``AUTHLETE_DEADLINE``: a page answers within
    it (plus its own work) even when Authlete hangs, instead of once per sequential call."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with authlete.deadline(settings.AUTHLETE_DEADLINE):
            return self.get_response(request)
