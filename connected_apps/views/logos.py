"""The logo of a connected app, as a PNG from the portal's own origin."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from connected_apps.services import logos
from connected_apps.views.common import HtmxHttpRequest, subject_required

# The logo's URL names its source (?v=...), so a browser may keep it: a changed logo is a new URL.
_BROWSER_KEEPS_SECONDS = 24 * 60 * 60


@require_GET
@subject_required()
def app_logo(request: HtmxHttpRequest, subject: str, client_id: int) -> HttpResponse:
    png = logos.connected_app_logo(subject=subject, client_id=client_id)
    if png is None:
        # The page then draws the app's monogram in the image's place.
        raise Http404(_("This app has no logo."))
    response = HttpResponse(png, content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    response["Cache-Control"] = f"private, max-age={_BROWSER_KEEPS_SECONDS}"
    return response
