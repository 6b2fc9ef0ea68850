"""Every page of the portal, rendered in French and in Japanese, has no English left on it.

Pages render through Django's test client against the sandbox, each for a person who chose the
language (or, signed out, with the language cookie). What remains in Latin letters must be data
the page shows as it is: app names, scope codes, people's names, the brand.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from authlete_sandbox import seed as demo
from connected_apps.models import ConfirmedDeveloper
from connected_apps.services.bylines import developer_confirm
from tests.conftest import Sandbox
from tests.portal import catalogs, leaks

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
NOTES = demo.INKWELL_NOTES
PASSWORD = "correct horse battery staple"
REASON = "Asked by phone"
SEARCH = "zzz-no-such-app"
# Words that are the same in every language: the brand, protocols, formats, the time zone.
WORDS = {
    "oauth", "openid", "json", "csv", "authlete", "acme", "url", "uri", "http", "https", "utc",
    "rfc",
}  # fmt: skip
# The admin's own chrome, from Django and installed apps, that their catalogs leave in English
# (no catalog of ours can change an app name that is not marked for translation).
THIRD_PARTY = {"Tasks Database Backend", "Task Results", "Filter by", "Authenticators", "Search"}


@dataclass
class World:
    """The people of one test, all reading ``language``, and the sandbox behind them."""

    language: str
    sandbox: Sandbox
    john: Client
    developer: Client
    staff: Client
    stranger: Client  # signed out
    staff_user: Any
    john_user: Any
    developer_client_id: str = ""

    def issued(self) -> str:
        """A fresh token of John's for Inkwell Notes: its hash."""
        token = self.sandbox.authorize(
            clientId=NOTES,
            subject=demo.SUBJECT_JOHN,
            scopes=["openid", "profile", "email"],
            accessTokenDuration=3600,
        )
        return token["accessTokenHash"]


def _person(django_user_model: Any, username: str, language: str, **fields: Any) -> Any:
    return django_user_model.objects.create_user(
        username=username,
        email=f"{username}@example.com",
        password=PASSWORD,
        language=language,
        **fields,
    )


def _signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world(request: Any, sandbox: Sandbox, django_user_model: Any) -> World:
    language = request.param
    john = _person(django_user_model, "john", language)
    dev = _person(django_user_model, "johndev", language, authlete_developer="dev-john")
    staff = _person(django_user_model, "support", language, is_staff=True, is_superuser=True)
    stranger = Client()
    stranger.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return World(
        language, sandbox, _signed_in(john), _signed_in(dev), _signed_in(staff), stranger,
        staff, john,
    )  # fmt: skip


# --- The pages ----------------------------------------------------------------------------------


def _detail(name: str, *args: Any) -> str:
    return reverse(f"connected_apps:{name}", args=args)


def _registered(w: World) -> str:
    metadata = {
        "client_name": "John's Reader",
        "redirect_uris": ["https://reader.example/cb"],
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
    }
    body = w.sandbox.api("POST", "/client/registration", json={"json": json.dumps(metadata)})
    client_id = json.loads(body.json()["responseContent"])["client_id"]
    developer_confirm(
        ConfirmedDeveloper(client_id=int(client_id), developer="dev-john"), staff=None
    )
    return client_id


def _gone(w: World) -> Any:
    w.sandbox.api("POST", f"/client/authorization/delete/{NOTES}", json={"subject": "john"})
    return w.john.get(_detail("detail", NOTES))


def _outage(w: World) -> Any:
    w.sandbox.fault("status503", path="", retryAfter=0)
    return w.john.get(_detail("list"))


def _unconfirmed(w: World) -> Any:
    w.sandbox.fault("hang", path="/client/authorization/delete/", delayMs=4000)
    return w.john.post(_detail("revoke", NOTES))


def _after_revoke(w: World) -> Any:
    return w.john.post(_detail("revoke", NOTES), follow=True)


