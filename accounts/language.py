"""The person's language: the footer's choice, saved on their account, wins on every page."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language


def offered(code: str) -> bool:
    """Only the languages the footer lists: Django would also accept their variants."""
    return code in dict(settings.LANGUAGES)


@login_not_required
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's own view (safe `next`, the cookie), plus the choice kept on the account, so it
    follows the person to another browser and to the e-mails the portal sends them."""
    code = request.POST.get("language", "")
    if not offered(code):
        # Not handed to Django's view: it takes any language Django itself has a catalog for.
        messages.error(request, _("That language is not offered; nothing was changed."))
        return redirect(_safe_next(request))
    response = django_set_language(request)
    user = request.user
    if user.is_authenticated and user.language != code:
        user.language = code
        user.save(update_fields=["language"])
    return response


def _safe_next(request: HttpRequest) -> str:
    """Where Django's view would send the person: `next` when it stays on the portal."""
    next_url = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return next_url if safe else "/"


class UserLanguageMiddleware:
    """After LocaleMiddleware: a signed-in person's saved language beats the browser's header
    and a cookie another person left on a shared computer."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        saved = _saved_language(request)
        if saved:
            translation.activate(saved)
            request.LANGUAGE_CODE = saved
        response = self.get_response(request)
        # Read again: this request may have signed the person in or out, or saved a new choice.
        # The cookie follows the account, so the sign-in page after signing out speaks it too.
        saved = _saved_language(request)
        cookie = settings.LANGUAGE_COOKIE_NAME
        if saved and request.COOKIES.get(cookie) != saved and cookie not in response.cookies:
            response.set_cookie(
                cookie,
                saved,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response


def _saved_language(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    return user.language if offered(user.language) else ""
