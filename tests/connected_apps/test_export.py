"""Downloading your data: your apps and your activity as JSON and CSV, streamed page by page."""

from __future__ import annotations

import csv
import io
import json
import logging
from datetime import UTC, datetime

import pytest
from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import translation

from authlete_sandbox import seed as demo
from connected_apps.views.export_files import CSV_COLUMNS

pytestmark = pytest.mark.django_db

JSON_URL = reverse("connected_apps:export_json")
CSV_URL = reverse("connected_apps:export_csv")
HARBOR = demo.HARBOR_BACKUP
HARBOR_NAME = demo.CLIENT_NAMES[HARBOR]
LISTING = "/client/authorization/get/list"


def _body(response) -> bytes:
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content)


def _json(client, **headers) -> dict:
    return json.loads(_body(client.get(JSON_URL, headers=headers)).decode("utf-8"))


def _csv(client, **headers) -> list[list[str]]:
    raw = _body(client.get(CSV_URL, headers=headers))
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte order mark, for Excel"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def _rows(table: list[list[str]], record: str) -> list[dict[str, str]]:
    header = table[0]
    return [dict(zip(header, row, strict=False)) for row in table[1:] if row[0] == record]


def _keep_only_reading_files(client) -> None:
    response = client.post(
        reverse("connected_apps:narrow", args=[HARBOR]), {"keep": ["files.read", "offline_access"]}
    )
    assert response.status_code == 302


def _connect(sandbox, name: str, subject: str = demo.SUBJECT_JOHN) -> int:
    client_id = sandbox.api("POST", "/client/create", json={"clientName": name}).json()["clientId"]
    sandbox.authorize(clientId=client_id, subject=subject, scopes=["profile"])
    return client_id


def test_the_json_holds_every_app_the_sandbox_holds_for_john(john_client, sandbox, johns_apps):
    document = _json(john_client)

    assert document["format"] == "connected-apps-export"
    assert document["complete"] is True
    apps = {app["client_id"]: app for app in document["apps"]}
    assert sorted(apps) == sorted(johns_apps)
    for client_id in johns_apps:
        app = apps[client_id]
        assert app["name"] == demo.CLIENT_NAMES[client_id]
        held = {scope for token in sandbox.token_scopes("john", client_id) for scope in token}
        assert {p["scope"] for p in app["permissions"]} == held
        assert all(p["description"] and p["kind_label"] for p in app["permissions"])
    harbor = apps[HARBOR]
    assert "See and download your files" in [p["description"] for p in harbor["permissions"]]
    assert harbor["works_while_away"] is True
    # Stride Fitness holds no refresh token: it cannot work while John is away.
    assert apps[demo.STRIDE_FITNESS]["works_while_away"] is False
    # Dates are ISO 8601 in UTC.
    connected = datetime.fromisoformat(harbor["connected_at"])
    assert connected.tzinfo is not None and connected.utcoffset().total_seconds() == 0
    assert harbor["connected_at"].endswith("Z")


def test_the_csv_opens_as_one_table_with_a_row_per_app(john_client, sandbox, johns_apps):
    table = _csv(john_client)

    assert table[0] == [str(label) for _key, label in CSV_COLUMNS]
    apps = {int(row["Client ID"]): row for row in _rows(table, "Connected app")}
    assert sorted(apps) == sorted(johns_apps)
    harbor = apps[HARBOR]
    assert harbor["App"] == HARBOR_NAME
    assert set(harbor["Permission codes"].split()) == {
        "files.read",
        "files.write",
        "offline_access",
    }
    assert "See and download your files" in harbor["What it can do"]
    assert harbor["Works while you\u2019re away"] == "Yes"
    assert datetime.fromisoformat(harbor["Connected"]) < datetime.now(UTC)


