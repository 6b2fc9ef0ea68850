"""The command line: ``python -m authlete_sandbox [--port P] [--db PATH] [--mode NAME=VALUE]``."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from typing import Any

from authlete_sandbox import DEFAULT_PORT
from authlete_sandbox.modes import MEANINGS, Modes, parse_assignment, values_of
from authlete_sandbox.seed import WORLDS
from authlete_sandbox.server import serve


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The sandbox's options."""
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port to listen on")
    parser.add_argument(
        "--db", default=":memory:", help="SQLite file that keeps the state (default: in memory)"
    )
    parser.add_argument(
        "--seed",
        choices=WORLDS,
        default="demo",
        help="world to load into an empty database (an existing one is kept)",
    )
    parser.add_argument(
        "--reseed", action="store_true", help="wipe the database and load the seed world again"
    )
    parser.add_argument(
        "--latency-ms",
        type=int,
        default=0,
        help="fixed delay added to every Authlete API call, for benchmarks",
    )
    parser.add_argument(
        "--public-url",
        default=None,
        help="base URL browsers use to reach the sandbox (for logo URLs; default: its own URL)",
    )
    parser.add_argument(
        "--mode",
        action="append",
        default=[],
        type=_mode,
        metavar="NAME=VALUE",
        help="answer in a mode other than Authlete's documented default (repeatable; see below)",
    )


def modes_help() -> str:
    """The modes, their values and defaults, for the end of --help."""
    lines = ["modes (while it runs, GET and PUT /_sandbox/modes read and change them):"]
    for name, default in Modes().as_text().items():
        lines.append(f"  {name}={values_of(name)} (default {default})\n      {MEANINGS[name]}")
    return "\n".join(lines)


def _mode(text: str) -> tuple[str, Any]:
    try:
        return parse_assignment(text)
    except ValueError as problem:
        raise argparse.ArgumentTypeError(str(problem)) from problem


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m authlete_sandbox",
        description="A local, stateful stand-in for the Authlete API.",
        epilog=modes_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    options = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    serve(
        host=options.host,
        port=options.port,
        db=options.db,
        seed=options.seed,
        reseed=options.reseed,
        latency_ms=options.latency_ms,
        public_url=options.public_url,
        modes=dict(options.mode),
    )


if __name__ == "__main__":
    main()
