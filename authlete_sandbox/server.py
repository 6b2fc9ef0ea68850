"""The sandbox's HTTP server: Authlete's API with its faults, and the /_sandbox/ paths beside it."""

from __future__ import annotations

import json
import logging
import re
import signal
import socket
import struct
import sys
import threading
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qs, urlsplit

from authlete_sandbox import SERVICE_ID, api, control
from authlete_sandbox.modes import Modes
from authlete_sandbox.store import HANG_SECONDS, ApiError, Store

logger = logging.getLogger("authlete_sandbox")

LOGO_DIR = Path(__file__).resolve().parent / "logos"
_LOGO_PATH = re.compile(r"logos/([a-z0-9-]+)\.svg")

# Request parameters that form-encoded bodies carry as space-separated lists (SPEC).
_FORM_LISTS = ("scopes",)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # The portal fans out a page's calls at once; the default backlog of 5 would drop SYNs.
    request_queue_size = 128
    sandbox: SandboxServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up mid-answer is routine here (timeouts, the hang and reset faults).
        logger.debug("The connection from %s ended abruptly.", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without this, Nagle's algorithm meets the client's
    # delayed ACK and every kept-alive response waits 40 ms.
    disable_nagle_algorithm = True
    server_version = "AuthleteSandbox/1.0"
    # Drops idle keep-alive connections, so no thread waits forever on a silent client.
    timeout = 60

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:
        # The request line only; headers (and so credentials) are never logged.
        logger.info("%s %s", self.address_string(), format % args)

    @property
    def store(self) -> Store:
        return self.server.sandbox.store

    def _handle(self) -> None:
        url = urlsplit(self.path)
        query = {
            key: values[-1] for key, values in parse_qs(url.query, keep_blank_values=True).items()
        }
        raw = self._read_body()
        try:
            if url.path.startswith("/_sandbox/"):
                self._control(url.path, query, raw)
            elif url.path == "/api" or url.path.startswith("/api/"):
                self._authlete(url.path, query, raw)
            else:
                self._send_json(404, {"error": "not_found", "error_description": "No such path."})
        except ConnectionError:
            self.close_connection = True
        except Exception:
            logger.exception("The sandbox failed on %s %s", self.command, url.path)
            self._send_json(500, _error_body(url.path, "A001101", "Authlete Server error."))

    def _read_body(self) -> bytes:
        # Read the whole body before answering, or a kept-alive connection would fall out of step.
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    # --- The Authlete API ---

    def _authlete(self, path: str, query: dict[str, str], raw: bytes) -> None:
        request_id = self.store.log_request(
            method=self.command, path=path, query=query, body=_loggable(raw, self.headers)
        )
        status: int | None = None
        try:
            latency = self.server.sandbox.latency_ms
            if latency:
                time.sleep(latency / 1000)
            for fault in self.store.take_faults(path, self.command):
                if fault["kind"] == "latency":
                    time.sleep((fault["delayMs"] or 0) / 1000)
                    continue
                status = self._fail(fault, path)
                return
            status = self._serve_api(path, query, raw)
        finally:
            self.store.log_status(request_id, status)

    def _serve_api(self, path: str, query: dict[str, str], raw: bytes) -> int:
        matched = api.match(path)
        if matched is None:
            return self._send_json(
                404, _error_body(path, "A001205", "The API path does not exist.")
            )
        route, version, service_id, args = matched
        operation = route.methods.get(self.command)
        if operation is None:
            allowed = ", ".join(route.methods)
            body = _error_body(
                path, "A001206", f"The method {self.command} is not allowed; use {allowed}."
            )
            return self._send_json(405, body, headers={"Allow": allowed})
        # One consistent set of modes for the whole call, even if they change meanwhile.
        modes = self.server.sandbox.modes
        try:
            limited = api.authenticate(
                self.headers.get("Authorization"), version, service_id, route=route, modes=modes
            )
        except ApiError as refused:
            return self._refuse(path, api.GENERAL_API, refused)
        try:
            body = _parse_body(raw, self.headers.get("Content-Type", ""))
            call = api.Call(version, args, {**query, **body}, limited, modes)
            status, response = operation(self.store, call)
        except ApiError as refused:
            return self._refuse(path, route.api, refused)
        if response is None:
            return self._send_empty(status)
        return self._send_json(status, response)

    def _refuse(self, path: str, api_number: int, refused: ApiError) -> int:
        body = _error_body(path, refused.result_code(api_number), refused.message)
        return self._send_json(refused.status, body)

    def _fail(self, fault: dict[str, Any], path: str) -> int | None:
        kind = fault["kind"]
        if kind == "hang":
            delay = fault["delayMs"] / 1000 if fault["delayMs"] is not None else HANG_SECONDS
            self.store.wait_hanging(delay)
            self._drop_connection()
            return None
        if kind == "reset":
            self._drop_connection()
            return None
        if kind == "malformed":
            return self._send(200, b"<html><body>502 Bad Gateway</body></html>", "application/json")
        if kind == "wrong_shape":
            return self._send_json(200, [{"unexpected": "shape"}])
        status, code, message = {
            "status500": (500, "A001101", "Authlete Server error."),
            "status503": (503, "A001102", "Authlete is temporarily unavailable."),
            "status429": (429, "A001207", "Too many requests."),
        }[kind]
        headers = {}
        # Authlete's rate limit documentation (the README of authlete/openapi @ 1ee7c24,
        # "Rate limiting"): past the limit a call answers 429 Too Many Requests; the fault's
        # retryAfter says when to come back, as Retry-After does on any 429 or 503.
        if status in (429, 503) and fault["retryAfter"] is not None:
            headers["Retry-After"] = str(fault["retryAfter"])
        return self._send_json(status, _error_body(path, code, message), headers=headers)

    def _drop_connection(self) -> None:
        # SO_LINGER with a zero timeout makes close() send a TCP reset instead of a clean FIN.
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    # --- The /_sandbox/ paths ---

    def _control(self, path: str, query: dict[str, str], raw: bytes) -> None:
        name = path.removeprefix("/_sandbox/")
        logo = _LOGO_PATH.fullmatch(name)
        if self.command == "GET" and logo:
            self._logo(logo.group(1))
            return
        try:
            body = _parse_body(raw, self.headers.get("Content-Type", ""))
            status, answer = control.respond(
                self.server.sandbox, method=self.command, name=name, query=query, body=body
            )
        except ApiError as refused:
            status, answer = refused.status, control.error(refused.message)
        except ValueError as problem:
            status, answer = 400, control.error(str(problem))
        if answer is None:
            self._send_empty(status)
        else:
            self._send_json(status, answer)

    def _logo(self, name: str) -> None:
        logo = LOGO_DIR / f"{name}.svg"
        if not logo.is_file():
            self._send_json(404, control.error(f"No logo named {name}."))
            return
        cache = {"Cache-Control": "public, max-age=31536000, immutable"}
        self._send(200, logo.read_bytes(), "image/svg+xml", headers=cache)

    # --- Responses ---

    def _send_json(self, status: int, body: Any, *, headers: dict[str, str] | None = None) -> int:
        payload = json.dumps(body, ensure_ascii=False).encode()
        return self._send(status, payload, "application/json;charset=UTF-8", headers=headers)

    def _send_empty(self, status: int) -> int:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()
        return status

    def _send(
        self,
        status: int,
        payload: bytes,
        content_type: str,
        *,
        headers: dict[str, str] | None = None,
    ) -> int:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)
        return status