def test_the_activity_is_in_both_files_in_the_services_words(john_client, support_client, sandbox):
    _keep_only_reading_files(john_client)
    response = support_client.post(
        reverse("admin:staff_app_revoke", args=[demo.SUBJECT_JOHN, demo.STRIDE_FITNESS]),
        {"reason": "Requested by phone, ticket 42"},
    )
    assert response.status_code == 302

    activity = _json(john_client)["activity"]
    narrowed = next(line for line in activity if line["action"] == "narrow")
    assert narrowed["app"] == HARBOR_NAME
    assert (narrowed["outcome"], narrowed["outcome_label"]) == ("success", "Done")
    assert narrowed["by"] == "you"
    assert [p["scope"] for p in narrowed["removed"]] == ["files.write"]
    assert [p["description"] for p in narrowed["removed"]] == [
        "Upload, change and delete your files"
    ]
    disconnected = next(line for line in activity if line["action"] == "revoke")
    assert disconnected["by"] == "support"
    assert disconnected["reason"] == "Requested by phone, ticket 42"
    # Newest first, as on the page.
    assert activity.index(disconnected) < activity.index(narrowed)

    changes = _rows(_csv(john_client), "Change")
    row = next(row for row in changes if row["What happened"] == "Removed permissions")
    assert row["App"] == HARBOR_NAME
    assert row["Permissions removed"] == "Upload, change and delete your files"
    assert row["Outcome"] == "Done"
    assert any(row["Reason given"] == "Requested by phone, ticket 42" for row in changes)


def test_the_download_is_an_attachment_that_nothing_may_keep(john_client, sandbox):
    today = datetime.now(UTC).date().isoformat()
    for url, kind, extension in (
        (JSON_URL, "application/json", "json"),
        (CSV_URL, "text/csv", "csv"),
    ):
        response = john_client.get(url)
        assert isinstance(response, StreamingHttpResponse)
        assert response["Content-Type"].startswith(kind)
        assert response["Content-Disposition"] == (
            f'attachment; filename="connected-apps-{today}.{extension}"'
        )
        cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
        assert {"no-store", "private"} <= cache_control
        assert _body(response)


def test_in_french_the_labels_and_words_are_french(john_client, sandbox):
    _keep_only_reading_files(john_client)
    document = _json(john_client, accept_language="fr")
    table = _csv(john_client, accept_language="fr")

    # Whatever the French catalog holds today: each label as gettext gives it in French.
    with translation.override("fr"):
        headers = [str(label) for _key, label in CSV_COLUMNS]
        done = translation.gettext("Done")
        yes = translation.gettext("Yes")
    assert document["language"] == "fr"
    assert table[0] == headers
    narrowed = next(line for line in document["activity"] if line["action"] == "narrow")
    assert narrowed["outcome_label"] == done
    # Keys stay English identifiers, whatever the language.
    assert {"client_id", "name", "permissions", "works_while_away"} <= set(document["apps"][0])
    keys = [key for key, _label in CSV_COLUMNS]
    harbor = next(row for row in table[1:] if row[keys.index("client_id")] == str(HARBOR))
    assert harbor[keys.index("works_while_away")] == yes


def test_nobody_sees_another_persons_apps_or_activity(john_client, alice_client, sandbox):
    _keep_only_reading_files(john_client)

    document = _json(alice_client)
    assert sorted(app["client_id"] for app in document["apps"]) == sorted(
        demo.DEMO_GRANTS[demo.SUBJECT_ALICE]
    )
    assert document["activity"] == []
    csv_text = json.dumps(_csv(alice_client))
    assert HARBOR_NAME not in csv_text
    assert "Removed permissions" not in csv_text


def test_signed_out_people_are_sent_to_sign_in(client, sandbox):
    for url in (JSON_URL, CSV_URL):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_only_get_is_allowed(john_client, sandbox):
    assert john_client.post(JSON_URL).status_code == 405
    assert john_client.post(CSV_URL).status_code == 405


def test_with_authlete_down_the_person_gets_an_error_page_not_a_file(john_client, sandbox):
    sandbox.fault("status503", path=LISTING, retryAfter=0)
    response = john_client.get(CSV_URL)
    sandbox.clear_faults()

    assert response.status_code == 503
    assert "Content-Disposition" not in response
    assert "not reachable right now" in response.content.decode()


