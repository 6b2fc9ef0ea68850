"""The French and Japanese catalogs are complete, current and compiled; a person's choice sticks."""

from __future__ import annotations

from typing import Any

import polib
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.portal import catalogs

LANGUAGE_COOKIE = settings.LANGUAGE_COOKIE_NAME


def _where(entry: polib.POEntry) -> str:
    place = f" ({entry.occurrences[0][0]}:{entry.occurrences[0][1]})" if entry.occurrences else ""
    return f"{entry.msgid!r}{place}"


def _listing(title: str, lines: list[str]) -> str:
    return f"{title} ({len(lines)}):\n  " + "\n  ".join(lines)


# --- The catalogs -------------------------------------------------------------------------------


@pytest.mark.parametrize("language", catalogs.LANGUAGES)
def test_every_entry_is_translated_and_none_is_fuzzy(language: str):
    catalog = catalogs.committed(language)
    assert not catalog.metadata_is_fuzzy, (
        f"{language}: the header is marked fuzzy, so msgfmt leaves out its plural rule"
    )
    untranslated = [_where(e) for e in catalog if not e.obsolete and not all(catalogs.forms(e))]
    fuzzy = [_where(e) for e in catalog if not e.obsolete and e.fuzzy]
    problems = []
    if untranslated:
        problems.append(_listing(f"{language}: not translated", untranslated))
    if fuzzy:
        problems.append(_listing(f"{language}: fuzzy (a guess nobody checked)", fuzzy))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", catalogs.LANGUAGES)
def test_translations_keep_every_placeholder_and_tag(language: str):
    wrong = []
    for entry in catalogs.committed(language):
        if entry.obsolete or not all(catalogs.forms(entry)):
            continue  # reported as untranslated
        singular = set(catalogs.placeholders(entry.msgid))
        plural = set(catalogs.placeholders(entry.msgid_plural or entry.msgid))
        for index, text in enumerate(catalogs.forms(entry)):
            found = set(catalogs.placeholders(text))
            # A form may leave the count out ("one app", or a language with one form for all):
            # it must keep what both English forms say, and add nothing neither says.
            if not (singular & plural) <= found <= (singular | plural):
                wrong.append(f"{_where(entry)} [{index}] placeholders {sorted(found)}: {text!r}")
            if catalogs.tags(text) != catalogs.tags(entry.msgid):
                wrong.append(f"{_where(entry)} [{index}] markup: {text!r}")
    assert not wrong, _listing(f"{language}: translations that would break or lose text", wrong)


@pytest.mark.parametrize("language", catalogs.LANGUAGES)
def test_plural_entries_have_every_form_of_the_language(language: str):
    catalog = catalogs.committed(language)
    expected = catalogs.PLURAL_FORMS[language]
    assert catalogs.nplurals(catalog) == expected, (
        f"{language}: Plural-Forms says {catalog.metadata.get('Plural-Forms')!r}, "
        f"expected nplurals={expected}"
    )
    incomplete = [
        f"{_where(e)} has {len(e.msgstr_plural)} forms"
        for e in catalog
        if e.msgid_plural and not e.obsolete and len(e.msgstr_plural) != expected
    ]
    assert not incomplete, _listing(f"{language}: plural entries", incomplete)


@pytest.mark.parametrize("language", catalogs.LANGUAGES)
def test_the_compiled_catalog_is_the_current_one(language: str):
    mo_path = catalogs.po_path(language).with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path} is missing: run `make messages`"
    # What msgfmt would compile: translated entries that are not fuzzy.
    expected = {
        catalogs.key(e): catalogs.forms(e)
        for e in catalogs.committed(language)
        if not e.obsolete and not e.fuzzy and all(catalogs.forms(e))
    }
    actual = {catalogs.key(e): catalogs.forms(e) for e in catalogs.compiled(language) if e.msgid}
    stale = sorted(
        repr(k[1]) for k in expected.keys() | actual.keys() if expected.get(k) != actual.get(k)
    )
    assert not stale, _listing(
        f"{language}: django.mo differs from django.po; run `make messages`", stale
    )


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, polib.POFile]:
    if reason := catalogs.gettext_missing():
        pytest.fail(f"{reason}: scripts/test.sh installs it")
    return catalogs.extract(tmp_path_factory.mktemp("extracted"))


@pytest.mark.parametrize("language", catalogs.LANGUAGES)
def test_the_catalog_holds_exactly_the_strings_the_code_marks(
    language: str, extracted: dict[str, polib.POFile]
):
    fresh = {catalogs.key(e): e for e in extracted[language]}
    kept = {catalogs.key(e): e for e in catalogs.committed(language) if not e.obsolete}
    missing = [_where(fresh[k]) for k in sorted(fresh.keys() - kept.keys())]
    obsolete = [repr(k[1]) for k in sorted(kept.keys() - fresh.keys())]
    problems = []
    if missing:
        problems.append(
            _listing(f"{language}: marked in the code, missing from the catalog", missing)
        )
    if obsolete:
        problems.append(_listing(f"{language}: in the catalog, no longer in the code", obsolete))
    assert not problems, "\n".join(problems) + "\nRun `make messages`, then translate."


