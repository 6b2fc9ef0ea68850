"""Check that the configured Authlete service answers, and say why when it does not."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from connected_apps import authlete
from connected_apps.services import behaviours


def _reason(exc: authlete.AuthleteError) -> str:
    if isinstance(exc, authlete.AuthleteCredentialsError):
        if exc.status == 403:
            return (
                "Authlete refused access (HTTP 403): the token is not for this service "
                "(check AUTHLETE_SERVICE_ID) or lacks permission to view the service."
            )
        return (
            "Authlete rejected the credentials (HTTP 401): check AUTHLETE_SERVICE_TOKEN "
            "(v3) or AUTHLETE_API_KEY/AUTHLETE_API_SECRET (v2)."
        )
    if isinstance(exc, authlete.AuthleteNotFound):
        return "Authlete has no such service (HTTP 404): check AUTHLETE_SERVICE_ID."
    if isinstance(exc, authlete.AuthleteTimeout):
        return f"Authlete at {settings.AUTHLETE_BASE_URL} did not answer in time."
    if isinstance(exc, authlete.AuthleteUnavailable):
        status = f" (HTTP {exc.status})" if exc.status else ""
        return f"Authlete at {settings.AUTHLETE_BASE_URL} is unreachable{status}."
    return f"Authlete could not be checked: {exc}"


class Command(BaseCommand):
    help = (
        "Call Authlete's service/get with the configured credentials and report the result; "
        "with --deep, report which sandbox mode each of the service's behaviours matches."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--deep",
            action="store_true",
            help=(
                "Make a throwaway client, subject and token, report one line per behaviour of "
                "docs/authlete-behaviours.md with the sandbox mode it matches, and delete them."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["deep"]:
                self._deep()
            else:
                self._service()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        except authlete.AuthleteError as exc:
            raise CommandError(_reason(exc)) from None

    def _service(self) -> None:
        client = authlete.get_client()
        service = client.service_get()
        view = " (limited view: no scope descriptions)" if service.limited else ""
        self.stdout.write(
            f"Authlete API {client.api_version} at {settings.AUTHLETE_BASE_URL}: "
            f"service {service.name!r}, {len(service.scopes)} scopes{view}."
        )

    def _deep(self) -> None:
        self.stdout.write(
            f"Checking Authlete API {settings.AUTHLETE_API_VERSION} at "
            f"{settings.AUTHLETE_BASE_URL} with a throwaway client, subject and token."
        )
        matched = behaviours.behaviours_check(report=lambda found: self.stdout.write(found.line))
        if not matched:
            raise CommandError(
                "The portal's configuration does not match this Authlete service: "
                f"see the {behaviours.MISMATCH} lines above."
            )