def test_a_large_account_streams_page_by_page(john_client, sandbox, settings, johns_apps):
    settings.PORTAL_PAGE_SIZE = 5
    for number in range(7):
        _connect(sandbox, f"Extra app {number}")
    sandbox.clear_requests()

    response = john_client.get(JSON_URL)
    listed = [r["body"]["start"] for r in sandbox.requests() if r["path"].endswith(LISTING)]
    assert listed == [0], "only the first page is read before the answer starts"
    chunks = iter(response.streaming_content)
    next(chunks)
    next(chunks)  # the header, then the first page of apps
    listed = [r["body"]["start"] for r in sandbox.requests() if r["path"].endswith(LISTING)]
    assert listed == [0]
    rest = b"".join(chunks)
    listed = [r["body"]["start"] for r in sandbox.requests() if r["path"].endswith(LISTING)]
    assert listed == [0, 5, 10, 15, 20]
    assert rest.endswith(b'"complete": true}\n')


def test_every_page_of_a_large_account_is_in_the_file(john_client, sandbox, settings, johns_apps):
    settings.PORTAL_PAGE_SIZE = 5
    extras = [_connect(sandbox, f"Extra app {number}") for number in range(7)]

    apps = _json(john_client)["apps"]
    assert sorted(app["client_id"] for app in apps) == sorted([*johns_apps, *extras])
    rows = _rows(_csv(john_client), "Connected app")
    assert len(rows) == len(johns_apps) + len(extras)


def test_authlete_failing_midway_ends_the_file_saying_it_is_incomplete(
    john_client, sandbox, settings, caplog
):
    settings.PORTAL_PAGE_SIZE = 5
    _keep_only_reading_files(john_client)
    caplog.set_level(logging.WARNING)
    for url in (JSON_URL, CSV_URL):
        response = john_client.get(url)
        chunks = iter(response.streaming_content)
        head = [next(chunks), next(chunks)]  # the header and the first five apps are sent
        sandbox.fault("status500", path=LISTING)
        body = b"".join([*head, *chunks]).decode("utf-8-sig")
        sandbox.clear_faults()

        if url == JSON_URL:
            document = json.loads(body)
            assert document["complete"] is False
            assert "this download is incomplete" in document["problem"]
            assert len(document["apps"]) == 5
            # The activity is the portal's own record: it is there all the same.
            assert any(line["action"] == "narrow" for line in document["activity"])
        else:
            table = list(csv.reader(io.StringIO(body, newline="")))
            assert len(_rows(table, "Connected app")) == 5
            assert "this download is incomplete" in table[-1][0]
    # The log says what happened without saying whose file it was.
    ours = [r for r in caplog.records if r.name.startswith(("connected_apps", "portal"))]
    logged = " ".join(record.getMessage() for record in ours)
    assert "incomplete" in logged
    assert "john" not in logged and HARBOR_NAME not in logged


@pytest.mark.parametrize(
    "name",
    ['=HYPERLINK("https://evil.example","Click")', "+1+cmd", "-2+3", "@SUM(A1)", "\uff1d1+1"],
)
def test_app_names_that_look_like_formulas_are_text_in_the_csv(john_client, sandbox, name):
    client_id = _connect(sandbox, name)

    row = next(
        r for r in _rows(_csv(john_client), "Connected app") if r["Client ID"] == str(client_id)
    )
    assert row["App"] == f"'{name}"
    # JSON is read by programs, not spreadsheets: the name stays as the app gave it.
    app = next(a for a in _json(john_client)["apps"] if a["client_id"] == client_id)
    assert app["name"] == name


def test_the_activity_page_links_to_both_downloads(john_client, sandbox):
    html = john_client.get(reverse("connected_apps:activity")).content.decode()

    assert f'href="{JSON_URL}"' in html and "Download (JSON)" in html
    assert f'href="{CSV_URL}"' in html and "Download (CSV)" in html


def test_an_account_without_apps_downloads_empty_lists(make_user, sandbox):
    client = Client()
    client.force_login(make_user("bob"))

    document = _json(client)
    assert (document["apps"], document["activity"], document["complete"]) == ([], [], True)
    assert _csv(client)[1:] == []