# --- A person's choice --------------------------------------------------------------------------

PASSWORD = "correct horse battery staple"


@pytest.fixture
def john(django_user_model: Any) -> Any:
    """The demo's John (subject ``john``), with no language chosen yet."""
    return django_user_model.objects.create_user(
        username="john", email="john@example.com", password=PASSWORD
    )


def _choose(client: Client, language: str, next_url: str = "/apps/") -> Any:
    return client.post(reverse("set_language"), {"language": language, "next": next_url})


def _page_language(client: Client, url: str = "/apps/", **headers: Any) -> str:
    html = client.get(url, **headers).content.decode()
    return html.split('<html lang="', 1)[1].split('"', 1)[0]


@pytest.mark.django_db
def test_a_signed_in_persons_choice_is_saved_and_follows_them_to_another_browser(
    john: Any, sandbox: Any
):
    client = Client()
    client.force_login(john)
    response = _choose(client, "ja")
    assert response.status_code == 302 and response["Location"] == "/apps/"
    john.refresh_from_db()
    assert john.language == "ja"
    assert _page_language(client) == "ja"

    elsewhere = Client()  # another browser: no cookie, and a header asking for French
    elsewhere.force_login(john)
    assert _page_language(elsewhere, HTTP_ACCEPT_LANGUAGE="fr") == "ja"
    html = elsewhere.get("/apps/").content.decode()
    assert '<option value="ja" lang="ja" selected>' in html


@pytest.mark.django_db
def test_the_saved_language_applies_as_soon_as_the_person_signs_in(john: Any, sandbox: Any):
    john.language = "fr"
    john.save()
    client = Client(HTTP_ACCEPT_LANGUAGE="ja")
    assert _page_language(client, "/accounts/login/") == "ja"
    response = client.post(reverse("account_login"), {"login": "john", "password": PASSWORD})
    assert response.status_code == 302
    assert response.cookies[LANGUAGE_COOKIE].value == "fr"
    assert _page_language(client, response["Location"]) == "fr"


@pytest.mark.django_db
def test_the_saved_language_beats_a_cookie_left_on_a_shared_computer(john: Any, sandbox: Any):
    john.language = "ja"
    john.save()
    client = Client()
    client.cookies[LANGUAGE_COOKIE] = "fr"
    client.force_login(john)
    response = client.get("/apps/activity/")
    assert '<html lang="ja">' in response.content.decode()
    # The cookie follows the account, so the sign-in page after signing out speaks it too.
    assert response.cookies[LANGUAGE_COOKIE].value == "ja"
    client.post(reverse("account_logout"))
    assert _page_language(client, "/accounts/login/") == "ja"


@pytest.mark.django_db
def test_someone_signed_out_chooses_with_a_cookie_and_no_account_changes(client: Client, john: Any):
    assert 'action="/i18n/setlang/"' in client.get("/accounts/login/").content.decode()
    response = _choose(client, "fr", "/accounts/login/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert response.cookies[LANGUAGE_COOKIE].value == "fr"
    assert _page_language(client, "/accounts/login/") == "fr"
    john.refresh_from_db()
    assert john.language == ""


@pytest.mark.django_db
def test_a_language_not_offered_changes_nothing_and_says_so(john: Any, sandbox: Any):
    client = Client()
    client.force_login(john)
    response = _choose(client, "de")
    assert response.status_code == 302 and LANGUAGE_COOKIE not in response.cookies
    john.refresh_from_db()
    assert john.language == ""
    html = client.get(response["Location"]).content.decode()
    assert "That language is not offered; nothing was changed." in html
    assert '<html lang="en">' in html


@pytest.mark.django_db
def test_the_way_back_after_choosing_never_leaves_the_portal(john: Any):
    client = Client()
    client.force_login(john)
    response = _choose(client, "fr", "https://elsewhere.example/phish")
    assert response.status_code == 302 and response["Location"] == "/"
    john.refresh_from_db()
    assert john.language == "fr"


@pytest.mark.django_db
def test_choosing_a_language_needs_a_post_with_the_csrf_token(john: Any):
    client = Client(enforce_csrf_checks=True)
    client.force_login(john)
    assert _choose(client, "ja").status_code == 403
    assert client.get(reverse("set_language"), {"language": "ja"}).status_code == 405
    john.refresh_from_db()
    assert john.language == ""
