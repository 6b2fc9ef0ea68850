"""App logos served from the portal's own origin, so an app never sees who opens the portal.

The portal fetches a connected app's logo once (``logo_fetch``), keeps only its pixels as a small
PNG, and caches the result: a logo that cannot be had, for whatever reason, is no logo, and the
page shows the app's monogram instead.
"""

from __future__ import annotations

import io
import logging
from xml.etree import ElementTree

import resvg_py
from django.core.cache import cache
from PIL import Image

from connected_apps.services import apps
from connected_apps.services.logo_fetch import LogoUnavailable, fetch_logo

logger = logging.getLogger(__name__)

# Pages show logos at 48 px; twice that and a little more covers sharp screens.
LOGO_SIDE = 128
_RASTER_FORMATS = ("PNG", "JPEG", "GIF", "WEBP")
# A small file may still claim a huge canvas (a decompression bomb); no logo needs more.
_MAX_SOURCE_PIXELS = 4096 * 4096
_KEPT_SECONDS = 24 * 60 * 60
# A logo that failed is tried again sooner: its site may only have been down.
_MISSING_SECONDS = 60 * 60
_NO_LOGO = b""
_SVG_ROOT = "{http://www.w3.org/2000/svg}svg"
# Images an SVG may embed: pixels only. An embedded SVG could itself point elsewhere.
_EMBEDDED_IMAGES = tuple(f"data:image/{kind};" for kind in ("png", "jpeg", "gif", "webp"))


def connected_app_logo(*, subject: str, client_id: int) -> bytes | None:
    """The logo of one of the subject's apps as PNG, or None when it has no usable one.

    Raises AppNotConnected for an app the subject has not connected: nothing is fetched for it.
    """
    app = apps.connected_app_get(subject=subject, client_id=client_id)
    if not app.logo_uri:
        return None
    key = f"logo:{client_id}:{app.logo_digest}"
    png = cache.get(key)
    if png is None:
        png = _logo_png(client_id, app.logo_uri)
        cache.set(key, png or _NO_LOGO, _KEPT_SECONDS if png else _MISSING_SECONDS)
    return png or None


def _logo_png(client_id: int, uri: str) -> bytes | None:
    try:
        body = fetch_logo(uri)
        return _normalised_png(_rasterised_svg(body) if _looks_like_svg(body) else body)
    except Exception as exc:
        # The file is the developer's to write: a decoder may fail in many ways on a hostile
        # one, and every one of them means the card shows the monogram.
        logger.info("No logo for client %s: %s", client_id, exc)
        return None


def _looks_like_svg(body: bytes) -> bool:
    return body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def _rasterised_svg(body: bytes) -> bytes:
    """The SVG drawn as PNG; SVG itself is never served, since it can carry script."""
    text = body.decode("utf-8")
    _refuse_outside_references(text)
    return bytes(resvg_py.svg_to_bytes(svg_string=text, width=LOGO_SIDE, height=LOGO_SIDE))


def _refuse_outside_references(text: str) -> None:
    """Refuse an SVG that points outside itself.

    The renderer would read a referenced file from the portal's own disk into the logo, so
    only references within the SVG and embedded pixels may stay. Entities could spell a
    reference this check cannot see, and logos need none.
    """
    if "<!DOCTYPE" in text.upper() or "<!ENTITY" in text.upper():
        raise LogoUnavailable("SVG with a document type")
    # Without a document type no entity can expand, and expat fetches nothing by itself.
    root = ElementTree.fromstring(text)  # noqa: S314
    if root.tag != _SVG_ROOT:
        raise LogoUnavailable("not an SVG document")
    for element in root.iter():
        for name, value in element.attrib.items():
            if name.rsplit("}", 1)[-1] != "href":
                continue
            reference = value.strip().lower()
            if not reference.startswith(("#", *_EMBEDDED_IMAGES)):
                raise LogoUnavailable("SVG referring to another file")


def _normalised_png(body: bytes) -> bytes:
    """Only the pixels, at most LOGO_SIDE square: no metadata, profile or extra frame survives."""
    with Image.open(io.BytesIO(body), formats=_RASTER_FORMATS) as image:
        if image.width * image.height > _MAX_SOURCE_PIXELS:
            raise LogoUnavailable("image too large")
        image.thumbnail((LOGO_SIDE, LOGO_SIDE))
        pixels = Image.new("RGBA", image.size)
        pixels.paste(image.convert("RGBA"))
    out = io.BytesIO()
    pixels.save(out, "PNG", optimize=True)
    return out.getvalue()
