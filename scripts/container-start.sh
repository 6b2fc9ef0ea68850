#!/bin/sh
# Container entry point: apply migrations, then serve with gunicorn.
set -e
python manage.py migrate --noinput
exec gunicorn portal.wsgi \
  --bind "0.0.0.0:${PORT:-8000}" \
  --workers "${GUNICORN_WORKERS:-3}" \
  --threads "${GUNICORN_THREADS:-4}" \
  --timeout "${GUNICORN_TIMEOUT:-30}" \
  --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}" \
  --access-logfile -
