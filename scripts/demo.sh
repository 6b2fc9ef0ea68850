#!/usr/bin/env bash
# Run the portal against the local Authlete sandbox, both seeded with the demo world.
# Safe to run again: data is created once and reused. Ctrl-C stops both servers.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${PORT:-8000}
SANDBOX_PORT=${SANDBOX_PORT:-8765}
export AUTHLETE_BASE_URL=${AUTHLETE_BASE_URL:-http://127.0.0.1:$SANDBOX_PORT}
# The demo's e-mails (sent by the task worker) are written as files into var/mail/, never sent;
# set DJANGO_EMAIL_BACKEND and DJANGO_EMAIL_HOST... (see .env.example) to use an SMTP server.
export DJANGO_EMAIL_BACKEND=${DJANGO_EMAIL_BACKEND:-django.core.mail.backends.filebased.EmailBackend}
export DJANGO_EMAIL_FILE_PATH=${DJANGO_EMAIL_FILE_PATH:-$PWD/var/mail}
export PORTAL_BASE_URL=${PORTAL_BASE_URL:-http://127.0.0.1:$PORT}
# A public demo secret for the new-grant webhook, so the README's curl example works here.
export PORTAL_WEBHOOK_SECRET=${PORTAL_WEBHOOK_SECRET:-demo-webhook-secret}

scripts/bootstrap.sh
# The sandbox's public demo credentials; the portal itself has none built in.
if [[ $AUTHLETE_BASE_URL == "http://127.0.0.1:$SANDBOX_PORT" ]]; then
  export AUTHLETE_SERVICE_ID=${AUTHLETE_SERVICE_ID:-$(.venv/bin/python -c 'import authlete_sandbox as s; print(s.SERVICE_ID)')}
  export AUTHLETE_SERVICE_TOKEN=${AUTHLETE_SERVICE_TOKEN:-$(.venv/bin/python -c 'import authlete_sandbox as s; print(s.SERVICE_TOKEN)')}
  # The header names the account as an operator would: the sandbox's service is "Acme Account".
  export PORTAL_SERVICE_NAME=${PORTAL_SERVICE_NAME:-Acme Account}
fi
mkdir -p var
.venv/bin/python manage.py migrate --noinput >/dev/null
.venv/bin/python manage.py seed_demo_users

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo
  echo "Stopped the portal and the sandbox."
}
trap stop INT TERM EXIT

.venv/bin/python -m authlete_sandbox --host 127.0.0.1 --port "$SANDBOX_PORT" \
  --db var/sandbox.sqlite3 --seed demo &
pids+=($!)

for _ in $(seq 1 50); do
  if .venv/bin/python manage.py authlete_check >/dev/null 2>&1; then break; fi
  sleep 0.2
done
.venv/bin/python manage.py authlete_check
# The sandbox starts in the real service's documented default modes; the banner names them.
modes=$(.venv/bin/python -c 'import json, sys, urllib.request
modes = json.load(urllib.request.urlopen(sys.argv[1] + "/_sandbox/modes", timeout=5))
print(", ".join(f"{k}={v}" for k, v in sorted(modes.items())))' "$AUTHLETE_BASE_URL" 2>/dev/null || echo "unknown")

.venv/bin/gunicorn portal.wsgi --bind "127.0.0.1:$PORT" --workers 2 --threads 4 \
  --access-logfile - --log-level warning &
pids+=($!)
# The task worker settles changes whose outcome a request could not learn, and sends e-mails.
.venv/bin/python manage.py db_worker --interval 5 >var/worker.log 2>&1 &
pids+=($!)

cat <<MSG

  Connected apps portal: http://127.0.0.1:$PORT/
  Authlete sandbox:      $AUTHLETE_BASE_URL
  Sandbox modes:         $modes
                         (Authlete's documented defaults; see docs/authlete-behaviours.md)

  Sign in as (username / password):
    john   / demo-john     14 connected apps, more than one page
    alice  / demo-alice    3 connected apps
    carol  / demo-carol    2 connected apps, subject "urn:acme:user/42@example.com"
    bob    / demo-bob      no connected apps yet
    admin  / demo-admin    staff: /admin/ for any user's connected apps and the audit log

  E-mails:               $(if [[ $DJANGO_EMAIL_BACKEND == *filebased* ]]; then echo "written into $DJANGO_EMAIL_FILE_PATH/ (one file per batch), not sent"; else echo "sent by $DJANGO_EMAIL_BACKEND"; fi)
                         (about half a minute after a change; the worker logs to var/worker.log)
  New-grant webhook:     POST $PORTAL_BASE_URL/hooks/grant-issued, secret "$PORTAL_WEBHOOK_SECRET"

  Press Ctrl-C to stop.
MSG
wait -n "${pids[@]}"
