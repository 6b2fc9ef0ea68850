"""App logos come from the portal's own origin, as plain PNG pixels, and only for one's own apps."""

from __future__ import annotations

import io
import re
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image, PngImagePlugin

from authlete_sandbox.server import SandboxServer
from tests.conftest import Sandbox

pytestmark = pytest.mark.django_db

type Answer = Callable[[BaseHTTPRequestHandler], None]


class LogoHost:
    """A tiny web server standing in for an app developer's site; it notes every path asked."""

    def __init__(self) -> None:
        self.routes: dict[str, Answer] = {}
        self.asked: list[str] = []
        # Connections, whether or not a request followed: a refused address is never dialled.
        self.connections = 0
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                host.asked.append(self.path)
                answer = host.routes.get(self.path)
                if answer is None:
                    self.send_error(404)
                else:
                    answer(self)

            def log_message(self, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def verify_request(self, request: Any, client_address: Any) -> bool:
                host.connections += 1
                return True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def serve(self, path: str, body: bytes, content_type: str = "image/png") -> str:
        def answer(handler: BaseHTTPRequestHandler) -> None:
            handler.send_response(200)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)

        self.routes[path] = answer
        return f"{self.url}{path}"

    def redirect(self, path: str, location: str) -> str:
        def answer(handler: BaseHTTPRequestHandler) -> None:
            handler.send_response(302)
            handler.send_header("Location", location)
            handler.send_header("Content-Length", "0")
            handler.end_headers()

        self.routes[path] = answer
        return f"{self.url}{path}"

    def drip(self, path: str) -> str:
        """A PNG that never finishes: one byte at a time, until the portal hangs up."""

        def answer(handler: BaseHTTPRequestHandler) -> None:
            handler.send_response(200)
            handler.send_header("Content-Type", "image/png")
            handler.end_headers()
            try:
                for byte in png_bytes(64, 64) * 10:
                    handler.wfile.write(bytes([byte]))
                    handler.wfile.flush()
                    time.sleep(0.2)
            except OSError:
                return

        self.routes[path] = answer
        return f"{self.url}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def png_bytes(width: int, height: int, **info: str) -> bytes:
    meta = PngImagePlugin.PngInfo()
    for key, value in info.items():
        meta.add_text(key, value)
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "PNG", pnginfo=meta)
    return out.getvalue()


@pytest.fixture
def logo_host() -> Iterator[LogoHost]:
    host = LogoHost()
    yield host
    host.close()


@pytest.fixture(autouse=True)
def _private_hosts(settings: Any) -> None:
    # The sandbox and the stand-in site both live on 127.0.0.1; nothing else private is allowed.
    settings.PORTAL_LOGO_PRIVATE_HOSTS = ["127.0.0.1"]


@pytest.fixture
def connect_app(sandbox: Sandbox) -> Callable[..., int]:
    """A new app with this logo URI, connected to ``subject`` (john unless said otherwise)."""

    def connect(logo_uri: str, subject: str = "john") -> int:
        body = {
            "clientName": "Pixel Tracker",
            "clientType": "PUBLIC",
            "redirectUris": ["https://tracker.example/callback"],
            "logoUri": logo_uri,
        }
        response = sandbox.api("POST", "/client/create", json=body)
        response.raise_for_status()
        client_id = response.json()["clientId"]
        sandbox.authorize(clientId=client_id, subject=subject, scopes=["email"])
        return client_id

    return connect


def logo_url(client_id: int) -> str:
    return reverse("connected_apps:logo", args=[client_id])


def logo_sources(html: str) -> list[str]:
    """The apps' logos on a page, after checking that every image on it is the portal's own."""
    sources = re.findall(r'<img [^>]*src="([^"]*)"', html)
    assert all(s.startswith("/") and not s.startswith("//") for s in sources), sources
    return re.findall(r'<img class="app-card__logo" src="([^"]*)"', html)


# --- Pages name no other origin ---------------------------------------------------------------


def test_the_apps_page_loads_every_logo_from_the_portal_as_a_png(
    john_client: Client, sandbox: Sandbox, sandbox_server: SandboxServer, johns_apps: list[int]
):
    html = john_client.get(reverse("connected_apps:list")).content.decode()
    sources = logo_sources(html)
    assert sources, "the demo apps all have logos"
    assert sandbox_server.public_url not in html
    for source in sources:
        assert re.fullmatch(r"/apps/\d+/logo\.png\?v=[0-9a-f]{32}", source)
        response = john_client.get(source)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        image = Image.open(io.BytesIO(response.content))
        assert image.format == "PNG" and max(image.size) <= 128


@pytest.mark.parametrize("page", ["detail", "narrow", "revoke"])
def test_an_apps_own_pages_show_its_logo_from_the_portal(
    john_client: Client, sandbox: Sandbox, sandbox_server: SandboxServer, johns_apps, page
):
    client_id = johns_apps[0]
    html = john_client.get(reverse(f"connected_apps:{page}", args=[client_id])).content.decode()
    assert sandbox_server.public_url not in html
    assert [s.split("?")[0] for s in logo_sources(html)] == [logo_url(client_id)]


def test_pages_let_images_come_only_from_the_portal(john_client: Client, sandbox: Sandbox):
    response = john_client.get(reverse("connected_apps:list"))
    csp = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
    # data: is allauth's QR code for a second factor, drawn by the portal itself.
    assert directives["img-src"] == "'self' data:"
    assert "http" not in csp


