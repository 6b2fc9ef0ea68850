"""Container HEALTHCHECK: GET /healthz on the local gunicorn, exit 0 when it answers 200."""

from __future__ import annotations

import http.client
import os
import sys


def main() -> int:
    # The request must name a host Django accepts, so borrow the first allowed one ("*" and
    # ".example.com" patterns become a name they match).
    allowed = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost").split(",")
    host = allowed[0].strip().lstrip(".")
    if not host or host == "*":
        host = "localhost"
    connection = http.client.HTTPConnection(
        "127.0.0.1", int(os.environ.get("PORT", "8000")), timeout=4
    )
    try:
        connection.request("GET", "/healthz", headers={"Host": host, "X-Forwarded-Proto": "https"})
        return 0 if connection.getresponse().status == 200 else 1
    except OSError:
        return 1
    finally:
        connection.close()


if __name__ == "__main__":
    sys.exit(main())