def _error_body(path: str, code: str, message: str) -> dict[str, str]:
    return {"resultCode": code, "resultMessage": f"[{code}] {path}, {message}"}


def _parse_body(raw: bytes, content_type: str) -> dict[str, Any]:
    """Request parameters from a JSON or form-encoded body (an empty body has none)."""
    if not raw.strip():
        return {}
    if "application/x-www-form-urlencoded" in content_type:
        try:
            form = parse_qs(raw.decode(), keep_blank_values=True, strict_parsing=True)
        except (UnicodeDecodeError, ValueError) as problem:
            raise ApiError(400, "201", "The request body is not a valid form.") from problem
        params: dict[str, Any] = {key: values[-1] for key, values in form.items()}
        for name in _FORM_LISTS:
            if name in params:
                params[name] = params[name].split()
        return params
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as problem:
        raise ApiError(400, "201", "The request body is not valid JSON.") from problem
    if not isinstance(body, dict):
        raise ApiError(400, "201", "The request body must be a JSON object.")
    return body


def _loggable(raw: bytes, headers: Any) -> Any:
    """The body as the request log shows it: parsed when it can be, else the text."""
    try:
        return _parse_body(raw, headers.get("Content-Type", "")) or None
    except ApiError:
        return raw.decode(errors="replace")


