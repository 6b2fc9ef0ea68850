"""Downloads of a person's data: their connected apps and their activity, as JSON and as CSV.

Both read the first page of apps before answering, so an Authlete that cannot answer gets the
usual error page; the rest is streamed page by page (see services/export.py and the file
formats in views/export_files.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from connected_apps.services import export
from connected_apps.views import export_files
from connected_apps.views.common import HtmxHttpRequest, subject_required


@require_GET
@subject_required()
def export_json(request: HtmxHttpRequest, subject: str) -> HttpResponse:
    start = export.export_start(subject=subject)
    return _download(start, export_files.json_chunks, "application/json", "json")


@require_GET
@subject_required()
def export_csv(request: HtmxHttpRequest, subject: str) -> HttpResponse:
    start = export.export_start(subject=subject)
    return _download(start, export_files.csv_chunks, "text/csv; charset=utf-8", "csv")


def _download(
    start: export.ExportStart,
    chunks: Callable[[export.ExportStart, str], Iterator[str]],
    content_type: str,
    extension: str,
) -> StreamingHttpResponse:
    language = translation.get_language() or "en"
    response = StreamingHttpResponse(
        _in_language(chunks(start, language), language), content_type=content_type
    )
    filename = f"connected-apps-{start.generated_at.date().isoformat()}.{extension}"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    # A person's grants: no browser or proxy may keep a copy (the back button, a shared cache).
    patch_cache_control(response, no_store=True, private=True)
    return response


def _in_language(chunks: Iterator[str], language: str) -> Iterator[str]:
    """The file is written after the view has returned, when the request's language may be gone:
    write it all in the language the person reads."""
    with translation.override(language):
        yield from chunks
