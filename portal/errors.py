"""The page a person sees when the portal itself fails: still in the portal's shell."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseServerError
from django.template.loader import render_to_string
from django.utils.translation import get_language, get_language_bidi


def server_error(request: HttpRequest) -> HttpResponseServerError:
    """Render 500.html without the request: what failed may be the database or the cache the
    context processors need. The page's language is all it takes from the request."""
    context = {"LANGUAGE_CODE": get_language(), "LANGUAGE_BIDI": get_language_bidi()}
    return HttpResponseServerError(render_to_string("500.html", context))
