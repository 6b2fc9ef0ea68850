"""The list stays true while it is chosen from a kept index of the person's apps: changes made in
the portal or elsewhere show on the next page, and a large account pages by consequence."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from authlete_sandbox import seed as demo

pytestmark = pytest.mark.django_db

LIST = reverse("connected_apps:list")


def _row_names(html: str) -> list[str]:
    return re.findall(r'class="app-card__title"[^>]*><a href="[^"]*">([^<]+)</a>', html)


def _review_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'app-row--review" id="app-(\d+)"', html)]


def _count(html: str) -> int:
    return int(re.search(r"(\d+) connected apps?", html).group(1))


def test_an_app_connected_elsewhere_shows_on_the_next_list(john_client, sandbox, johns_apps):
    before = john_client.get(LIST).content.decode()
    assert _count(before) == len(johns_apps)
    new = sandbox.api("POST", "/client/create", json={"clientName": "Quill Late Arrival"})
    sandbox.authorize(clientId=new.json()["clientId"], subject="john", scopes=["openid"])

    html = john_client.get(LIST, {"q": "quill"}).content.decode()
    assert _row_names(html) == ["Quill Late Arrival"]
    assert _count(john_client.get(LIST).content.decode()) == len(johns_apps) + 1


def test_an_app_disconnected_elsewhere_is_gone_from_the_next_list(john_client, sandbox, johns_apps):
    john_client.get(LIST, {"sort": "name"})
    gone = demo.ACME_COMMAND_LINE
    response = sandbox.api("POST", f"/client/authorization/delete/{gone}", json={"subject": "john"})
    response.raise_for_status()

    html = john_client.get(LIST, {"sort": "name"}).content.decode()
    assert f'id="app-{gone}"' not in html
    assert _count(html) == len(johns_apps) - 1


def test_removing_the_permission_that_lets_an_app_act_takes_it_out_of_review_at_once(
    john_client, sandbox
):
    inkwell = demo.INKWELL_NOTES
    assert inkwell in _review_ids(john_client.get(LIST).content.decode())

    response = john_client.post(
        reverse("connected_apps:narrow", args=[inkwell]), {"keep": ["openid", "email"]}
    )
    assert response.status_code == 302

    html = john_client.get(LIST, {"sort": "name"}).content.decode()
    assert f'id="app-{inkwell}"' in html
    assert inkwell not in _review_ids(html)


# --- An account larger than one listing window --------------------------------------------------


@pytest.fixture
def many(sandbox: Any, make_user: Any) -> dict[str, Any]:
    """130 apps of one person; the last five created can act for them (files.write), and were
    last active ten days ago, before all the others."""
    user = make_user("mira", subject="mira-many")
    ids = []
    for n in range(130):
        body = {"clientName": f"Bulk app {n:03d}"}
        ids.append(sandbox.api("POST", "/client/create", json=body).json()["clientId"])
    ten_days_ago = int((time.time() - 10 * 86400) * 1000)
    for n, client_id in enumerate(ids):
        if n >= 125:
            sandbox.authorize(
                clientId=client_id,
                subject="mira-many",
                scopes=["openid", "files.write"],
                createdAt=ten_days_ago,
            )
        else:
            sandbox.authorize(clientId=client_id, subject="mira-many", scopes=["openid"])
    client = Client()
    client.force_login(user)
    return {"client": client, "ids": ids, "acting": ids[125:]}


def test_a_large_account_shows_the_apps_that_can_act_first_on_page_one(many):
    html = many["client"].get(LIST).content.decode()
    assert _count(html) == 130
    assert "Page 1 of 13" in html
    assert _review_ids(html) == sorted(_review_ids(html), key=many["acting"].index)
    assert set(_review_ids(html)) == set(many["acting"])

    found = many["client"].get(LIST, {"q": "bulk app 042"}).content.decode()
    assert _row_names(found) == ["Bulk app 042"]


def test_a_large_account_sees_its_own_disconnect_at_once(many):
    client, first = many["client"], many["acting"][0]
    assert first in _review_ids(client.get(LIST).content.decode())

    assert client.post(reverse("connected_apps:revoke", args=[first])).status_code == 302

    html = client.get(LIST).content.decode()
    assert first not in _review_ids(html) and f'id="app-{first}"' not in html
    assert _count(html) == 129


def test_narrowing_an_app_of_a_large_account_reorders_every_page_at_once(many):
    client, narrowed = many["client"], many["acting"][0]
    assert narrowed in _review_ids(client.get(LIST).content.decode())

    response = client.post(reverse("connected_apps:narrow", args=[narrowed]), {"keep": ["openid"]})
    assert response.status_code == 302

    # No longer one to review, and the least recently active: the last page, not the first.
    first = client.get(LIST).content.decode()
    assert f'id="app-{narrowed}"' not in first
    assert _review_ids(first) == many["acting"][1:]
    last = client.get(LIST, {"page": 13}).content.decode()
    assert f'id="app-{narrowed}"' in last


def test_another_page_of_a_large_account_asks_authlete_only_about_the_apps_it_shows(many, sandbox):
    many["client"].get(LIST)
    sandbox.clear_requests()

    html = many["client"].get(LIST, {"page": 7}).content.decode()
    assert "Page 7 of 13" in html
    paths = [r["path"] for r in sandbox.requests()]
    token_reads = [p for p in paths if p.endswith("/auth/token/get/list")]
    assert len(token_reads) == 10
    assert not any(p.endswith("/client/authorization/get/list") for p in paths)
