#!/usr/bin/env bash
# Build the images and run the compose stack (portal, PostgreSQL, Redis and the sandbox profile)
# under a project name of its own, on free host ports, with production settings: DJANGO_DEBUG=0,
# a generated secret key, plain HTTP on localhost. Checks what a deployment relies on, prints one
# line per check, then removes every container, network, volume and image it made, also when a
# check fails. Exits 0 with "skipped: no Docker engine" when Docker cannot be used here.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v docker >/dev/null 2>&1 || ! timeout 20 docker info >/dev/null 2>&1; then
  echo "skipped: no Docker engine"
  exit 0
fi
if ! docker compose version >/dev/null 2>&1; then
  echo "skipped: the Docker engine runs but the docker compose v2 plugin is missing"
  exit 0
fi

started=$SECONDS
project="portal-check-$$-$RANDOM"
work=$(mktemp -d)
failures=0

ok() { printf 'ok    %s\n' "$*"; }
fail() { printf 'FAIL  %s\n' "$*"; failures=$((failures + 1)); }
show() { sed 's/^/      | /' "$@" | tail -n 40; }

# --- Settings for this run only -----------------------------------------------------------------

free_port() {  # a TCP port nothing listens on
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s = socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])'
    return
  fi
  local port
  while :; do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
}
PORTAL_PORT=$(free_port) || true
[ -n "${PORTAL_PORT:-}" ] || { echo "FAIL  cannot find a free TCP port"; exit 1; }

# The sandbox's public demo credentials, read from the sandbox so the two never drift apart.
sandbox_value() { sed -n "s/^$1 = \"\(.*\)\".*/\1/p" authlete_sandbox/__init__.py; }
service_id=$(sandbox_value SERVICE_ID)
service_token=$(sandbox_value SERVICE_TOKEN)
[ -n "$service_id" ] && [ -n "$service_token" ] || {
  echo "FAIL  cannot read SERVICE_ID and SERVICE_TOKEN from authlete_sandbox/__init__.py"
  exit 1
}

# The portal's settings file for this run (compose.yaml reads it through PORTAL_ENV_FILE); a
# developer's .env is never read.
cat >"$work/portal.env" <<ENV
DJANGO_DEBUG=0
DJANGO_SECRET_KEY=$(head -c 64 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 64)
DJANGO_ALLOWED_HOSTS=localhost
DJANGO_SECURE_SSL_REDIRECT=0
GUNICORN_WORKERS=2
AUTHLETE_API_VERSION=v3
AUTHLETE_BASE_URL=http://sandbox:8765
AUTHLETE_SERVICE_ID=$service_id
AUTHLETE_SERVICE_TOKEN=$service_token
# The portal fetches the apps' logos from the sandbox container over the compose network.
PORTAL_LOGO_PRIVATE_HOSTS=sandbox
ENV
# Variables compose.yaml interpolates; exported too, so neither .env nor the caller's
# environment can change them.
export PORTAL_ENV_FILE="$work/portal.env" PORTAL_PORT
printf 'PORTAL_ENV_FILE=%s\nPORTAL_PORT=%s\n' "$PORTAL_ENV_FILE" "$PORTAL_PORT" >"$work/compose.env"
compose=(docker compose --ansi never --project-name "$project" --project-directory .
         --file compose.yaml --env-file "$work/compose.env" --profile sandbox)
portal_image="$project-portal"
sandbox_image="$project-sandbox"

teardown() {
  local status=$?
  trap - EXIT INT TERM
  if [ "$status" != 0 ] || [ "$failures" != 0 ]; then
    local service
    for service in portal sandbox db; do
      echo "      last lines of the $service log:"
      "${compose[@]}" logs --no-color --no-log-prefix --tail 15 "$service" >"$work/$service.log" 2>&1 || true
      show "$work/$service.log"
    done
  fi
  "${compose[@]}" down --volumes --remove-orphans --rmi local --timeout 10 >"$work/down.log" 2>&1 || true
  local left
  left=$( {
    docker ps -aq --filter "label=com.docker.compose.project=$project"
    docker network ls -q --filter "label=com.docker.compose.project=$project"
    docker volume ls -q --filter "label=com.docker.compose.project=$project"
    docker image ls -q "$portal_image"
    docker image ls -q "$sandbox_image"
  } 2>/dev/null | wc -l)
  if [ "$left" = 0 ]; then
    ok "torn down: no container, network, volume or image of $project is left"
  else
    fail "teardown left $left Docker objects of $project behind"
    show "$work/down.log"
    status=1
  fi
  rm -rf "$work"
  [ "$failures" = 0 ] || status=1
  echo "$( [ "$status" = 0 ] && echo passed || echo FAILED ) in $((SECONDS - started)) s"
  exit "$status"
}
trap teardown EXIT
trap 'exit 130' INT TERM

