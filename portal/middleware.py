"""Request-wide rules: one Authlete deadline per page, and no caching of a signed-in page."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

from connected_apps import authlete


class AuthleteDeadlineMiddleware:
    """Every Authlete call a request makes shares ``AUTHLETE_DEADLINE``: a page answers within
    it (plus its own work) even when Authlete hangs, instead of once per sequential call."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with authlete.deadline(settings.AUTHLETE_DEADLINE):
            return self.get_response(request)


class NoStoreWhenSignedInMiddleware:
    """Pages for a signed-in person show their grants: no browser or proxy cache may keep them,
    so the back button after signing out on a shared computer shows nothing."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        # A response that says how it may be kept already decided it (an app's logo: private,
        # for a day); the rest say nothing and are never stored.
        signed_in = user is not None and user.is_authenticated
        if signed_in and "Cache-Control" not in response:
            patch_cache_control(response, no_store=True, private=True)
        return response