def test_a_logo_answers_as_an_inert_image_a_browser_may_keep(
    john_client: Client, logo_host: LogoHost, connect_app: Callable[..., int]
):
    client_id = connect_app(logo_host.serve("/logo.png", png_bytes(300, 150, Comment="uid-42")))
    response = john_client.get(logo_url(client_id))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'"
    assert response["Cache-Control"] == "private, max-age=86400"
    image = Image.open(io.BytesIO(response.content))
    assert image.size == (128, 64), "scaled down, its shape kept"
    assert b"uid-42" not in response.content, "only pixels survive, no text the app wrote"


def test_a_logo_is_fetched_once_then_served_from_the_cache(
    john_client: Client, logo_host: LogoHost, connect_app: Callable[..., int]
):
    client_id = connect_app(logo_host.serve("/logo.png", png_bytes(32, 32)))
    first = john_client.get(logo_url(client_id))
    second = john_client.get(logo_url(client_id))
    assert first.content == second.content
    assert logo_host.asked == ["/logo.png"]


# --- Only one's own apps ----------------------------------------------------------------------


def test_a_strangers_app_gets_404_and_its_site_hears_nothing(
    john_client: Client, logo_host: LogoHost, connect_app: Callable[..., int]
):
    alices = connect_app(logo_host.serve("/logo.png", png_bytes(32, 32)), subject="alice")
    assert john_client.get(logo_url(alices)).status_code == 404
    assert john_client.get(logo_url(99_999_999)).status_code == 404
    assert logo_host.asked == []


def test_signed_out_visitors_get_no_logo(client: Client, sandbox: Sandbox, johns_apps):
    response = client.get(logo_url(johns_apps[0]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# --- Bad logos: no logo, and the card shows the monogram --------------------------------------


def _hostile_svg(host: LogoHost) -> bytes:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        'width="64" height="64"><script>alert(document.cookie)</script>'
        '<rect width="64" height="64" fill="#5F3DC4"/>'
        f'<image xlink:href="{host.url}/tracker.png" width="64" height="64"/></svg>'
    ).encode()


def _svg_reading_the_servers_disk(tmp_path: Path) -> bytes:
    secret = tmp_path / "secret.png"
    secret.write_bytes(png_bytes(8, 8))
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">'
        f'<image href="{secret}" width="64" height="64"/></svg>'
    ).encode()


BAD_LOGOS: dict[str, Callable[[LogoHost, Path], str]] = {
    "oversized": lambda host, _: host.serve("/big.png", png_bytes(8, 8) + b"\0" * 300_000),
    "a pdf": lambda host, _: host.serve("/logo.pdf", b"%PDF-1.4\n" + b"x" * 500, "image/png"),
    "a web page": lambda host, _: host.serve("/logo", b"<html><body>Hi</body></html>"),
    "an svg with script and an outside image": lambda host, _: host.serve(
        "/logo.svg", _hostile_svg(host), "image/svg+xml"
    ),
    "an svg naming a file on the portal's disk": lambda host, tmp: host.serve(
        "/disk.svg", _svg_reading_the_servers_disk(tmp), "image/svg+xml"
    ),
    "an endless redirect": lambda host, _: host.redirect("/loop", f"{host.url}/loop"),
}


@pytest.mark.parametrize("kind", BAD_LOGOS)
def test_a_bad_logo_is_no_logo_and_is_not_fetched_again_at_once(
    john_client: Client,
    logo_host: LogoHost,
    connect_app: Callable[..., int],
    tmp_path: Path,
    kind: str,
):
    client_id = connect_app(BAD_LOGOS[kind](logo_host, tmp_path))
    assert john_client.get(logo_url(client_id)).status_code == 404
    asked = list(logo_host.asked)
    assert "/tracker.png" not in asked
    assert len(asked) <= 4, "a few redirects at most"
    assert john_client.get(logo_url(client_id)).status_code == 404
    assert logo_host.asked == asked, "a failure is remembered for a while"


def test_a_logo_that_never_finishes_is_cut_off_within_seconds(
    john_client: Client, logo_host: LogoHost, connect_app: Callable[..., int]
):
    client_id = connect_app(logo_host.drip("/slow.png"))
    started = time.monotonic()
    assert john_client.get(logo_url(client_id)).status_code == 404
    assert time.monotonic() - started < 7


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_redirect_to_another_private_host_is_not_followed(
    john_client: Client, logo_host: LogoHost, connect_app: Callable[..., int], scheme: str
):
    # 127.0.0.1 is allowed; "localhost" is the same machine under a name nobody allowed.
    logo_host.serve("/logo.png", png_bytes(32, 32))
    client_id = connect_app(
        logo_host.redirect("/moved", f"{scheme}://localhost:{logo_host.port}/logo.png")
    )
    assert john_client.get(logo_url(client_id)).status_code == 404
    assert logo_host.asked == ["/moved"]
    assert logo_host.connections == 1, "the private address was never dialled"


def test_a_redirect_within_the_allowed_host_is_followed(
    john_client: Client, logo_host: LogoHost, connect_app: Callable[..., int]
):
    logo_host.serve("/logo.png", png_bytes(32, 32))
    client_id = connect_app(logo_host.redirect("/moved", "/logo.png"))
    assert john_client.get(logo_url(client_id)).status_code == 200
    assert logo_host.asked == ["/moved", "/logo.png"]


def test_in_production_private_addresses_and_plain_http_are_refused(
    settings: Any, john_client: Client, logo_host: LogoHost, connect_app: Callable[..., int]
):
    settings.PORTAL_LOGO_PRIVATE_HOSTS = []
    client_id = connect_app(logo_host.serve("/logo.png", png_bytes(32, 32)))
    https_client = connect_app(f"https://127.0.0.1:{logo_host.port}/logo.png")
    assert john_client.get(logo_url(client_id)).status_code == 404
    assert john_client.get(logo_url(https_client)).status_code == 404
    assert logo_host.connections == 0
