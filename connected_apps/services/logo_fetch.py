"""Fetching an app's logo from its developer's site: public https only, bounded in size and time.

The URL is written by the app's developer, so the portal treats it as hostile: every connection
(redirects included) goes to an address checked just before connecting, and a fetch that drips
or grows is cut off. This is not Authlete, so it does not use the Authlete transport.
"""

from __future__ import annotations

import contextlib
import contextvars
import ipaddress
import socket
import threading
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError

MAX_BYTES = 256 * 1024
# The whole fetch, redirects included: a logo is worth a few seconds of one request, no more.
_DEADLINE_SECONDS = 4.0
_CONNECT_SECONDS = 2.0
_READ_SECONDS = 2.0
_MAX_REDIRECTS = 3
_HEADERS = {
    "Accept": "image/png, image/jpeg, image/gif, image/webp, image/svg+xml",
    # A compressed body could unpack far past MAX_BYTES; logos are small enough to come plain.
    "Accept-Encoding": "identity",
    "User-Agent": "connected-apps-portal (app logo)",
}


class LogoUnavailable(Exception):
    """The logo could not be fetched within the portal's rules."""


class _Deadline:
    """Cuts every connection of one fetch when its time is up, even mid-read of a slow drip."""

    def __init__(self, seconds: float) -> None:
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self.expired = False

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            if self.expired:
                sock.close()
                raise OSError("the logo's time is up")
            self._sockets.append(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                with contextlib.suppress(OSError):  # already closed: nothing left to cut
                    sock.shutdown(socket.SHUT_RDWR)


_current_deadline: contextvars.ContextVar[_Deadline] = contextvars.ContextVar("logo_deadline")


def fetch_logo(url: str) -> bytes:
    """The body at ``url``, after at most a few redirects; LogoUnavailable otherwise."""
    with _Deadline(_DEADLINE_SECONDS) as deadline, requests.Session() as session:
        # No proxy from the environment, no .netrc credentials: only the checked address.
        session.trust_env = False
        adapter = _CheckedAdapter()
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        token = _current_deadline.set(deadline)
        try:
            for _ in range(_MAX_REDIRECTS + 1):
                _check_url(url)
                response = session.get(
                    url,
                    headers=_HEADERS,
                    stream=True,
                    allow_redirects=False,
                    timeout=(_CONNECT_SECONDS, _READ_SECONDS),
                )
                with response:
                    if response.is_redirect:
                        url = urljoin(url, response.headers["Location"])
                        continue
                    body = _body(response)
                if deadline.expired:
                    raise LogoUnavailable("took too long")
                return body
        except requests.RequestException as exc:
            raise LogoUnavailable(str(exc)) from exc
        finally:
            _current_deadline.reset(token)
    raise LogoUnavailable("too many redirects")


def _check_url(url: str) -> None:
    """https anywhere public; plain http only to the hosts PORTAL_LOGO_PRIVATE_HOSTS names."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.username:
        raise LogoUnavailable("not an http(s) URL without credentials")
    if parts.scheme == "http" and not _private_host_allowed(parts.hostname):
        raise LogoUnavailable("plain http")


def _body(response: requests.Response) -> bytes:
    if response.status_code != 200:
        raise LogoUnavailable(f"answered {response.status_code}")
    if response.headers.get("Content-Encoding", "identity").lower() != "identity":
        raise LogoUnavailable("compressed")
    body = bytearray()
    for chunk in response.iter_content(16 * 1024):
        body += chunk
        if len(body) > MAX_BYTES:
            raise LogoUnavailable("too large")
    return bytes(body)


def _private_host_allowed(host: str) -> bool:
    return host.lower() in {h.strip("[]").lower() for h in settings.PORTAL_LOGO_PRIVATE_HOSTS}


def _checked_address(host: str, port: int) -> str:
    """An address of ``host`` the portal may connect to: public, or a host the operator named.

    Checked here, right before connecting to that very address, so a name that resolves anew
    (DNS rebinding) cannot swap in an internal one afterwards.
    """
    allowed = _private_host_allowed(host)
    for *_, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        address = str(sockaddr[0])
        if allowed or _is_public(address):
            return address
    raise OSError(f"{host} resolves only to private addresses")


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class _CheckedConnectionMixin:
    host: str
    port: int
    timeout: float | None

    def _new_conn(self) -> socket.socket:
        try:
            address = _checked_address(self.host, self.port)
            sock = socket.create_connection((address, self.port), timeout=self.timeout)
            _current_deadline.get().watch(sock)
        except OSError as exc:
            raise NewConnectionError(self, f"No logo connection: {exc}") from exc  # type: ignore[arg-type]
        return sock


class _CheckedHTTPConnection(_CheckedConnectionMixin, HTTPConnection):
    pass


class _CheckedHTTPSConnection(_CheckedConnectionMixin, HTTPSConnection):
    pass


class _CheckedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class _CheckedAdapter(HTTPAdapter):
    """Every connection of a logo fetch goes through ``_checked_address``."""

    def init_poolmanager(self, *args: object, **kwargs: object) -> None:
        super().init_poolmanager(*args, **kwargs)  # type: ignore[arg-type]
        self.poolmanager.pool_classes_by_scheme = {
            "http": _CheckedHTTPPool,
            "https": _CheckedHTTPSPool,
        }
