#!/usr/bin/env bash
# Re-extract the portal's marked strings into locale/{fr,ja}/LC_MESSAGES/django.po, then compile
# each catalog into the django.mo committed beside it (so a clone runs without gettext).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh >/dev/null
if ! command -v xgettext >/dev/null 2>&1 || ! command -v msgfmt >/dev/null 2>&1; then
  echo "GNU gettext is needed to extract and compile messages: apt-get install gettext (Debian)," \
    "brew install gettext (macOS)." >&2
  exit 1
fi

# Only the portal speaks: the sandbox, the tests, the scripts and the docs are left out.
# (tests/portal/catalogs.py runs the same extraction to find catalogs that fell behind the code.)
ignored=(--ignore=.venv --ignore=tests --ignore=authlete_sandbox --ignore=scripts
  --ignore=staticfiles --ignore=var --ignore=docs)
.venv/bin/python manage.py makemessages -l fr -l ja --no-obsolete "${ignored[@]}"
.venv/bin/python manage.py compilemessages -l fr -l ja "${ignored[@]}"