# --- Build ----------------------------------------------------------------------------------------

build_started=$SECONDS
if ! "${compose[@]}" build portal worker sandbox >"$work/build.log" 2>&1; then
  fail "images build"
  show "$work/build.log"
  exit 1
fi
size_mb() { docker image inspect --format '{{.Size}}' "$1" | awk '{printf "%d MB", $1 / 1000000}'; }
ok "images built in $((SECONDS - build_started)) s: portal $(size_mb "$portal_image"), sandbox $(size_mb "$sandbox_image")"

# --- The production image itself ---------------------------------------------------------------

# shellcheck disable=SC2016  # expanded inside the container
found=$(docker run --rm --entrypoint sh "$portal_image" -c '
  for path in .env .git .venv authlete_sandbox tests var; do [ ! -e "/app/$path" ] || echo "/app/$path"; done
  python -c "import authlete_sandbox" 2>/dev/null && echo "importable authlete_sandbox"
  grep -rIl -e sandbox-service-token -e sandbox-service-secret /app /opt/venv 2>/dev/null \
    | head -n 3 | sed "s/^/sandbox credentials in /"
  true')
if [ -z "$found" ]; then
  ok "production image holds no .env, .git, .venv, authlete_sandbox, tests, var or sandbox credentials"
else
  fail "production image holds: $(echo "$found" | paste -sd, - | sed 's/,/, /g')"
fi

user=$(docker image inspect --format '{{.Config.User}}' "$portal_image")
writable=$(docker run --rm --entrypoint sh "$portal_image" -c 'find /app /opt/venv -writable -print | head -n 3')
if [ "$user" = "10001:10001" ] && [ -z "$writable" ]; then
  ok "image runs as uid 10001, and nothing under /app or /opt/venv is writable by it"
else
  fail "image user is '$user'; writable by it: $(echo "$writable" | tr '\n' ' ')"
fi

# --- The stack ------------------------------------------------------------------------------------

if ! "${compose[@]}" up --detach --no-build >"$work/up.log" 2>&1; then
  fail "the stack starts"
  show "$work/up.log"
  exit 1
fi

base="http://localhost:$PORTAL_PORT"
# Every request names the host the portal allows and goes to this machine's loopback only.
web() { curl --silent --show-error --max-time 10 --resolve "localhost:$PORTAL_PORT:127.0.0.1" "$@"; }
status_of() { web --output /dev/null --write-out '%{http_code}' "$@" 2>/dev/null || true; }
wait_for() {  # wait_for SECONDS COMMAND...: retry until the command succeeds
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 1
  done
}

health_of() { docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{end}}' \
                "$("${compose[@]}" ps --quiet "$1")" 2>/dev/null; }
sandbox_healthy() { [ "$(health_of sandbox)" = healthy ]; }
answers_200() { [ "$(status_of "$base$1")" = 200 ]; }
if wait_for 90 sandbox_healthy; then
  ok "sandbox container is healthy (its own health check)"
else
  fail "sandbox container health: '$(health_of sandbox)'"
fi

published=$(docker inspect --format '{{range $p, $b := .NetworkSettings.Ports}}{{if $b}}{{$p}} {{end}}{{end}}' \
              "$("${compose[@]}" ps --quiet sandbox)" 2>/dev/null || true)
if [ -z "$published" ]; then
  ok "the sandbox publishes no port: its unauthenticated /_sandbox control plane stays on the compose network"
else
  fail "the sandbox publishes $published"
fi

if wait_for 120 answers_200 /healthz; then
  ok "GET /healthz answers 200"
else
  fail "GET /healthz answers $(status_of "$base/healthz")"
  exit 1
fi

if "${compose[@]}" exec -T portal python manage.py migrate --check --noinput >"$work/migrate.log" 2>&1; then
  ok "migrations ran on PostgreSQL (migrate --check finds none unapplied)"
else
  fail "migrations: migrate --check"
  show "$work/migrate.log"
fi

worker_running() { "${compose[@]}" ps --status running --services 2>/dev/null | grep -qx worker; }
if wait_for 60 worker_running && "${compose[@]}" exec -T worker python manage.py shell -c \
     "from django_tasks_db.models import DBTaskResult; DBTaskResult.objects.count()" \
     >"$work/worker.log" 2>&1; then
  ok "the task worker runs beside the portal and reaches its queue in PostgreSQL"
else
  fail "the task worker is not running or cannot reach its queue"
  "${compose[@]}" logs worker >>"$work/worker.log" 2>&1 || true
  show "$work/worker.log"
fi

if wait_for 30 answers_200 /readyz; then
  ok "GET /readyz answers 200: $(web "$base/readyz")"
else
  fail "GET /readyz answers $(status_of "$base/readyz"): $(web "$base/readyz")"
fi

if "${compose[@]}" exec -T portal python -m portal.healthcheck; then
  ok "the image's HEALTHCHECK command passes in the portal container"
else
  fail "the image's HEALTHCHECK command fails in the portal container"
fi

# shellcheck disable=SC2016  # expanded inside the container
uids=$("${compose[@]}" exec -T portal sh -c \
  'for f in /proc/[0-9]*/status; do awk "/^Uid:/{print \$2}" "$f" 2>/dev/null; done' | sort -u | tr '\n' ' ')
if [ "$uids" = "10001 " ]; then
  ok "every process in the portal container (gunicorn and its workers) runs as uid 10001"
else
  fail "processes in the portal container run as uids: $uids"
fi

# --- A person signs in and sees their apps ----------------------------------------------------------

"${compose[@]}" exec -T portal python manage.py seed_demo_users >"$work/seed.log" 2>&1 || {
  fail "manage.py seed_demo_users"
  show "$work/seed.log"
  exit 1
}
jar="$work/cookies"
web --cookie-jar "$jar" --cookie "$jar" "$base/accounts/login/" >"$work/login.html" || true
csrf=$(sed -n 's/.*name="csrfmiddlewaretoken" value="\([^"]*\)".*/\1/p' "$work/login.html" | head -n 1)
signed_in=$(web --cookie-jar "$jar" --cookie "$jar" --output /dev/null --write-out '%{http_code} %{redirect_url}' \
  --data-urlencode "csrfmiddlewaretoken=$csrf" --data-urlencode login=john \
  --data-urlencode password=demo-john "$base/accounts/login/" || true)
web --cookie-jar "$jar" --cookie "$jar" --dump-header "$work/apps.headers" "$base/apps/" >"$work/apps.html" || true
apps=$(grep -cE '<li class="app-card[ "]' "$work/apps.html" || true)
if [ "${signed_in%% *}" = 302 ] && [ "$apps" -gt 0 ]; then
  ok "john signs in through the login form (302 to ${signed_in#* }) and /apps/ lists $apps apps"
else
  fail "sign-in answered '$signed_in'; /apps/ lists ${apps:-0} apps"
fi

css=$(grep -o '/static/[^"]*\.[0-9a-f]\{12\}\.css' "$work/apps.html" | head -n 1 || true)
if [ -n "$css" ]; then
  web --dump-header "$work/css.headers" --output /dev/null "$base$css" || true
  css_status=$(awk 'NR == 1 {print $2}' "$work/css.headers")
  max_age=$(grep -i '^cache-control:' "$work/css.headers" | grep -o 'max-age=[0-9]*' | cut -d= -f2 || true)
  if [ "$css_status" = 200 ] && [ "${max_age:-0}" -ge 31536000 ]; then
    ok "whitenoise serves the hashed $css: 200, max-age=$max_age"
  else
    fail "$css answered ${css_status:-nothing}, max-age=${max_age:-none}"
  fi
else
  fail "the apps page links no hashed /static/...css"
fi

logo=$(grep -o '<img class="app-card__logo" src="[^"]*"' "$work/apps.html" | head -n 1 | sed 's/.*src="\([^"]*\)"/\1/' || true)
if [[ $logo == /apps/* ]]; then
  logo_type=$(web --cookie "$jar" --output /dev/null --write-out '%{http_code} %{content_type}' "$base$logo" || true)
  if [ "$logo_type" = "200 image/png" ]; then
    ok "app logos come from the portal, fetched from the sandbox container: $logo answers $logo_type"
  else
    fail "$logo answers '$logo_type'"
  fi
else
  fail "app logo URL '${logo:-none}' is not the portal's own"
fi

# Browsers load images from the portal alone, so no app sees who opens the portal.
img_src=$(tr -d '\r' <"$work/apps.headers" | sed -n 's/^[Cc]ontent-[Ss]ecurity-[Pp]olicy:.*img-src \([^;]*\).*/\1/p')
own_only=no
read -ra sources <<<"$img_src"
for source in "${sources[@]}"; do
  case $source in "'self'") own_only=yes ;; "data:") ;; *) own_only=no; break ;; esac
done
if [ "$own_only" = yes ]; then
  ok "the page's CSP img-src ($img_src) lets browsers load images from the portal alone"
else
  fail "the page's CSP img-src (${img_src:-missing}) allows images from other origins"
fi
