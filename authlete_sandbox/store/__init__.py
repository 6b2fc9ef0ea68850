"""The sandbox's state in SQLite: the Store, its transactions, the service, faults, request log."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# Outcome digits of a result code ("A" + API number + these). The first digit is Authlete's
# category: 2 = the caller's mistake, 3 = the client application's (or its token's) problem.
BAD_REQUEST = "201"
CLIENT_NOT_FOUND = "204"
TOKEN_NOT_FOUND = "205"  # noqa: S105 - a result code, not a secret
CONFLICT = "206"
FORBIDDEN = "215"

FAULT_KINDS = (
    "latency",
    "status500",
    "status503",
    "status429",
    "hang",
    "malformed",
    "wrong_shape",
    "reset",
)
HANG_SECONDS = 30.0

# What a caller without the right to view the service gets.
LIMITED_SERVICE_FIELDS = ("apiKey", "description", "number", "serviceName")

_TABLES = ("service", "clients", "tokens", "granted_scopes", "faults", "requests")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS service (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS clients (
    client_id INTEGER PRIMARY KEY,
    number INTEGER NOT NULL UNIQUE,
    alias TEXT UNIQUE,
    developer TEXT,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_id TEXT NOT NULL UNIQUE,
    access_token_hash TEXT NOT NULL UNIQUE,
    refresh_token_hash TEXT UNIQUE,
    client_id INTEGER NOT NULL,
    subject TEXT,
    grant_type TEXT NOT NULL,
    scopes TEXT NOT NULL,
    refresh_scopes TEXT NOT NULL,
    properties TEXT NOT NULL,
    access_token_expires_at INTEGER NOT NULL,
    refresh_token_expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    last_refreshed_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS tokens_by_subject ON tokens (subject, client_id);
CREATE INDEX IF NOT EXISTS tokens_by_client ON tokens (client_id, id);
CREATE TABLE IF NOT EXISTS granted_scopes (
    client_id INTEGER NOT NULL,
    subject TEXT NOT NULL,
    latest TEXT NOT NULL,
    merged TEXT NOT NULL,
    modified_at INTEGER NOT NULL,
    PRIMARY KEY (client_id, subject)
);
CREATE TABLE IF NOT EXISTS faults (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    path TEXT NOT NULL,
    method TEXT,
    kind TEXT NOT NULL,
    delay_ms INTEGER,
    retry_after INTEGER,
    times INTEGER
);
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    query TEXT NOT NULL,
    body TEXT,
    status INTEGER,
    at INTEGER NOT NULL
);
"""


