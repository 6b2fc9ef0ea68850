# Images of the connected-apps portal, built from uv.lock.
#   docker build .                   production (the last stage): gunicorn behind your TLS proxy
#   docker build --target sandbox .  the local Authlete sandbox, for trials and checks only
# No `# syntax=` line: the build needs no image other than python:3.13-slim.

FROM python:3.13-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# The account the servers run as; it owns nothing in the image.
RUN groupadd --gid 10001 portal \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin portal
WORKDIR /app


# The locked runtime dependencies (uv.lock without the test group) in /opt/venv. Only the two
# files that define them are copied, so a source change does not reinstall them.
FROM base AS deps
COPY pyproject.toml uv.lock ./
# uv is pinned in uv.lock itself (test group); it stays in this stage.
RUN uv_version=$(sed -n '/^name = "uv"$/{n;s/^version = "\(.*\)"$/\1/p}' uv.lock) \
 && test -n "$uv_version" \
 && pip install --quiet --root-user-action=ignore "uv==${uv_version}" \
 && UV_PROJECT_ENVIRONMENT=/opt/venv UV_PYTHON_DOWNLOADS=never UV_NATIVE_TLS=1 UV_NO_CACHE=1 \
    UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy \
    uv sync --locked --no-default-groups --no-install-project --python /usr/local/bin/python \
 && rm -f /opt/venv/.lock


# The Authlete sandbox: standard library only, its own image, never part of production.
FROM base AS sandbox
COPY authlete_sandbox/ authlete_sandbox/
USER 10001:10001
EXPOSE 8765
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=5 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8765/_sandbox/faults', timeout=2).status != 200)"]
CMD ["python", "-m", "authlete_sandbox", "--host", "0.0.0.0", "--port", "8765"]


# Production: the default target. Code and collected static files belong to root and are only
# readable by the runtime user; the database lives elsewhere (DATABASE_URL).
FROM base AS production
# GUNICORN_WORKERS is read by scripts/container-start.sh and by the portal's own start check
# (more than one worker needs REDIS_URL), so both see the image's default.
ENV DJANGO_DEBUG=0 \
    GUNICORN_WORKERS=3 \
    PATH=/opt/venv/bin:$PATH
COPY --from=deps /opt/venv /opt/venv
# What the portal needs at run time, by name: a new top-level folder it reads needs a line here.
COPY manage.py ./
COPY scripts/container-start.sh scripts/
COPY portal/ portal/
COPY accounts/ accounts/
COPY connected_apps/ connected_apps/
COPY templates/ templates/
COPY static/ static/
# The compiled catalogs (.mo) are committed, so the image needs no gettext to speak fr and ja.
COPY locale/ locale/
# collectstatic needs settings that pass the production check; these placeholders live only in
# this step, never in the image's environment, and name no real host or service (the in-memory
# database keeps it from creating var/). The container is started with the real ones.
RUN DJANGO_SECRET_KEY=collectstatic-only-$(python -c "import secrets; print(secrets.token_hex(32))") \
    DJANGO_ALLOWED_HOSTS=build.invalid \
    DATABASE_URL=sqlite:///:memory: \
    AUTHLETE_API_VERSION=v3 \
    AUTHLETE_BASE_URL=https://authlete.invalid \
    AUTHLETE_SERVICE_ID=0 \
    AUTHLETE_SERVICE_TOKEN=collectstatic-only \
    python manage.py collectstatic --noinput --verbosity 0 \
 && python -m compileall -q manage.py portal accounts connected_apps

USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-m", "portal.healthcheck"]
CMD ["scripts/container-start.sh"]
