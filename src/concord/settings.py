"""Django settings. Everything that differs between machines comes from ``CONCORD_*`` variables."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("CONCORD_VAR_DIR", Path.cwd() / "var"))

DEBUG = os.environ.get("CONCORD_DEBUG", "0") == "1"
SECRET_KEY = os.environ.get("CONCORD_SECRET_KEY", "concord-development-key-change-me-in-production")
ALLOWED_HOSTS = [
    h for h in os.environ.get("CONCORD_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "concord.alliance",
    "concord.documents",
    "concord.procedures",
    "concord.records",
    "concord.notifications",
    "concord.policy",
    "concord.api",
    "concord.web",
    "ninja",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "concord.web.middleware.RefuseNul",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "concord.web.middleware.SecondFactorRequired",
    "concord.web.middleware.UserPreferences",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "concord.urls"
ASGI_APPLICATION = "concord.asgi.application"
WSGI_APPLICATION = "concord.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "concord.web.context.navigation",
            ]
        },
    }
]


def _database() -> dict:
    url = os.environ.get("CONCORD_DATABASE_URL") or f"sqlite:///{VAR_DIR / 'concord.sqlite3'}"
    config = dj_database_url.parse(url, conn_max_age=0)
    if config["ENGINE"] == "django.db.backends.postgresql":
        # Fail fast when the database is unreachable: pages answer 503 instead of hanging.
        timeout = int(os.environ.get("CONCORD_DB_CONNECT_TIMEOUT", "3"))
        config.setdefault("OPTIONS", {})["connect_timeout"] = timeout
        size = int(os.environ.get("CONCORD_DB_POOL", "10"))
        if size > 0:
            # A pool per process (psycopg_pool): no new connection per request. Waiting for a
            # free connection is bounded like connecting is, so an outage still answers 503.
            config["OPTIONS"]["pool"] = {"min_size": 1, "max_size": size, "timeout": timeout}
            # The pool retries a failed connection after 1, 2, 4, 8… seconds (up to its
            # reconnect timeout of 5 minutes): after an outage of a minute it would stay away
            # for up to another minute. Retry every second instead (one attempt a second per
            # process costs nothing). A class constant of psycopg_pool, set for this process.
            from psycopg_pool.base import AttemptWithBackoff

            AttemptWithBackoff.DELAY_BACKOFF = 1.0
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Writers queue instead of failing: BEGIN IMMEDIATE takes the write lock up front.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        config.setdefault("TEST", {})["NAME"] = os.environ.get("CONCORD_TEST_SQLITE_NAME")
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "alliance.User"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/desk/"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses sign-in after repeated failures
    "django.contrib.auth.backends.ModelBackend",
]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGES = [("en", "English"), ("fr", "Français")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = os.environ.get("CONCORD_STATIC_ROOT") or None  # files are served from the apps
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SECURE = os.environ.get("CONCORD_SECURE_COOKIES", "0") == "1"  # set behind HTTPS
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_HSTS_SECONDS = 31536000 if SECURE else 0
SESSION_COOKIE_AGE = int(os.environ.get("CONCORD_SESSION_SECONDS", str(8 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Guessing: five failed sign-ins for a user name from an address lock it out for 15 minutes;
# second-factor codes are throttled by django-otp itself.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
OTP_TOTP_ISSUER = "Concord"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

EMAIL_BACKEND = os.environ.get(
    "CONCORD_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = os.environ.get("CONCORD_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("CONCORD_EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("CONCORD_EMAIL_FROM", "Concord <concord@localhost>")
#: The address pages, e-mails and feeds use for links back to Concord.
CONCORD_BASE_URL = os.environ.get("CONCORD_BASE_URL", "http://127.0.0.1:8000")
#: Reminders before an expiry, in hours.
CONCORD_REMINDER_HOURS = [
    int(h) for h in os.environ.get("CONCORD_REMINDER_HOURS", "24,1").split(",") if h.strip()
]
#: Without a second factor in the session, a user reaches material only up to this level; with the
#: default ("NONE") every page needs the second factor.
_SECOND_FACTOR_ABOVE = os.environ.get("CONCORD_SECOND_FACTOR_ABOVE", "NONE").strip().upper()
CONCORD_SECOND_FACTOR_REQUIRED = _SECOND_FACTOR_ABOVE == "NONE"
_LEVELS = {"PUBLIC": 0, "UNCLASSIFIED": 1, "RESTRICTED": 2, "CONFIDENTIAL": 3, "SECRET": 4}
if not CONCORD_SECOND_FACTOR_REQUIRED and _SECOND_FACTOR_ABOVE not in _LEVELS:
    raise ImproperlyConfigured(
        f"CONCORD_SECOND_FACTOR_ABOVE is {_SECOND_FACTOR_ABOVE!r}: use NONE or one of "
        + ", ".join(_LEVELS)
    )
CONCORD_SECOND_FACTOR_ABOVE = 0 if CONCORD_SECOND_FACTOR_REQUIRED else _LEVELS[_SECOND_FACTOR_ABOVE]
#: API requests per minute for one token.
CONCORD_API_RATE = os.environ.get("CONCORD_API_RATE", "600/m")
# On PostgreSQL, positions filed through the API with ``Prefer: return=minimal`` are committed in
# batches by each server process (concord.api.batched); 0 sends them through Django one by one.
CONCORD_BATCHED_POSITIONS = os.environ.get("CONCORD_BATCHED_POSITIONS", "1") == "1"
#: Seconds between two looks at the record by a live stream.
CONCORD_LIVE_POLL = float(os.environ.get("CONCORD_LIVE_POLL", "0.25"))

#: How often ``concord worker`` looks for procedures that have reached their expiry.
CONCORD_WORKER_INTERVAL = float(os.environ.get("CONCORD_WORKER_INTERVAL", "1.0"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CONCORD_LOG_LEVEL", "WARNING")},
}