class ApiError(Exception):
    """A call the service refuses: the HTTP status, the outcome digits of the result code, why."""

    def __init__(self, status: int, outcome: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.outcome = outcome
        self.message = message

    def result_code(self, api: int) -> str:
        """The result code this refusal has when the API numbered ``api`` answers it."""
        return f"A{api:03d}{self.outcome}"


def now_ms() -> int:
    return int(time.time() * 1000)


def token_hash(value: str) -> str:
    """Base64url SHA-256 without padding: the 43-character form Authlete shows for tokens."""
    digest = hashlib.sha256(value.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def new_token_value() -> str:
    return secrets.token_urlsafe(32)


def dump(value: Any) -> str:
    """JSON for a TEXT column."""
    return json.dumps(value, ensure_ascii=False)


def result(code: str, message: str, **fields: Any) -> dict[str, Any]:
    """An Authlete answer: its result code and message, then the operation's own fields."""
    return {"resultCode": code, "resultMessage": f"[{code}] {message}", **fields}


class Store:
    """All the sandbox's state: one SQLite connection, shared by the threads under a lock."""

    def __init__(
        self, path: str = ":memory:", *, public_url: str = "http://127.0.0.1:8765"
    ) -> None:
        self.public_url = public_url.rstrip("/")
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.executescript(_SCHEMA)
        _upgrade(self._db)
        # Hanging requests wait on this; a new generation (faults cleared, wipe, close) wakes them.
        self._wake = threading.Condition()
        self._generation = 0

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """A transaction; other threads wait for the store until it ends."""
        with self._lock, self._db:
            yield self._db

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Keep every other thread waiting while the caller takes several steps."""
        with self._lock:
            yield

    def close(self) -> None:
        self.wake_hanging()
        with self._lock:
            self._db.close()

    # --- Lifecycle -------------------------------------------------------------------------------

    def is_empty(self) -> bool:
        with self.tx() as db:
            return db.execute("SELECT 1 FROM service").fetchone() is None

    def wipe(self) -> None:
        """Delete everything: the service, clients, tokens, faults and the request log."""
        with self.tx() as db:
            for table in _TABLES:
                db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
        self.wake_hanging()

    # --- Service ---------------------------------------------------------------------------------

    def install_service(self, service: dict[str, Any]) -> None:
        with self.tx() as db:
            db.execute("INSERT OR REPLACE INTO service (id, data) VALUES (1, ?)", (dump(service),))

    def update_service(self, changes: dict[str, Any]) -> dict[str, Any]:
        with self.tx() as db:
            service = {**read_service(db), **changes, "modifiedAt": now_ms()}
            db.execute("UPDATE service SET data = ?", (dump(service),))
            return service

    def service(self, *, limited: bool = False) -> dict[str, Any]:
        with self.tx() as db:
            service = read_service(db)
        if limited:
            return {key: service[key] for key in LIMITED_SERVICE_FIELDS if key in service}
        return service

    # --- Faults ----------------------------------------------------------------------------------

    def add_fault(self, spec: dict[str, Any]) -> dict[str, Any]:
        kind = spec.get("kind")
        if kind not in FAULT_KINDS:
            raise ValueError(f"'kind' must be one of {', '.join(FAULT_KINDS)}")
        path = spec.get("path") or ""
        method = spec.get("method") or None
        numbers = {name: spec.get(name) for name in ("delayMs", "retryAfter", "times")}
        for name, value in numbers.items():
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 0
            ):
                raise ValueError(f"'{name}' must be a non-negative integer")
        if not isinstance(path, str) or not (method is None or isinstance(method, str)):
            raise ValueError("'path' and 'method' must be strings")
        with self.tx() as db:
            fault_id = db.execute(
                "INSERT INTO faults (path, method, kind, delay_ms, retry_after, times)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (path, method.upper() if method else None, kind, *numbers.values()),
            ).lastrowid
            return _fault_view(
                db.execute("SELECT * FROM faults WHERE id = ?", (fault_id,)).fetchone()
            )

    def faults(self) -> list[dict[str, Any]]:
        with self.tx() as db:
            return [_fault_view(row) for row in db.execute("SELECT * FROM faults ORDER BY id")]

    def clear_faults(self) -> None:
        with self.tx() as db:
            db.execute("DELETE FROM faults")
        self.wake_hanging()

    def take_faults(self, path: str, method: str) -> list[dict[str, Any]]:
        """The faults for this request, in order, using up one of each one's ``times``.

        Latency faults add up; the first fault of any other kind decides the answer.
        """
        taken = []
        with self.tx() as db:
            for row in db.execute("SELECT * FROM faults ORDER BY id").fetchall():
                if row["path"] not in path or (row["method"] and row["method"] != method):
                    continue
                if row["times"] is not None:
                    if row["times"] <= 1:
                        db.execute("DELETE FROM faults WHERE id = ?", (row["id"],))
                    else:
                        db.execute("UPDATE faults SET times = times - 1 WHERE id = ?", (row["id"],))
                taken.append(_fault_view(row))
                if row["kind"] != "latency":
                    break
        return taken

    def wait_hanging(self, seconds: float) -> None:
        """Sleep like a hung server; wake early when faults are cleared, state wiped, or we stop."""
        with self._wake:
            generation = self._generation
            self._wake.wait_for(lambda: self._generation != generation, timeout=seconds)

    def wake_hanging(self) -> None:
        with self._wake:
            self._generation += 1
            self._wake.notify_all()

    # --- Request log -----------------------------------------------------------------------------

    def log_request(self, *, method: str, path: str, query: dict[str, Any], body: Any) -> int:
        with self.tx() as db:
            return db.execute(
                "INSERT INTO requests (method, path, query, body, at) VALUES (?, ?, ?, ?, ?)",
                (method, path, dump(query), dump(body), now_ms()),
            ).lastrowid

    def log_status(self, request_id: int, status: int | None) -> None:
        with self.tx() as db:
            db.execute("UPDATE requests SET status = ? WHERE id = ?", (status, request_id))

    def requests(self) -> list[dict[str, Any]]:
        with self.tx() as db:
            return [
                {
                    "method": row["method"],
                    "path": row["path"],
                    "query": json.loads(row["query"]),
                    "body": json.loads(row["body"]),
                    "status": row["status"],
                    "at": row["at"],
                }
                for row in db.execute("SELECT * FROM requests ORDER BY id")
            ]

    def clear_requests(self) -> None:
        with self.tx() as db:
            db.execute("DELETE FROM requests")


def _upgrade(db: sqlite3.Connection) -> None:
    """Bring a database file that an earlier sandbox wrote up to this schema."""
    columns = {row["name"] for row in db.execute("PRAGMA table_info(tokens)")}
    if "refresh_scopes" not in columns:
        # Refresh-token scopes were kept apart later; until then they were the access scopes.
        with db:
            db.execute("ALTER TABLE tokens ADD COLUMN refresh_scopes TEXT NOT NULL DEFAULT '[]'")
            db.execute("UPDATE tokens SET refresh_scopes = scopes")


def read_service(db: sqlite3.Connection) -> dict[str, Any]:
    """The service, inside a transaction; every operation needs it configured."""
    row = db.execute("SELECT data FROM service").fetchone()
    if row is None:
        raise ApiError(500, "101", "The service is not configured.")
    return json.loads(row["data"])


def supported_scopes(db: sqlite3.Connection) -> list[str]:
    return [scope["name"] for scope in read_service(db).get("supportedScopes", [])]


def _fault_view(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "path": row["path"],
        "method": row["method"],
        "kind": row["kind"],
        "delayMs": row["delay_ms"],
        "retryAfter": row["retry_after"],
        "times": row["times"],
    }
