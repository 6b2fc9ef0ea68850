"""The deep Authlete check: which sandbox mode each of a service's uncertain behaviours matches.

Each behaviour is one of docs/authlete-behaviours.md that a mode of the sandbox models
(authlete_sandbox/modes.py). The checks work on a throwaway client and subject made for the run,
and delete what they made whatever happens.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from connected_apps import authlete
from connected_apps.authlete.probe import ProbeClient, probe_client

OK = "ok"
SKIPPED = "skipped"
MISMATCH = "MISMATCH"

# What the throwaway client and subject are called, with a random tail each run.
NAME = "authlete-check"
_REDIRECT_URI = "https://authlete-check.invalid/callback"
# Scopes with effects of their own on what Authlete issues; others are preferred for the tokens.
_SPECIAL_SCOPES = ("openid", "offline_access")
# Authlete KB "Getting a list of issued access tokens": "end" - "start" > 20 is an error.
_DOCUMENTED_CAP = 20
_OWNER_SETTINGS = "AUTHLETE_SERVICE_OWNER_API_KEY/_SECRET"


@dataclass(frozen=True, slots=True)
class Finding:
    """What one check found, the sandbox mode it matches, and whether the portal copes with it."""

    behaviour: str
    found: str
    mode: str = ""  # name=value, as `python -m authlete_sandbox --mode` takes it
    status: str = OK  # OK, SKIPPED, or MISMATCH: the portal cannot work around it

    @property
    def line(self) -> str:
        mode = f" (mode {self.mode})" if self.mode else ""
        return f"{self.behaviour}: {self.found}{mode} ... {self.status}"


def behaviours_check(*, report: Callable[[Finding], None]) -> bool:
    """Check every behaviour on the configured service, one finding each; False on a mismatch.

    An AuthleteError before anything is made (wrong credentials, unreachable) is raised as is.
    """
    probe = probe_client()
    try:
        run = _Run(probe, subject=f"{NAME}-{secrets.token_hex(6)}")
        _check_access(run)
        return _run_checks(run, report)
    finally:
        probe.close()


# --- The run ------------------------------------------------------------------------------------


class _Found(NamedTuple):
    found: str
    mode: str = ""
    status: str = OK


class _Skipped(Exception):
    """A check cannot run because an earlier one could not give it what it needs."""


class _Unexplained(Exception):
    """Authlete answered in a way no mode explains."""


@dataclass
class _Run:
    probe: ProbeClient
    subject: str
    scopes: tuple[str, ...] | None = None  # the service's, once read
    client_id: int | None = None
    token_list_served: bool | None = None
    refresh_token_issued: bool | None = None  # None: no token issued

    def client(self) -> int:
        if self.client_id is None:
            raise _Skipped("no throwaway client")
        return self.client_id

    def require_token(self, *, with_refresh: bool = False) -> None:
        if self.refresh_token_issued is None:
            raise _Skipped("no token was issued")
        if with_refresh and not self.refresh_token_issued:
            raise _Skipped("the service issued no refresh token")

    def listed_token(self) -> authlete.TokenInfo:
        """The one token of the throwaway pair, as the token list shows it."""
        if not self.token_list_served:
            raise _Skipped("the token list is not served")
        page = self.probe.token_list(subject=self.subject, client_id=self.client(), end=5)
        if len(page.tokens) != 1:
            raise _Unexplained(f"the token list shows {len(page.tokens)} tokens, not 1")
        return page.tokens[0]

    def narrow(self, scopes: list[str]) -> tuple[str, ...]:
        """Set the pair's scopes with client/authorization/update; the token's scopes after."""
        self.require_token()
        self.probe.authorization_update(
            client_id=self.client(), subject=self.subject, scopes=scopes
        )
        return self.listed_token().scopes


def _check_access(run: _Run) -> None:
    """A read every configuration must allow, so wrong credentials stop the run before it starts."""
    if run.probe.api_version == "v3":
        run.probe.service_get()
    else:
        # v2 service/get may take other credentials: that is a check of its own.
        run.probe.authorization_list(subject=run.subject, start=0, end=1)


def _run_checks(run: _Run, report: Callable[[Finding], None]) -> bool:
    matched = True
    try:
        for behaviour, check in _CHECKS:
            try:
                found = check(run)
            except _Skipped as skipped:
                found = _Found(str(skipped), status=SKIPPED)
            except _Unexplained as problem:
                found = _Found(f"{problem}, which no mode explains", status=MISMATCH)
            except authlete.AuthleteError as exc:
                found = _Found(f"{_said(exc)}, which no mode explains", status=MISMATCH)
            matched &= found.status != MISMATCH
            report(Finding(behaviour, *found))
    finally:
        found = _clean_up(run)
        matched &= found.status != MISMATCH
        report(Finding("clean-up", *found))
    return matched


# --- The checks, in the order they run ----------------------------------------------------------


def _v2_service_credentials(run: _Run) -> _Found:
    if run.probe.api_version == "v3":
        return _Found("API v3 reads the service with its access token", status=SKIPPED)
    try:
        run.probe.service_get_with_service_credentials()
    except authlete.AuthleteCredentialsError as exc:
        if exc.status != 401:
            raise
    else:
        return _Found("takes the service's own key and secret", "v2_owner_credentials=off")
    mode = "v2_owner_credentials=on"
    if not run.probe.owner_credentials_configured:
        return _Found(f"takes the owner's key and secret; set {_OWNER_SETTINGS}", mode, MISMATCH)
    try:
        run.probe.service_get()
    except authlete.AuthleteCredentialsError:
        return _Found(
            f"takes the owner's key and secret; it refused {_OWNER_SETTINGS}", mode, MISMATCH
        )
    return _Found(f"takes the owner's key and secret, as {_OWNER_SETTINGS} hold", mode)


def _service(run: _Run) -> _Found:
    try:
        service = run.probe.service_get()
    except authlete.AuthleteCredentialsError as exc:
        raise _Skipped(f"service/get refused the credentials (HTTP {exc.status})") from None
    run.scopes = tuple(scope.name for scope in service.scopes)
    if service.limited:
        return _Found(f"{service.name!r}, limited view: the token may not view the service")
    return _Found(f"{service.name!r}, {len(service.scopes)} scopes")


def _client(run: _Run) -> _Found:
    created = run.probe.client_create(
        name=f"{NAME} (throwaway)",
        description=f"Made by manage.py authlete_check --deep for {run.subject}; deleted after.",
        grant_types=["AUTHORIZATION_CODE", "REFRESH_TOKEN"],
        redirect_uris=[_REDIRECT_URI],
    )
    run.client_id = created.client_id
    try:
        run.probe.client_get(created.client_id)
    except authlete.AuthleteCredentialsError as exc:
        found = f"created {created.client_id}; client/get refused (HTTP {exc.status}): the token"
        return _Found(f"{found} may not view clients", status=MISMATCH)
    return _Found(f"created {created.client_id} and read it back")


def _token_list(run: _Run) -> _Found:
    try:
        run.probe.token_list(subject=run.subject, client_id=run.client(), start=0, end=1)
    except authlete.AuthleteCredentialsError as exc:
        if exc.status != 403:
            raise
        run.token_list_served = False
        return _Found(f"refused (HTTP {exc.status})", "token_list=refused")
    run.token_list_served = True
    return _Found("served", "token_list=available")


def _token_list_window(run: _Run) -> _Found:
    if not run.token_list_served:
        raise _Skipped("the token list is not served")
    if _window_served(run, _DOCUMENTED_CAP + 1):
        return _Found(f"a window of {_DOCUMENTED_CAP + 1} is served: no cap", "token_list_cap=off")
    # The window of 1 was served; find the largest, starting from the documented cap.
    served, refused = 1, _DOCUMENTED_CAP + 1
    if _window_served(run, _DOCUMENTED_CAP):
        served = _DOCUMENTED_CAP
    while refused - served > 1:
        middle = (served + refused) // 2
        served, refused = (middle, refused) if _window_served(run, middle) else (served, middle)
    return _Found(f"capped at {served}", f"token_list_cap={served}")


def _window_served(run: _Run, size: int) -> bool:
    try:
        run.probe.token_list(subject=run.subject, client_id=run.client(), start=0, end=size)
    except authlete.AuthleteRejected as exc:
        if _refused_with(exc, 400):
            return False
        raise
    return True


def _token(run: _Run) -> _Found:
    client_id = run.client()
    if run.scopes is None:
        raise _Skipped("the service's scopes are unknown")
    usable = [scope for scope in run.scopes if scope not in _SPECIAL_SCOPES] or list(run.scopes)
    if len(usable) < 2:
        raise _Skipped(f"the service view lists {len(run.scopes) or 'no'} scopes, not two")
    issued = run.probe.token_create(client_id=client_id, subject=run.subject, scopes=usable[:2])
    if issued.action != "OK":
        raise _Unexplained(f"token/create answered {issued.action} ({issued.result_code})")
    run.scopes = issued.scopes
    run.refresh_token_issued = issued.refresh_token_issued
    refresh = "and a refresh token" if issued.refresh_token_issued else "and no refresh token"
    return _Found(f"issued with scopes {' '.join(issued.scopes)} {refresh}")


def _refresh_scopes(run: _Run) -> _Found:
    run.require_token(with_refresh=True)
    issued = run.scopes or ()
    if run.narrow(list(issued[:1])) != issued[:1]:
        raise _Unexplained("client/authorization/update did not narrow the token")
    after = run.listed_token().refresh_token_scopes
    if set(after) == set(issued):
        return _Found("they stay as issued", "refresh_scopes=stay")
    if tuple(after) == issued[:1]:
        return _Found("they follow the access token's", "refresh_scopes=follow")
    raise _Unexplained(f"refresh-token scopes became {' '.join(after) or 'none'}")


def _scope_filtering(run: _Run) -> _Found:
    unknown = f"{NAME}-unknown-{secrets.token_hex(4)}"
    kept = (run.scopes or ())[:1]
    after = run.narrow([*kept, unknown])
    if unknown in after:
        return _Found("an unknown scope is stored as given", "scope_filtering=off")
    if tuple(after) == kept:
        return _Found("an unknown scope is dropped", "scope_filtering=on")
    raise _Unexplained(f"the token's scopes became {' '.join(after) or 'none'}")


def _granted_scopes(run: _Run) -> _Found:
    try:
        run.probe.granted_scopes_get(client_id=run.client(), subject=run.subject)
    except authlete.AuthleteCredentialsError as exc:
        if exc.status != 403:
            raise
        return _Found("client/granted_scopes/get refused (HTTP 403)", "server=shared")
    return _Found("client/granted_scopes/get served", "server=dedicated")


def _unknown_ids(run: _Run) -> _Found:
    # Authlete's client IDs have 14 digits and its tokens are random: neither of these exists.
    client_id = 10**13 + secrets.randbelow(9 * 10**13)
    token = f"{NAME}-{secrets.token_urlsafe(24)}"
    try:
        client = _status_of(lambda: run.probe.client_get(client_id))
    except authlete.AuthleteCredentialsError as exc:
        raise _Skipped(f"client/get refused (HTTP {exc.status})") from None
    token_status = _status_of(lambda: run.probe.token_delete(token_identifier=token))
    if client != token_status:
        raise _Unexplained(f"client/get answers {client} and auth/token/delete {token_status}")
    return _Found(f"{client} for a client and a token that do not exist", f"unknown_id={client}")


def _status_of(call: Callable[[], object]) -> int:
    """The status of a call on something that does not exist: 404 or 400, else unexplained."""
    try:
        call()
    except authlete.AuthleteRejected as exc:
        if _refused_with(exc, 404, 400):
            return exc.status
        raise
    raise _Unexplained("Authlete found something that does not exist")


def _refused_with(exc: authlete.AuthleteRejected, *statuses: int) -> bool:
    """Refused with one of these statuses, for a reason other than our credentials."""
    return exc.status in statuses and not isinstance(exc, authlete.AuthleteCredentialsError)


def _said(exc: authlete.AuthleteError) -> str:
    """What Authlete answered, for a finding: the operation, the HTTP status, the result code."""
    return str(exc).rstrip(".")


_CHECKS: tuple[tuple[str, Callable[[_Run], _Found]], ...] = (
    ("v2 service/get credentials", _v2_service_credentials),
    ("service", _service),
    ("throwaway client", _client),
    ("token list", _token_list),
    ("token list window", _token_list_window),
    ("throwaway token", _token),
    ("refresh-token scopes after an update", _refresh_scopes),
    ("unknown scopes in an update", _scope_filtering),
    ("granted scopes", _granted_scopes),
    ("unknown client or token", _unknown_ids),
)


# --- Clean-up -----------------------------------------------------------------------------------


def _clean_up(run: _Run) -> _Found:
    """Delete the throwaway pair's tokens, then the client; say what is left if anything is."""
    if run.client_id is None:
        return _Found("nothing was created")
    done = []
    try:
        deleted = run.probe.authorization_delete(client_id=run.client_id, subject=run.subject)
        count = deleted.token_count
        tokens = "the tokens" if count is None else f"{count} token{'' if count == 1 else 's'}"
        done.append(f"{tokens} of subject {run.subject}")
        run.probe.client_delete(run.client_id)
        done.append(f"client {run.client_id}")
    except authlete.AuthleteError as exc:
        gone = f"deleted {' and '.join(done)}; " if done else ""
        left = f"client {run.client_id} and subject {run.subject}"
        return _Found(f"{gone}{_said(exc)}: delete {left} by hand", status=MISMATCH)
    return _Found(f"deleted {' and '.join(done)}")
