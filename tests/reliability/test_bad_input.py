"""Whatever arrives in a URL, a query or a body: a clear 4xx or a safe no-op, never a 500."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, assume, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from connected_apps.models import AuditEvent
from tests.conftest import Sandbox

pytestmark = pytest.mark.django_db

examples = hypothesis_settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    # Keep the source tree clean: no example database under .hypothesis/.
    database=None,
)

# Names a scope could be given by someone crafting requests: any unicode, empty, very long,
# look-alikes of real ones, and the ones Authlete's services commonly define.
scope_names = st.one_of(
    st.text(max_size=40),
    st.text(min_size=1000, max_size=5000),
    st.sampled_from(["", " ", "email", "EMAIL", "email ", "openid", "admin", "*", "%00", "\x00"]),
)


@pytest.fixture
def world(settings: Any, sandbox: Sandbox, john_client: Client, johns_apps: list[int]) -> Any:
    # The write limit has its own tests; here it would turn every later example into a 429.
    settings.PORTAL_WRITES_PER_MINUTE = 0
    client_id, scopes = sandbox.narrowable("john", johns_apps)
    sandbox.clear_requests()
    return john_client, client_id, scopes, set(johns_apps)


def _assert_refused_cleanly(response: Any, *allowed: int) -> None:
    html = response.content.decode(errors="replace")
    assert response.status_code in allowed, (response.status_code, html[:300])
    assert "Traceback" not in html


@given(raw=st.one_of(st.text(min_size=1, max_size=60), st.integers().map(str)))
@examples
def test_any_client_id_in_a_url_is_not_found(world, sandbox: Sandbox, raw: str):
    client, _, _, johns = world
    assume(raw.strip("/") and not (raw.isdigit() and int(raw) in johns))
    segment = quote(raw, safe="")
    for suffix in ("", "card/", "narrow/", "revoke/"):
        response = client.get(f"/apps/{segment}/{suffix}")
        _assert_refused_cleanly(response, 404)
        response = client.post(f"/apps/{segment}/{suffix}", {"keep": ["email"]})
        _assert_refused_cleanly(response, 404, 405)
    assert sandbox.writes() == []


@given(keep=st.lists(scope_names, max_size=6), real=st.lists(st.integers(0, 5), max_size=3))
@examples
def test_any_scope_list_that_is_not_a_strict_subset_is_refused_without_a_write(
    world, sandbox: Sandbox, keep: list[str], real: list[int]
):
    client, client_id, scopes, _ = world
    # Mix in real scope names, duplicates included, so look-alikes sit next to the real thing.
    keep = keep + [scopes[i % len(scopes)] for i in real]
    wanted = set(keep)
    assume(not (wanted and wanted < set(scopes)))
    response = client.post(reverse("connected_apps:narrow", args=[client_id]), {"keep": keep})
    _assert_refused_cleanly(response, 400)
    html = response.content.decode()
    assert 'role="alert"' in html or "errorlist" in html
    assert sandbox.writes() == []
    assert not AuditEvent.objects.outcomes().filter(outcome="success").exists()


@given(page=st.one_of(st.text(max_size=30), st.integers().map(str)), q=st.text(max_size=300))
@examples
def test_any_page_number_and_search_shows_a_page_of_the_list(world, sandbox: Sandbox, page, q):
    client, _, _, _ = world
    response = client.get(reverse("connected_apps:list"), {"page": page, "q": q})
    _assert_refused_cleanly(response, 200)
    assert 'id="app-list"' in response.content.decode()
    assert sandbox.writes() == []


@pytest.mark.parametrize("method", ["put", "delete", "patch", "options", "trace"])
@pytest.mark.parametrize("name", ["list", "detail", "card", "narrow", "revoke", "revoke_all"])
def test_methods_a_page_does_not_serve_get_405(world, sandbox: Sandbox, method, name):
    client, client_id, _, _ = world
    args = [] if name in ("list", "revoke_all") else [client_id]
    response = getattr(client, method)(reverse(f"connected_apps:{name}", args=args))
    _assert_refused_cleanly(response, 405)
    assert "GET" in response["Allow"]
    assert sandbox.writes() == []


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", '{"keep": ["email"]}'),
        ("text/plain", "keep=email"),
        ("application/xml", "<keep>email</keep>"),
        ("multipart/form-data; boundary=nothing", "--garbage--"),
        ("multipart/form-data", "no boundary at all"),
        ("application/x-www-form-urlencoded", "keep=%ZZ&keep=%FF%FE&&=="),
    ],
)
def test_a_body_that_is_not_a_form_changes_nothing(world, sandbox: Sandbox, content_type, body):
    client, client_id, _, _ = world
    for name in ("narrow", "revoke_all"):
        url = reverse(f"connected_apps:{name}", args=[client_id] if name == "narrow" else [])
        response = client.post(url, body, content_type=content_type)
        _assert_refused_cleanly(response, 400)
    assert sandbox.writes() == []


def test_an_oversized_body_is_refused(world, sandbox: Sandbox, settings):
    client, client_id, scopes, _ = world
    huge = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = client.post(
        reverse("connected_apps:narrow", args=[client_id]), {"keep": [scopes[0]], "pad": huge}
    )
    _assert_refused_cleanly(response, 400)
    assert sandbox.writes() == []


def test_a_body_with_too_many_fields_is_refused(world, sandbox: Sandbox, settings):
    client, client_id, scopes, _ = world
    fields = {f"f{i}": "1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    response = client.post(
        reverse("connected_apps:narrow", args=[client_id]), {"keep": [scopes[0]], **fields}
    )
    _assert_refused_cleanly(response, 400)
    assert sandbox.writes() == []


def test_a_client_id_beyond_64_bits_is_not_found_and_leaves_the_trail_readable(world):
    client, _, _, _ = world
    for raw in (str(2**63), "9" * 19, "9" * 40):
        response = client.get(f"/apps/{raw}/")
        _assert_refused_cleanly(response, 404)
        response = client.post(f"/apps/{raw}/revoke/")
        _assert_refused_cleanly(response, 404)
    # The trail still reads: no row was half-written with a number the database cannot hold.
    assert client.get("/apps/activity/").status_code == 200
