"""E-mails about changes to a person's account, sent through a real SMTP server by the real
task worker: confirmed changes (coalesced), support's changes with their reason, the settings
page, retries while the mail server is down. The new-grant webhook is in test_grant_webhook."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_tasks_db.models import DBTaskResult

from authlete_sandbox import seed as demo
from connected_apps.models import AuditEvent
from connected_apps.notifications.models import (
    Notification,
    NotificationPreference,
    NotifiedChange,
)
from connected_apps.services.audit import Actor, audit_attempt
from connected_apps.services.locks import longest_change_seconds
from connected_apps.services.settle import settle_unknown
from tests.smtp import BASE, SmtpServer, links, no_remote_images, parts, run_worker, serving_mail

# The task worker runs in this thread against committed rows, as it does in production.
pytestmark = pytest.mark.django_db(transaction=True)

NOTES = demo.INKWELL_NOTES


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpServer]:
    yield from serving_mail(settings)


# --- A person's own changes -------------------------------------------------------------------


def test_disconnecting_an_app_mails_the_person_once_with_a_way_to_react(
    smtp, john, john_client, sandbox
):
    name = sandbox.client_name(NOTES)
    john_client.post(reverse("connected_apps:revoke", args=[NOTES]))
    run_worker()
    run_worker()  # a second pass finds nothing new to tell
    assert smtp.recipients == [["john@example.com"]]
    message = smtp.messages[0]
    assert message["Subject"] == f"{name} was disconnected from your account"
    assert message["To"] == "john@example.com"
    text, html = parts(message)
    assert f"{name} was disconnected" in text and f"{name} was disconnected" in html
    assert "Wasn\u2019t you?" in text
    found = links(text)
    assert f"{BASE}/apps/activity/" in found
    assert f"{BASE}{reverse('account_change_password')}" in found
    assert f"{BASE}/apps/settings/" in found
    assert all(link.startswith(BASE) for link in links(html))
    no_remote_images(html)
    notification = Notification.objects.get()
    assert (notification.status, notification.attempts) == ("sent", 1)


def test_the_mail_goes_to_a_verified_address_rather_than_a_new_unverified_one(
    smtp, john, john_client, sandbox
):
    # Someone in the account made an address of theirs the account's own before acting.
    EmailAddress.objects.create(user=john, email="john@example.com", verified=True)
    john.email = "someone-else@example.net"
    john.save(update_fields=["email"])
    john_client.post(reverse("connected_apps:revoke", args=[NOTES]))
    run_worker()
    assert smtp.recipients == [["john@example.com"]]
    page = john_client.get(reverse("connected_apps:notification_settings"))
    assert "We write to john@example.com" in page.content.decode()


def test_narrowing_says_in_words_which_permissions_the_app_lost(smtp, john, john_client, sandbox):
    john_client.post(
        reverse("connected_apps:narrow", args=[NOTES]), {"keep": ["openid", "profile"]}
    )
    run_worker()
    text, html = parts(smtp.messages[0])
    assert "See your email address" in text  # the service's words for "email"
    assert "can no longer" in text and "files.write" not in text
    assert "See your email address" in html


def test_disconnecting_all_apps_sends_one_mail_listing_them(smtp, john, john_client, sandbox):
    names = [sandbox.client_name(cid) for cid in demo.DEMO_GRANTS["john"]]
    john_client.post(reverse("connected_apps:revoke_all"), {"confirm": "on"})
    assert AuditEvent.objects.outcomes().filter(outcome="success").count() == len(names)
    run_worker()
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert message["Subject"] == f"{len(names)} apps were disconnected from your account"
    text, _ = parts(message)
    for name in names:
        assert f"{name} was disconnected" in text
    assert NotifiedChange.objects.filter(notification__isnull=False).count() == len(names)


def test_disconnecting_several_chosen_apps_sends_one_mail(smtp, john, john_client, sandbox):
    chosen = list(demo.DEMO_GRANTS["john"][:3])
    john_client.post(reverse("connected_apps:disconnect_chosen"), {"client_id": chosen})
    run_worker()
    assert len(smtp.messages) == 1
    assert smtp.messages[0]["Subject"] == "3 apps were disconnected from your account"
    text, _ = parts(smtp.messages[0])
    for client_id in chosen:
        assert f"{sandbox.client_name(client_id)} was disconnected" in text


def test_the_mail_waits_a_little_so_changes_made_together_go_together(
    smtp, settings, john, john_client, sandbox
):
    settings.PORTAL_NOTIFY_DELAY_SECONDS = 20
    john_client.post(reverse("connected_apps:revoke", args=[NOTES]))
    run_worker()
    assert smtp.messages == []
    queued = DBTaskResult.objects.get(task_path__endswith="gather_changes")
    assert queued.run_after > timezone.now() + timedelta(seconds=10)


def test_a_french_speaker_is_written_to_in_french(smtp, john, john_client, sandbox):
    john.language = "fr"
    john.save(update_fields=["language"])
    name = sandbox.client_name(NOTES)
    john_client.post(
        reverse("connected_apps:narrow", args=[NOTES]), {"keep": ["openid", "profile"]}
    )
    run_worker()
    message = smtp.messages[0]
    with translation.override("fr"):
        expected = gettext("%(app)s has less access to your account") % {"app": name}
        wasnt_you = gettext("Wasn\u2019t you?")
    assert message["Subject"] == expected
    text, _ = parts(message)
    assert wasnt_you in text
    # The service's own French words for the removed scope, from Authlete.
    assert "Voir votre adresse" in text


def test_refused_and_failed_changes_tell_nobody(smtp, john, john_client, sandbox):
    alices_only = demo.DEMO_GRANTS["alice"][-1]
    john_client.post(reverse("connected_apps:revoke", args=[alices_only]))
    sandbox.fault("status500", path="/client/authorization/delete/", times=10)
    john_client.post(reverse("connected_apps:revoke", args=[NOTES]))
    assert not AuditEvent.objects.outcomes().filter(outcome="success").exists()
    run_worker()
    assert smtp.messages == []
    assert not Notification.objects.exists()


def test_a_change_confirmed_only_later_is_told_once_settled(smtp, settings, john, sandbox):
    # The portal sent the disconnect and never heard back; Authlete had acted.
    settings.AUTHLETE_DEADLINE = 0.2
    audit_attempt(
        actor=Actor(user=john),
        subject="john",
        client_id=NOTES,
        client_name="Inkwell Notes",
        action=AuditEvent.Action.REVOKE,
    )
    sandbox.api("POST", f"/client/authorization/delete/{NOTES}", json={"subject": "john"})
    DBTaskResult.objects.all().delete()  # the settling task is run by hand below
    run_worker()
    assert smtp.messages == []
    time.sleep(longest_change_seconds() + 0.1)
    settle_unknown(subject="john")
    run_worker()
    assert len(smtp.messages) == 1
    assert "Inkwell Notes was disconnected" in parts(smtp.messages[0])[0]


# --- Support acting for the person ------------------------------------------------------------


def test_support_changes_are_mailed_with_their_reason_even_with_mails_turned_off(
    smtp, john, john_client, support_client, sandbox
):
    NotificationPreference.objects.create(user=john, access_removed=False)
    name = sandbox.client_name(NOTES)
    support_client.post(
        reverse("admin:staff_app_revoke", args=["john", NOTES]),
        {"reason": "You asked us by phone on ticket 4521"},
    )
    run_worker()
    assert smtp.recipients == [["john@example.com"]]
    message = smtp.messages[0]
    assert message["Subject"] == "Our support team changed an app's access to your account"
    text, html = parts(message)
    assert f"{name} was disconnected" in text
    assert "Reason given: You asked us by phone on ticket 4521" in text
    assert "You asked us by phone on ticket 4521" in html
    assert "always sent" in text
    no_remote_images(html)


def test_support_ending_one_token_is_told_in_words(smtp, john, support_client, sandbox, issued):
    url = reverse("admin:staff_token_delete", args=["john", NOTES, issued["accessTokenHash"]])
    support_client.post(url, {"reason": "Lost phone"})
    run_worker()
    text, _ = parts(smtp.messages[0])
    assert "One of the sign-ins of" in text and "was ended" in text
    assert "Reason given: Lost phone" in text


# --- The settings page ------------------------------------------------------------------------


def test_turning_the_mails_off_stops_them_for_ones_own_changes(smtp, john, john_client, sandbox):
    page = john_client.get(reverse("connected_apps:notification_settings"))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="access_removed"' in html and "checked" in html
    assert "cannot be turned off" in html
    response = john_client.post(reverse("connected_apps:notification_settings"), {})
    assert response.status_code == 302
    assert not NotificationPreference.objects.get(user=john).access_removed
    page = john_client.get(reverse("connected_apps:notification_settings"))
    assert "Your e-mail settings are saved." in page.content.decode()
    assert "checked" not in page.content.decode().split('name="access_removed"')[1][:80]
    john_client.post(reverse("connected_apps:revoke", args=[NOTES]))
    run_worker()
    assert smtp.messages == []
    # Dealt with: turning the mails back on later does not send this old news.
    assert NotifiedChange.objects.get().notification is None


def test_the_settings_form_saves_in_place_under_htmx(john_client):
    response = john_client.post(
        reverse("connected_apps:notification_settings"),
        {"access_removed": "on"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="settings-form"' in html and "<html" not in html
    assert "Your e-mail settings are saved." in html


def test_the_settings_form_needs_its_csrf_token(john):
    client = Client(enforce_csrf_checks=True)
    client.force_login(john)
    response = client.post(reverse("connected_apps:notification_settings"), {})
    assert response.status_code == 403
    assert not NotificationPreference.objects.exists()


# --- The mail server being down ---------------------------------------------------------------


def test_a_mail_the_server_refused_is_tried_again_and_delivered_when_it_is_back(
    smtp, john, john_client, sandbox
):
    smtp.stop()
    john_client.post(reverse("connected_apps:revoke", args=[NOTES]))
    run_worker()
    notification = Notification.objects.get()
    assert (notification.status, notification.attempts) == ("pending", 1)
    assert notification.last_error
    retry = DBTaskResult.objects.get(status="READY", task_path__endswith="send_notification")
    assert retry.run_after > timezone.now()
    smtp.start()
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    run_worker()
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("sent", 2)
    assert len(smtp.messages) == 1


def test_a_mail_that_never_goes_is_kept_with_its_error(smtp, settings, john, john_client, sandbox):
    settings.PORTAL_NOTIFY_MAX_ATTEMPTS = 2
    smtp.stop()
    john_client.post(reverse("connected_apps:revoke", args=[NOTES]))
    for _ in range(2):
        run_worker()
        retries = DBTaskResult.objects.filter(task_path__endswith="send_notification")
        retries.filter(status="READY").update(run_after=timezone.now())
    notification = Notification.objects.get()
    assert (notification.status, notification.attempts) == ("gave_up", 2)
    assert "Connection refused" in notification.last_error or notification.last_error
    assert NotifiedChange.objects.get().notification == notification