# --- The server ----------------------------------------------------------------------------------


class SandboxServer:
    """A sandbox serving in a background thread: ``.start()``, then ``.url``, then ``.stop()``.

    ``modes`` changes some of the modes (authlete_sandbox.modes) from Authlete's documented
    defaults; ``.start_modes`` keeps the modes it started in, ``.modes`` the ones in force.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        db: str = ":memory:",
        seed: str = "empty",
        latency_ms: int = 0,
        *,
        reseed: bool = False,
        public_url: str | None = None,
        modes: Mapping[str, Any] | None = None,
    ) -> None:
        self.seed = seed
        self.latency_ms = latency_ms
        self.start_modes = Modes().changed(modes or {})
        self.modes = self.start_modes
        self._modes_lock = threading.Lock()
        self._httpd = _HTTPServer((host, port), _Handler)
        self._httpd.sandbox = self
        bound_port = self._httpd.server_address[1]
        url_host = "127.0.0.1" if host in ("", "0.0.0.0") else host  # noqa: S104 - a URL, not a bind
        self.url = f"http://{url_host}:{bound_port}"
        # Where browsers find the seeded logos; differs from .url behind a proxy or in a container.
        self.public_url = (public_url or self.url).rstrip("/")
        self.store = Store(db, public_url=self.public_url)
        if reseed or self.store.is_empty():
            control.load_world(self.store, seed)
        self._thread: threading.Thread | None = None

    def change_modes(self, changes: Mapping[str, Any]) -> Modes:
        """Change some modes for the calls that start from now on; ValueError refuses a change."""
        with self._modes_lock:
            self.modes = self.modes.changed(changes)
            return self.modes

    def start(self) -> SandboxServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.store.wake_hanging()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()
        self.store.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def serve(
    *,
    host: str,
    port: int,
    db: str,
    seed: str,
    reseed: bool = False,
    latency_ms: int = 0,
    public_url: str | None = None,
    modes: Mapping[str, Any] | None = None,
    out: IO[str] = sys.stdout,
) -> None:
    """Run a sandbox until Ctrl-C or SIGTERM, announcing its URL on one line, then its modes."""
    server = SandboxServer(
        host, port, db, seed, latency_ms, reseed=reseed, public_url=public_url, modes=modes
    )
    stopping = threading.Event()
    in_main_thread = threading.current_thread() is threading.main_thread()
    if in_main_thread:
        previous = signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    server.start()
    # Announce inside the try: a Ctrl-C sent the moment the URL is read still stops it cleanly.
    try:
        out.write(
            f"Authlete sandbox at {server.url} (service {SERVICE_ID}, db {db}); Ctrl-C stops it.\n"
        )
        settings = " ".join(f"{name}={value}" for name, value in server.modes.as_text().items())
        out.write(f"Modes: {settings}\n")
        out.flush()
        while not stopping.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)
