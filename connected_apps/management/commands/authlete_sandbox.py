"""Run the local Authlete sandbox from manage.py, with the options of python -m authlete_sandbox."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from authlete_sandbox.__main__ import add_arguments
from authlete_sandbox.server import serve


class Command(BaseCommand):
    help = "Run the local Authlete sandbox (a stand-in for the Authlete API) until Ctrl-C."
    requires_system_checks = []

    def add_arguments(self, parser: CommandParser) -> None:
        add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        serve(
            host=options["host"],
            port=options["port"],
            db=options["db"],
            seed=options["seed"],
            reseed=options["reseed"],
            latency_ms=options["latency_ms"],
            public_url=options["public_url"],
            out=self.stdout,
        )
