"""The sandbox's HTTP face: Authlete's API (v3 and v2), faults, and the /_sandbox/ control paths."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import signal
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qs, unquote, urlsplit

from authlete_sandbox import API_KEY, API_SECRET, LIMITED_TOKEN, SERVICE_ID, SERVICE_TOKEN
from authlete_sandbox.store import HANG_SECONDS, ApiError, Store

logger = logging.getLogger("authlete_sandbox")

LOGO_DIR = Path(__file__).resolve().parent / "logos"

# Request parameters that form-encoded bodies carry as space-separated lists (SPEC).
_FORM_LISTS = ("scopes",)


@dataclass
class Call:
    """One Authlete API call after routing and authentication."""

    version: str
    args: tuple[str, ...]
    params: dict[str, Any]
    limited: bool


Operation = Callable[[Store, Call], tuple[int, dict[str, Any] | None]]


@dataclass
class Route:
    pattern: re.Pattern[str]
    api: int  # the API number in result codes ("A" + api + outcome)
    methods: dict[str, Operation]


# --- Authlete operations -------------------------------------------------------------------------


def _service_get(store: Store, call: Call) -> tuple[int, dict[str, Any]]:
    if call.version == "v2" and call.args[0] != SERVICE_ID:
        raise ApiError(403, "215", f"The service (API Key = {call.args[0]}) is not accessible.")
    return 200, store.service(limited=call.limited)


def _client_get(store: Store, call: Call) -> tuple[int, dict[str, Any]]:
    if call.limited:
        raise ApiError(403, "216", "The access token does not have the permission to view clients.")
    return 200, store.client_get(call.args[0])


def _client_list(store: Store, call: Call) -> tuple[int, dict[str, Any]]:
    # A token that may not view clients gets SPEC's limited view of each (contract §5).
    return 200, store.client_list(call.params, limited=call.limited)


def _client_create(store: Store, call: Call) -> tuple[int, dict[str, Any]]:
    # v3 answers 201 and documents 200 as "legacy compatibility", which is what v2 answers.
    return 201 if call.version == "v3" else 200, store.client_create(call.params)


def _authorization_list(store: Store, call: Call) -> tuple[int, dict[str, Any]]:
    # v2 lists full clients; v3 lists SPEC's `client_limited` (contract §3.1).
    return 200, store.authorization_list(call.params, full_clients=call.version == "v2")


def _authorization_update(store: Store, call: Call) -> tuple[int, dict[str, Any]]:
    return 200, store.authorization_update(call.args[0], call.params)


def _authorization_delete(store: Store, call: Call) -> tuple[int, dict[str, Any]]:
    return 200, store.authorization_delete(call.args[0], call.params)


def _granted_scopes_get(store: Store, call: Call) -> tuple[int, dict[str, Any]]:
    return 200, store.granted_scopes_get(call.args[0], call.params)


def _granted_scopes_delete(store: Store, call: Call) -> tuple[int, dict[str, Any]]:
    return 200, store.granted_scopes_delete(call.args[0], call.params)


def _token_list(store: Store, call: Call) -> tuple[int, dict[str, Any]]:
    return 200, store.token_list(call.params, full_clients=call.version == "v2")


def _token_create(store: Store, call: Call) -> tuple[int, dict[str, Any]]:
    return 200, store.token_create(call.params)


def _token_update(store: Store, call: Call) -> tuple[int, dict[str, Any]]:
    return 200, store.token_update(call.params)


def _token_delete(store: Store, call: Call) -> tuple[int, None]:
    store.token_delete(call.args[0])
    return 204, None


def _token_revoke(store: Store, call: Call) -> tuple[int, dict[str, Any]]:
    return 200, store.token_revoke(call.params)


def _introspection(store: Store, call: Call) -> tuple[int, dict[str, Any]]:
    return 200, store.introspect(call.params)


def _registration(operation: str) -> Operation:
    def serve(store: Store, call: Call) -> tuple[int, dict[str, Any]]:
        return 200, getattr(store, operation)(call.params)

    return serve


def _route(path: str, api: int, **methods: Operation) -> Route:
    pattern = re.compile("^" + path.replace("{id}", "([^/]+)") + "$")
    return Route(pattern, api, {method.upper(): operation for method, operation in methods.items()})


# Paths after /api/{serviceId} (v3) or /api (v2). Methods follow the spec, plus POST with a JSON
# body wherever Authlete's own Java and Python clients use it (contract §1). API numbers of the
# operations whose result codes the spec does not show are the sandbox's own.
_V3_SERVICE_GET = _route("/service/get", 41, get=_service_get)
_V2_SERVICE_GET = _route("/service/get/{id}", 41, get=_service_get)
_SHARED_ROUTES = (
    # Before client/get/{id}, which would take "list" for a client ID.
    _route("/client/get/list", 60, get=_client_list),
    _route("/client/get/{id}", 59, get=_client_get),
    _route("/client/create", 61, post=_client_create),
    _route(
        "/client/authorization/get/list", 136, get=_authorization_list, post=_authorization_list
    ),
    _route("/client/authorization/update/{id}", 138, post=_authorization_update),
    _route(
        "/client/authorization/delete/{id}",
        137,
        post=_authorization_delete,
        delete=_authorization_delete,
    ),
    _route(
        "/client/granted_scopes/get/{id}", 139, get=_granted_scopes_get, post=_granted_scopes_get
    ),
    _route(
        "/client/granted_scopes/delete/{id}",
        140,
        delete=_granted_scopes_delete,
        post=_granted_scopes_delete,
    ),
    _route("/auth/token/get/list", 131, get=_token_list),
    _route("/auth/token/create", 109, post=_token_create),
    _route("/auth/token/update", 135, post=_token_update),
    _route("/auth/token/delete/{id}", 133, delete=_token_delete),
    _route("/auth/token/revoke", 312, post=_token_revoke),
    _route("/auth/introspection", 56, post=_introspection),
    _route("/client/registration", 202, post=_registration("registration_create")),
    _route("/client/registration/get", 217, post=_registration("registration_get")),
    _route("/client/registration/update", 213, post=_registration("registration_update")),
    _route("/client/registration/delete", 216, post=_registration("registration_delete")),
)


def _match(path: str) -> tuple[Route, str, str | None, tuple[str, ...]] | None:
    """The route, API version, service ID (v3) and path arguments of an /api/ path."""
    rest = path[len("/api") :]
    head, _, tail = rest.lstrip("/").partition("/")
    # v2 paths never start with a number; v3 paths always start with the service ID.
    if head.isdigit():
        version, service_id, rest = "v3", head, "/" + tail
        candidates = (_V3_SERVICE_GET, *_SHARED_ROUTES)
    else:
        version, service_id = "v2", None
        candidates = (_V2_SERVICE_GET, *_SHARED_ROUTES)
    for route in candidates:
        found = route.pattern.match(rest)
        if found:
            return route, version, service_id, tuple(unquote(arg) for arg in found.groups())
    return None


# --- HTTP ----------------------------------------------------------------------------------------


class _Refused(Exception):
    """Credentials the service turns away, before any operation runs."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


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
        matched = _match(path)
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
        try:
            limited = self._authenticate(version, service_id)
        except _Refused as refused:
            return self._send_json(refused.status, _error_body(path, refused.code, refused.message))
        try:
            body = _parse_body(raw, self.headers.get("Content-Type", ""))
            call = Call(version, args, {**query, **body}, limited)
            status, response = operation(self.store, call)
        except ApiError as refused:
            code = f"A{route.api:03d}{refused.outcome}"
            return self._send_json(refused.status, _error_body(path, code, refused.message))
        if response is None:
            return self._send_empty(status)
        return self._send_json(status, response)

    def _authenticate(self, version: str, service_id: str | None) -> bool:
        """Check the credentials; True when the token may use the service but not view it."""
        header = self.headers.get("Authorization")
        if not header:
            raise _Refused(401, "A001202", "Authorization header is missing.")
        scheme, _, credentials = header.partition(" ")
        scheme, credentials = scheme.lower(), credentials.strip()
        # Authlete's Java client sends "DPoP <token>" instead of "Bearer <token>" when it uses DPoP.
        if scheme in ("bearer", "dpop") and credentials in (SERVICE_TOKEN, LIMITED_TOKEN):
            if service_id is not None and service_id != SERVICE_ID:
                message = f"The access token is not for the service (ID = {service_id})."
                raise _Refused(403, "A001204", message)
            return credentials == LIMITED_TOKEN
        if scheme == "basic" and version == "v2":
            if _basic(credentials) == (API_KEY, API_SECRET):
                return False
            raise _Refused(401, "A001203", "Invalid API key or API secret.")
        if scheme == "basic":
            raise _Refused(401, "A001203", "Invalid access token: API v3 takes a bearer token.")
        raise _Refused(401, "A001203", "Invalid access token.")

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

    # --- Control paths ---

    def _control(self, path: str, query: dict[str, str], raw: bytes) -> None:
        name = path.removeprefix("/_sandbox/")
        logo = re.fullmatch(r"logos/([a-z0-9-]+)\.svg", name)
        if self.command == "GET" and logo:
            self._logo(logo.group(1))
            return
        try:
            status, body = self._control_response(name, query, raw)
        except ApiError as refused:
            status, body = refused.status, _control_error(refused.message)
        except ValueError as problem:
            status, body = 400, _control_error(str(problem))
        if body is None:
            self._send_empty(status)
        else:
            self._send_json(status, body)

    def _control_response(self, name: str, query: dict[str, str], raw: bytes) -> tuple[int, Any]:
        command, store = self.command, self.store
        body = _parse_body(raw, self.headers.get("Content-Type", ""))
        if (command, name) == ("POST", "reset"):
            world = body.get("seed") or self.server.sandbox.seed
            store.reset(world)
            return 200, {"seed": world}
        if (command, name) == ("POST", "authorize"):
            issued = store.authorize(
                client_id=body.get("clientId"),
                subject=body.get("subject"),
                scopes=body.get("scopes"),
                refresh=body.get("refresh", True),
                access_duration=body.get("accessTokenDuration"),
                refresh_duration=body.get("refreshTokenDuration"),
                created_at=body.get("createdAt"),
                last_refreshed_at=body.get("lastRefreshedAt"),
            )
            return 201, issued
        if (command, name) == ("POST", "faults"):
            return 201, store.add_fault(body)
        if (command, name) == ("GET", "faults"):
            return 200, store.faults()
        if (command, name) == ("DELETE", "faults"):
            store.clear_faults()
            return 204, None
        if (command, name) == ("GET", "requests"):
            return 200, store.requests()
        if (command, name) == ("DELETE", "requests"):
            store.clear_requests()
            return 204, None
        if (command, name) == ("GET", "state/tokens"):
            return 200, store.tokens_state(
                subject=query.get("subject"), client_id=query.get("clientId")
            )
        if (command, name) == ("POST", "service"):
            return 200, store.update_service(body)
        return 404, _control_error(f"No control path {command} /_sandbox/{name}.")

    def _logo(self, name: str) -> None:
        logo = LOGO_DIR / f"{name}.svg"
        if not logo.is_file():
            self._send_json(404, _control_error(f"No logo named {name}."))
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