def _after_narrow(w: World) -> Any:
    keep = {"keep": ["openid", "profile"]}
    return w.john.post(_detail("narrow", NOTES), keep, follow=True)


def _activity(w: World) -> Any:
    w.john.post(_detail("revoke", demo.TEMPO_PLANNER))
    staff_url = reverse("admin:staff_app_revoke", args=["john", NOTES])
    w.staff.post(staff_url, {"reason": REASON})
    return w.john.get(_detail("activity"))


def _staff(name: str, *args: Any) -> Callable[[World], Any]:
    return lambda w: w.staff.get(reverse(f"admin:{name}", args=args))


PAGES: dict[str, Callable[[World], Any]] = {
    "sign-in": lambda w: w.stranger.get(reverse("account_login")),
    "password reset": lambda w: w.stranger.get(reverse("account_reset_password")),
    "not found, signed out": lambda w: w.stranger.get("/no-such-page/"),
    "list": lambda w: w.john.get(_detail("list")),
    "list, htmx": lambda w: w.john.get(_detail("list"), {"page": 2}, **HTMX),
    "list, no match": lambda w: w.john.get(_detail("list"), {"q": SEARCH}),
    "app": lambda w: w.john.get(_detail("detail", NOTES)),
    "app card, htmx": lambda w: w.john.get(_detail("card", NOTES), **HTMX),
    "narrow": lambda w: w.john.get(_detail("narrow", NOTES)),
    "narrow, nothing kept": lambda w: w.john.post(_detail("narrow", NOTES), {}),
    "revoke": lambda w: w.john.get(_detail("revoke", NOTES)),
    "revoke all": lambda w: w.john.get(_detail("revoke_all")),
    "disconnect the chosen apps": lambda w: w.john.post(
        _detail("disconnect_review"), {"client_id": [NOTES, demo.TEMPO_PLANNER]}
    ),
    "after disconnecting the chosen apps": lambda w: w.john.post(
        _detail("disconnect_chosen"), {"client_id": [NOTES, demo.TEMPO_PLANNER]}, follow=True
    ),
    "end a sign-in": lambda w: w.john.get(_detail("token_end", NOTES, w.issued())),
    "after narrowing": _after_narrow,
    "after disconnecting": _after_revoke,
    "after ending a sign-in": lambda w: w.john.post(
        _detail("token_end", NOTES, w.issued()), follow=True
    ),
    "activity": _activity,
    "notification settings": lambda w: w.john.get(_detail("notification_settings")),
    "security": lambda w: w.john.get(reverse("mfa_index")),
    "not a developer": lambda w: w.john.get(_detail("developer")),
    "developer": lambda w: (_registered(w), w.developer.get(_detail("developer")))[1],
    "developer edit": lambda w: w.developer.get(_detail("developer_edit", _registered(w))),
    "not found": lambda w: w.john.get("/apps/no/such/page/"),
    "no longer connected": _gone,
    "Authlete unavailable": _outage,
    "change not confirmed": _unconfirmed,
    "staff console": _staff("staff_console"),
    "staff audit": _staff("staff_audit"),
    "staff: a person's apps": _staff("staff_subject", "john"),
    "staff: one app": _staff("staff_app", "john", NOTES),
    "staff: remove permissions": _staff("staff_app_narrow", "john", NOTES),
    "staff: disconnect an app": _staff("staff_app_revoke", "john", NOTES),
    "staff: disconnect everything": _staff("staff_revoke_all", "john"),
    "staff: end a token": lambda w: w.staff.get(
        reverse("admin:staff_token_delete", args=["john", NOTES, w.issued()])
    ),
    "staff: incident": _staff("staff_incident"),
    "staff: incident, one app": _staff("staff_incident_app", NOTES),
    "staff: the person's page": lambda w: w.staff.get(
        reverse("admin:staff_person_apps", args=[w.john_user.pk]), follow=True
    ),
    "admin: audit events": lambda w: w.staff.get(
        reverse("admin:connected_apps_auditevent_changelist")
    ),
}


