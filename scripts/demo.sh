#!/usr/bin/env bash
# Run the portal against the local Authlete sandbox, both seeded with the demo world.
# Safe to run again: data is created once and reused. Ctrl-C stops both servers.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${PORT:-8000}
SANDBOX_PORT=${SANDBOX_PORT:-8765}
export AUTHLETE_BASE_URL=${AUTHLETE_BASE_URL:-http://127.0.0.1:$SANDBOX_PORT}

scripts/bootstrap.sh
# The sandbox's public demo credentials; the portal itself has none built in.
if [[ $AUTHLETE_BASE_URL == "http://127.0.0.1:$SANDBOX_PORT" ]]; then
  export AUTHLETE_SERVICE_ID=${AUTHLETE_SERVICE_ID:-$(.venv/bin/python -c 'import authlete_sandbox as s; print(s.SERVICE_ID)')}
  export AUTHLETE_SERVICE_TOKEN=${AUTHLETE_SERVICE_TOKEN:-$(.venv/bin/python -c 'import authlete_sandbox as s; print(s.SERVICE_TOKEN)')}
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
# The task worker settles changes whose outcome a request could not learn.
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

  Press Ctrl-C to stop.
MSG
wait -n "${pids[@]}"
