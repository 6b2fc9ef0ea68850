"""Create (or refresh) the demo sign-ins that match the sandbox's demo subjects."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

# username, password, Authlete subject override ("" = the username is the subject), staff?
DEMO_USERS = [
    ("john", "demo-john", "", False),
    ("alice", "demo-alice", "", False),
    ("bob", "demo-bob", "", False),
    ("carol", "demo-carol", "urn:acme:user/42@example.com", False),
    ("admin", "demo-admin", "", True),
]


class Command(BaseCommand):
    help = "Create the demo users (idempotent: running it again resets their passwords)."

    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        for username, password, subject, staff in DEMO_USERS:
            user, created = user_model.objects.update_or_create(
                username=username,
                defaults={
                    "email": f"{username}@example.com",
                    "authlete_subject": subject,
                    "is_staff": staff,
                    "is_superuser": staff,
                },
            )
            user.set_password(password)
            user.save(update_fields=["password"])
            # A verified address lets demo users try two-factor sign-in straight away.
            EmailAddress.objects.update_or_create(
                user=user,
                email=user.email,
                defaults={"verified": True, "primary": True},
            )
            self.stdout.write(f"{'Created' if created else 'Refreshed'} demo user {username}")