def _control_error(message: str) -> dict[str, str]:
    return {"error": message}


def _error_body(path: str, code: str, message: str) -> dict[str, str]:
    return {"resultCode": code, "resultMessage": f"[{code}] {path}, {message}"}


def _basic(credentials: str) -> tuple[str, str] | None:
    try:
        decoded = base64.b64decode(credentials, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    key, separator, secret = decoded.partition(":")
    return (key, secret) if separator else None


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
    """A sandbox serving in a background thread: ``.start()``, then ``.url``, then ``.stop()``."""

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
    ) -> None:
        self.seed = seed
        self.latency_ms = latency_ms
        self._httpd = _HTTPServer((host, port), _Handler)
        self._httpd.sandbox = self
        bound_port = self._httpd.server_address[1]
        url_host = "127.0.0.1" if host in ("", "0.0.0.0") else host  # noqa: S104 - a URL, not a bind
        self.url = f"http://{url_host}:{bound_port}"
        # Where browsers find the seeded logos; differs from .url behind a proxy or in a container.
        self.public_url = (public_url or self.url).rstrip("/")
        self.store = Store(db, public_url=self.public_url)
        if reseed or self.store.is_empty():
            self.store.reset(seed)
        self._thread: threading.Thread | None = None

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
    out: IO[str] = sys.stdout,
) -> None:
    """Run a sandbox until Ctrl-C or SIGTERM, announcing its URL on one line."""
    server = SandboxServer(host, port, db, seed, latency_ms, reseed=reseed, public_url=public_url)
    stopping = threading.Event()
    in_main_thread = threading.current_thread() is threading.main_thread()
    if in_main_thread:
        previous = signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    server.start()
    out.write(
        f"Authlete sandbox at {server.url} (service {SERVICE_ID}, db {db}); Ctrl-C stops it.\n"
    )
    out.flush()
    try:
        while not stopping.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)
