#!/bin/sh
# Container entry point: apply migrations, then serve with gunicorn. `migrate` runs the portal's
# system checks first, so a start they refuse (such as GUNICORN_WORKERS above 1 without a shared
# cache) stops here. The image sets GUNICORN_WORKERS; empty means gunicorn's own one worker, as
# the checks assume.
set -e
python manage.py migrate --noinput
exec gunicorn portal.wsgi \
  --bind "0.0.0.0:${PORT:-8000}" \
  --workers "${GUNICORN_WORKERS:-1}" \
  --threads "${GUNICORN_THREADS:-4}" \
  --timeout "${GUNICORN_TIMEOUT:-30}" \
  --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}" \
  --access-logfile -
