#!/usr/bin/env bash
# Install what the tests need (Debian's Chromium included, when apt-get is allowed) and run them.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh

# Chromium drives the browser tests; nginx balances the two-instance scale-out test; gettext's
# xgettext extracts the marked strings the catalog check compares with locale/.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v xgettext >/dev/null 2>&1 || missing+=(gettext)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian packages for the tests: ${missing[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  elif [[ " ${missing[*]} " == *" chromium "* ]]; then
    echo "Chromium is missing and apt-get is not allowed here: install the 'chromium' package." >&2
    exit 1
  fi
fi

if [[ ${DATABASE_URL:-} == postgres* ]]; then
  scripts/services.sh postgres
fi
if [[ -n ${REDIS_URL:-} ]]; then
  scripts/services.sh redis
fi

echo "Running the suite on ${DATABASE_URL:-SQLite}"
# One worker per core: each gets its own sandbox, live server and test database.
exec .venv/bin/python -m pytest -n auto "$@"