def _allowed(w: World) -> leaks.Allowed:
    strings: set[str] = {REASON, SEARCH, "John's Reader", *THIRD_PARTY}
    # The demo's people, by subject and user name: the incident page lists who holds an app.
    people = {demo.SUBJECT_JOHN, demo.SUBJECT_ALICE, demo.SUBJECT_BOB, "johndev"}
    words = set(WORDS) | people | {"support", "example", "com", "dev"}
    service = w.sandbox.api("GET", "/service/get").json()
    strings.add(service.get("serviceName", ""))
    for scope in service.get("supportedScopes") or []:
        strings.add(scope["name"])
        strings.add(scope.get("description") or "")
        strings.update(d["value"] for d in scope.get("descriptions") or [])
    for client in demo.CLIENTS:
        details = w.sandbox.api("GET", f"/client/get/{client.client_id}").json()
        names = [details.get("clientName", "")]
        names += [n["value"] for n in details.get("clientNames") or []]
        strings.update(names)
        strings.add(details.get("description") or "")
        strings.update(d["value"] for d in details.get("descriptions") or [])
        for name in [*names, client.alias, client.developer, client.domain]:
            words.update(word.lower() for word in leaks.WORD.findall(name))
    return leaks.Allowed(frozenset(s for s in strings if s), frozenset(words))


@cache
def _english_phrases(language: str) -> frozenset[str]:
    pairs = []
    for entry in catalogs.committed(language):
        forms = catalogs.forms(entry)
        pairs.append((entry.msgid, forms[0]))
        if entry.msgid_plural:
            pairs.append((entry.msgid_plural, forms[-1]))
    return leaks.english_phrases(pairs)


@pytest.mark.parametrize("world", catalogs.LANGUAGES, indirect=True)
@pytest.mark.parametrize("page", list(PAGES))
def test_no_english_is_left_on_the_page(world: World, page: str):
    response = PAGES[page](world)
    assert response.status_code < 500 or page in ("Authlete unavailable", "change not confirmed")
    html = response.content.decode()
    if "<html" in html:
        assert f'<html lang="{world.language}"' in html, f"{page}: the page says another language"
    texts = leaks.visible_texts(html, world.language)
    assert texts, f"{page}: nothing to read"
    left = leaks.english_left(
        texts, world.language, _allowed(world), _english_phrases(world.language)
    )
    assert not left, f"{page} in {world.language}: English left on the page:\n  " + "\n  ".join(
        left
    )


def test_the_check_finds_english_when_the_page_is_english(sandbox: Sandbox, django_user_model):
    """The check is not empty-handed by construction: an English page fails it in both."""
    john = _person(django_user_model, "john", "en")
    html = _signed_in(john).get(_detail("detail", NOTES)).content.decode()
    texts = leaks.visible_texts(html, "en")
    w = World("en", sandbox, Client(), Client(), Client(), Client(), None, john)
    for language in catalogs.LANGUAGES:
        left = leaks.english_left(texts, language, _allowed(w), _english_phrases(language))
        assert any("Disconnect" in line for line in left), language


_FRENCH_DATE = r"\d{1,2} (janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre) \d{4}"  # noqa: E501
_DATES = {"fr": _FRENCH_DATE, "ja": r"\d{4}年\d{1,2}月\d{1,2}日"}


@pytest.mark.parametrize("world", catalogs.LANGUAGES, indirect=True)
@pytest.mark.parametrize("page", ["app", "activity", "staff: one app"])
def test_dates_read_in_the_persons_language(world: World, page: str):
    html = PAGES[page](world).content.decode()
    assert re.search(_DATES[world.language], html), f"{page}: no date in {world.language}"
    assert not re.search(r"\b(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.? \d", html)
