"""Settings for the connected-apps portal: one module, every deployment difference an env variable.

With no environment at all this is the local demo: DEBUG on, SQLite in var/, and the Authlete
sandbox on 127.0.0.1:8765. Production sets DJANGO_DEBUG=0 and the variables in .env.example.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _env_number[N: (int, float)](name: str, default: N, kind: type[N], what: str) -> N:
    raw = os.environ.get(name, "")
    try:
        return kind(raw) if raw.strip() else default
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be {what}, not {raw!r}.") from exc


def _env_float(name: str, default: float) -> float:
    return _env_number(name, default, float, "a number of seconds")


def _env_int(name: str, default: int) -> int:
    return _env_number(name, default, int, "a whole number")


BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PORTAL_VAR_DIR", BASE_DIR / "var"))

# The demo key is public; production refuses to start with it (see the check at the end).
DEMO_SECRET_KEY = "demo-only-insecure-key-do-not-use-in-production-0123456789abcdef"  # noqa: S105

# --- Core -------------------------------------------------------------------------------------

ALLOWED_HOSTS = _env_list("DJANGO_ALLOWED_HOSTS")
DEBUG = _env_bool("DJANGO_DEBUG", True)
ROOT_URLCONF = "portal.urls"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", DEMO_SECRET_KEY)
WSGI_APPLICATION = "portal.wsgi.application"

if DEBUG:
    ALLOWED_HOSTS = [*ALLOWED_HOSTS, "localhost", "127.0.0.1", "[::1]", "testserver"]

# --- Applications -----------------------------------------------------------------------------

INSTALLED_APPS = [
    "accounts",
    "connected_apps",
    "portal.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.humanize",
    "django.contrib.messages",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks_db",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.language.UserLanguageMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "portal.middleware.AuthleteDeadlineMiddleware",
    "portal.middleware.NoStoreWhenSignedInMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "accounts.context_processors.navigation",
                "connected_apps.context_processors.brand",
                "django.template.context_processors.csp",
                "django.template.context_processors.debug",
                "django.template.context_processors.i18n",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database and cache -----------------------------------------------------------------------

if not os.environ.get("DATABASE_URL"):
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # the demo's SQLite file lives here
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
        conn_max_age=_env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Writers wait for each other instead of failing with "database is locked"; the test
    # database is a file too, since an in-memory one shares locks that no wait resolves.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-portal.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "portal",
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    # Each client's metadata is one entry: the default 300 would evict the metadata of a large
    # account's apps while reading them.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        }
    }
# The gunicorn worker processes serving the site; scripts/container-start.sh starts this many.
# Rate limits count in the cache, so more than one worker needs a shared one (portal/checks.py).
GUNICORN_WORKERS = _env_int("GUNICORN_WORKERS", 1)

# Background work (settling changes whose outcome a request could not learn) is queued in the
# database and run by `manage.py db_worker`, which `make demo` and compose start beside the site.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Authentication ---------------------------------------------------------------------------

ACCOUNT_EMAIL_VERIFICATION = os.environ.get("ACCOUNT_EMAIL_VERIFICATION", "optional")
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
# How many proxies in front of the portal append to X-Forwarded-For (1 behind one TLS proxy).
# The client's address is taken that far from the right, for sign-in limits and the audit alike;
# 0 trusts no header and uses the connection's address.
ALLAUTH_TRUSTED_PROXY_COUNT = _env_int("DJANGO_TRUSTED_PROXY_COUNT", 0)
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_ADAPTER = "accounts.allauth.AccountAdapter"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
LOGIN_REDIRECT_URL = "connected_apps:list"
LOGIN_URL = "account_login"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
SOCIALACCOUNT_ADAPTER = "accounts.allauth.SocialAccountAdapter"

# Optional sign-in through an OpenID Connect provider, usually the authorization server whose
# grants this portal manages. Configured entirely from the environment; absent means off.
OIDC_PROVIDER_ID = os.environ.get("OIDC_PROVIDER_ID", "authserver")
SOCIALACCOUNT_PROVIDERS: dict[str, dict] = {}
if os.environ.get("OIDC_SERVER_URL"):
    SOCIALACCOUNT_PROVIDERS["openid_connect"] = {
        "APPS": [
            {
                "provider_id": OIDC_PROVIDER_ID,
                "name": os.environ.get("OIDC_NAME") or gettext_lazy("Single sign-on"),
                "client_id": os.environ.get("OIDC_CLIENT_ID", ""),
                "secret": os.environ.get("OIDC_CLIENT_SECRET", ""),
                "settings": {"server_url": os.environ["OIDC_SERVER_URL"]},
            }
        ],
        "OAUTH_PKCE_ENABLED": True,
    }

# Local sign-up stays closed: with subjects derived from usernames, an open sign-up would let a
# stranger claim the username of an existing subject. People arrive by invitation or through OIDC.
PORTAL_ALLOW_SIGNUP = _env_bool("PORTAL_ALLOW_SIGNUP", False)

_oidc_url = urlsplit(os.environ.get("OIDC_SERVER_URL", ""))
OIDC_FORM_ACTION = [f"{_oidc_url.scheme}://{_oidc_url.netloc}"] if _oidc_url.netloc else []

# How a signed-in user maps to an Authlete subject, and to a client developer name for the
# developer page (see accounts/subjects.py). An empty developer attribute means admin-set only.
PORTAL_DEVELOPER_ATTRIBUTE = os.environ.get("PORTAL_DEVELOPER_ATTRIBUTE", "")
PORTAL_SUBJECT_ATTRIBUTE = os.environ.get("PORTAL_SUBJECT_ATTRIBUTE", "username")

# --- Authlete ---------------------------------------------------------------------------------

AUTHLETE_API_KEY = os.environ.get("AUTHLETE_API_KEY", "")
AUTHLETE_API_SECRET = os.environ.get("AUTHLETE_API_SECRET", "")
AUTHLETE_API_VERSION = os.environ.get("AUTHLETE_API_VERSION", "v3").strip().lower()
AUTHLETE_BASE_URL = os.environ.get("AUTHLETE_BASE_URL", "http://127.0.0.1:8765")
# After this many consecutive calls that found Authlete unavailable, a worker process stops
# calling it for the cool-down (seconds), then tries one call; 0 failures turns this off.
# One second: a worker notices within about a second that Authlete answers again, and a down
# Authlete still sees at most one trial call a second from each worker.
AUTHLETE_BREAKER_COOLDOWN = _env_float("AUTHLETE_BREAKER_COOLDOWN", 1.0)
AUTHLETE_BREAKER_FAILURES = _env_int("AUTHLETE_BREAKER_FAILURES", 5)
AUTHLETE_CONNECT_TIMEOUT = _env_float("AUTHLETE_CONNECT_TIMEOUT", 2.0)
AUTHLETE_DEADLINE = _env_float("AUTHLETE_DEADLINE", 8.0)
AUTHLETE_MAX_RETRIES = _env_int("AUTHLETE_MAX_RETRIES", 2)
AUTHLETE_READ_TIMEOUT = _env_float("AUTHLETE_READ_TIMEOUT", 5.0)
# No default: `make demo` passes the local sandbox's demo credentials in.
AUTHLETE_SERVICE_ID = os.environ.get("AUTHLETE_SERVICE_ID", "")
# v2 only: the service owner's key and secret, which Authlete requires to read the service
# (scope descriptions). Without them pages show scope names instead of their descriptions.
AUTHLETE_SERVICE_OWNER_API_KEY = os.environ.get("AUTHLETE_SERVICE_OWNER_API_KEY", "")
AUTHLETE_SERVICE_OWNER_API_SECRET = os.environ.get("AUTHLETE_SERVICE_OWNER_API_SECRET", "")
AUTHLETE_SERVICE_TOKEN = os.environ.get("AUTHLETE_SERVICE_TOKEN", "")
# Refused attempts (an app not yours, an invalid form, too many changes...) the audit records
# per person, or per address when signed out, each minute; the first one over says more
# followed, the rest are not recorded one by one. 0 records every one.
PORTAL_AUDIT_REFUSALS_PER_MINUTE = _env_int("PORTAL_AUDIT_REFUSALS_PER_MINUTE", 20)
# Where people reach the portal: e-mails link to it, so the links must be absolute.
PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# Client metadata (logo, links) changes rarely; the list page reads it from this cache.
PORTAL_CLIENT_CACHE_SECONDS = _env_int("PORTAL_CLIENT_CACHE_SECONDS", 300)
# The portal fetches app logos itself (public https only) and serves them from its own origin.
# Hosts named here may also be reached on a private or loopback network, over plain http too:
# the local sandbox in the demo (this machine), the sandbox container in a trial ("sandbox").
# In production leave it empty, so no app can point the portal at an internal address.
PORTAL_LOGO_PRIVATE_HOSTS = _env_list(
    "PORTAL_LOGO_PRIVATE_HOSTS", "127.0.0.1,localhost,::1" if DEBUG else ""
)
# E-mails about confirmed changes wait this long, so that changes made together (a "disconnect
# all") reach the person as one e-mail; a failed send is tried this many times in all, with a
# growing pause between tries (connected_apps/notifications/delivery.py).
PORTAL_NOTIFY_DELAY_SECONDS = _env_int("PORTAL_NOTIFY_DELAY_SECONDS", 20)
PORTAL_NOTIFY_MAX_ATTEMPTS = _env_int("PORTAL_NOTIFY_MAX_ATTEMPTS", 8)
PORTAL_PAGE_SIZE = _env_int("PORTAL_PAGE_SIZE", 10)
# How long a person's list index (every app's name and the facts ordering needs) is kept, in
# seconds. Any change attempted in the portal renews it at once; this bounds how long an app
# connected elsewhere takes to show in a list of more than 100 apps (services/index.py).
PORTAL_LIST_INDEX_SECONDS = _env_int("PORTAL_LIST_INDEX_SECONDS", 60)
# /readyz reuses its Authlete answer this long, so probes (or anyone) cannot turn it into a flood
# of Authlete calls; and each client address may ask this often a minute (0: no limit).
PORTAL_READYZ_CACHE_SECONDS = _env_int("PORTAL_READYZ_CACHE_SECONDS", 10)
PORTAL_READYZ_PER_MINUTE = _env_int("PORTAL_READYZ_PER_MINUTE", 60)
# The name people know the account by ("Acme Account"): the header's brand, and "Made by …" on
# the service's own apps. Empty: the header says "Connected apps", and "Made by" uses the
# Authlete service's serviceName.
PORTAL_SERVICE_NAME = os.environ.get("PORTAL_SERVICE_NAME", "").strip()
# Where people reach support: an https:// page or a mailto: address. Empty: pages say "contact
# support" without a link.
PORTAL_SUPPORT_URL = os.environ.get("PORTAL_SUPPORT_URL", "").strip()
if PORTAL_SUPPORT_URL and not PORTAL_SUPPORT_URL.lower().startswith(
    ("https://", "http://", "mailto:")
):
    raise ImproperlyConfigured("PORTAL_SUPPORT_URL must be an http(s):// or mailto: address.")
# Disconnecting an app from everyone (incident response) sends Authlete at most this many calls
# a second, well under the 100 a second Authlete's rate-limit documentation states, so pages
# keep working meanwhile; a 429 makes it wait as Retry-After says. The task worker works on one
# sweep in slices of this many seconds, so other background work is not held up behind it.
PORTAL_SWEEP_REQUESTS_PER_SECOND = _env_number(
    "PORTAL_SWEEP_REQUESTS_PER_SECOND", 20.0, float, "a number of calls a second"
)
PORTAL_SWEEP_SLICE_SECONDS = _env_float("PORTAL_SWEEP_SLICE_SECONDS", 20.0)
# Changes (narrow, revoke, end a token, edit a client) one person may make per minute, and
# registration API calls one address may make per minute; 0 turns the limit off.
PORTAL_WRITES_PER_MINUTE = _env_int("PORTAL_WRITES_PER_MINUTE", 30)
# The shared secret the authorization server signs /hooks/grant-issued calls with; unset, that
# endpoint answers 404 as if it did not exist (connected_apps/notifications/webhook.py).
PORTAL_WEBHOOK_SECRET = os.environ.get("PORTAL_WEBHOOK_SECRET", "")
# Staff may extend a token's expiry to at most this many days after it was issued.
PORTAL_TOKEN_MAX_LIFETIME_DAYS = _env_int("PORTAL_TOKEN_MAX_LIFETIME_DAYS", 90)

# --- Internationalisation ---------------------------------------------------------------------

# Each language's date formats: ours where Django's are uneven (portal/formats/), else Django's.
FORMAT_MODULE_PATH = ["portal.formats"]
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ja", "日本語"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------------------------

STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


def _deny_framing(headers: dict[str, str], path: str, url: str) -> None:
    # The CSP's frame-ancestors covers current browsers; older ones only know this header.
    headers["X-Frame-Options"] = "DENY"


WHITENOISE_ADD_HEADERS_FUNCTION = _deny_framing

# --- Security ---------------------------------------------------------------------------------

CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = not DEBUG
CSRF_TRUSTED_ORIGINS = _env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "base-uri": [CSP.SELF],
    # allauth starts OIDC sign-in with a POST that redirects to the provider.
    "form-action": [CSP.SELF, *OIDC_FORM_ACTION],
    "frame-ancestors": [CSP.NONE],
    # App logos come from the portal itself (connected_apps/views/logos.py), so no app learns
    # who opens the portal and when; data: is the QR code allauth draws for a second factor.
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
}
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_HSTS_SECONDS = 0 if DEBUG else _env_int("DJANGO_HSTS_SECONDS", 31_536_000)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if _env_bool("DJANGO_BEHIND_TLS_PROXY", False) else None
)
# Probes answer over plain HTTP on the container's own port.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_REFERRER_POLICY = "same-origin"
SECURE_SSL_REDIRECT = _env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
# A signed-in session can disconnect every app a person has (and a staff one, anyone's), so it
# ends after a working day: 12 hours, unless the person chose not to be remembered, which ends it
# with the browser.
SESSION_COOKIE_AGE = _env_int("DJANGO_SESSION_COOKIE_AGE", 12 * 60 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEBUG
X_FRAME_OPTIONS = "DENY"

# --- Email and logging ------------------------------------------------------------------------

DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "portal@localhost")
_EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND",
    f"django.core.mail.backends.{'console' if DEBUG else 'smtp'}.EmailBackend",
)
# Each backend takes its own options: SMTP its server (with a timeout, so a server that is down
# fails the send quickly and the task worker tries again later), the file backend its folder.
_EMAIL_OPTIONS: dict[str, object] = {}
if _EMAIL_BACKEND.endswith("smtp.EmailBackend"):
    _EMAIL_OPTIONS = {
        "host": os.environ.get("DJANGO_EMAIL_HOST", "localhost"),
        "port": _env_int("DJANGO_EMAIL_PORT", 25),
        "username": os.environ.get("DJANGO_EMAIL_HOST_USER", ""),
        "password": os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", ""),
        "use_tls": _env_bool("DJANGO_EMAIL_USE_TLS", False),
        "use_ssl": _env_bool("DJANGO_EMAIL_USE_SSL", False),
        "timeout": _env_float("DJANGO_EMAIL_TIMEOUT", 10.0),
    }
elif _EMAIL_BACKEND.endswith("filebased.EmailBackend"):
    _EMAIL_OPTIONS = {"file_path": os.environ.get("DJANGO_EMAIL_FILE_PATH", str(VAR_DIR / "mail"))}
MAILERS = {"default": {"BACKEND": _EMAIL_BACKEND, "OPTIONS": _EMAIL_OPTIONS}}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.server": {"level": "WARNING"},
        # urllib3 logs each retry with the request's path and query, which can name a subject;
        # our own Authlete log line says what was retried without it.
        "urllib3.connectionpool": {"level": "ERROR"},
    },
}

# --- Refuse an insecure production start ------------------------------------------------------

# DEBUG is on unless told otherwise, for the local demo; a deployment that forgets DJANGO_DEBUG
# would serve the demo (public secret key, error pages with tracebacks) under its real name.
_DEMO_HOSTS = {"localhost", "127.0.0.1", "[::1]"}
_named_hosts = [host for host in _env_list("DJANGO_ALLOWED_HOSTS") if host not in _DEMO_HOSTS]
if _named_hosts and not os.environ.get("DJANGO_DEBUG", "").strip():
    raise ImproperlyConfigured(
        f"Refusing to start: DJANGO_ALLOWED_HOSTS names {', '.join(_named_hosts)} but "
        "DJANGO_DEBUG is not set, and it defaults to on for the local demo. Set DJANGO_DEBUG=0 "
        "to deploy, or DJANGO_DEBUG=1 to run the demo on that host on purpose."
    )


def _authlete_settings_missing() -> list[str]:
    """What production lacks to reach Authlete; the base URL must be named, since its default
    is the local sandbox."""
    if AUTHLETE_API_VERSION not in {"v2", "v3"}:
        return [f"AUTHLETE_API_VERSION must be v3 or v2, not {AUTHLETE_API_VERSION!r}"]
    needed = ["AUTHLETE_BASE_URL"]
    needed += (
        ["AUTHLETE_SERVICE_ID", "AUTHLETE_SERVICE_TOKEN"]
        if AUTHLETE_API_VERSION == "v3"
        else ["AUTHLETE_API_KEY", "AUTHLETE_API_SECRET"]
    )
    missing = [name for name in needed if not os.environ.get(name, "").strip()]
    return [f"Authlete API {AUTHLETE_API_VERSION} needs {', '.join(missing)}"] if missing else []


if not DEBUG:
    problems = []
    if SECRET_KEY == DEMO_SECRET_KEY or len(SECRET_KEY) < 40:
        problems.append("DJANGO_SECRET_KEY must be set to a long random value")
    if not ALLOWED_HOSTS:
        problems.append("DJANGO_ALLOWED_HOSTS must list the host names the portal answers to")
    problems += _authlete_settings_missing()
    if problems:
        raise ImproperlyConfigured(
            "Refusing to start with DJANGO_DEBUG off: " + "; ".join(problems) + "."
        )
