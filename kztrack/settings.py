"""kztrack settings: one module, read from the environment.

Every setting has a default that lets a fresh checkout run (`make run`: SQLite and a
filesystem broker under var/). Production sets the variables listed in README.md.
Bad values fail loudly at start-up rather than at the first request.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str) -> str:
    """The variable as a string, or the default when unset."""
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    """The variable as a boolean; anything but a clear yes/no is an error."""
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), not {value!r}")


def env_int(name: str, default: int) -> int:
    """The variable as an integer; anything else is an error."""
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    """The variable as a comma-separated list."""
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_url(name: str, default: str, schemes: set[str]) -> str:
    """The variable as a URL whose scheme is one of `schemes`."""
    value = env_str(name, default)
    scheme = urlparse(value).scheme
    if scheme not in schemes:
        allowed = ", ".join(sorted(schemes))
        raise ImproperlyConfigured(f"{name} must be a URL with scheme {allowed}, not {value!r}")
    return value


VAR_DIR = Path(env_str("KZTRACK_VAR_DIR", str(BASE_DIR / "var")))

# KZTRACK_ENV=production is the one switch for a deployment: it refuses to start without
# SECRET_KEY or with DEBUG on, and turns on the transport security settings (see the
# security section). Anything else is development: `make run` and `make test` need no secret.
KZTRACK_ENV = env_str("KZTRACK_ENV", "development").strip().lower()
if KZTRACK_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(
        f"KZTRACK_ENV must be development or production, not {KZTRACK_ENV!r}"
    )
PRODUCTION = KZTRACK_ENV == "production"

DEBUG = env_bool("DEBUG", False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when KZTRACK_ENV=production")
# A development-only key, public in this repository: production must set its own.
DEVELOPMENT_SECRET_KEY = "insecure-development-key-set-SECRET_KEY-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if PRODUCTION:
    if not SECRET_KEY:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set in the environment when KZTRACK_ENV=production"
        )
    if SECRET_KEY == DEVELOPMENT_SECRET_KEY or SECRET_KEY.startswith("insecure-"):
        raise ImproperlyConfigured(
            "SECRET_KEY is the public development key: production needs its own secret"
        )
SECRET_KEY = SECRET_KEY or DEVELOPMENT_SECRET_KEY

# Backups meant to be trusted: export_events signs them with HMAC-SHA256 under this key,
# and import_events then refuses a file that is unsigned or signed with another key.
BACKUP_HMAC_KEY = env_str("BACKUP_HMAC_KEY", "")

SITE_URL = env_url("SITE_URL", "http://127.0.0.1:8000", {"http", "https"}).rstrip("/")
SITE_DOMAIN = urlparse(SITE_URL).hostname or "localhost"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [SITE_DOMAIN, "127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [SITE_URL])

INSTALLED_APPS = [
    "timeline",  # first: its `flush` command knows the event log's triggers
    "feeds",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "anymail",
    "csp",
    "axes",  # last of the apps, as django-axes asks
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kztrack.middleware.RefuseUnstorableAdminQuery",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out login into its 429 page
]

ROOT_URLCONF = "kztrack.urls"
WSGI_APPLICATION = "kztrack.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: SQLite under var/ by default, PostgreSQL in CI and production.
DATABASE_URL = env_url(
    "DATABASE_URL", f"sqlite:///{VAR_DIR / 'kztrack.sqlite3'}", {"sqlite", "postgres", "postgresql"}
)
# Persistent connections in production: connecting to PostgreSQL for every request cost
# the API a few milliseconds each, and most of its slow tail (bench/README.md).
DB_CONN_MAX_AGE = env_int("DB_CONN_MAX_AGE", 60 if PRODUCTION else 0)
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=DB_CONN_MAX_AGE, conn_health_checks=DB_CONN_MAX_AGE > 0
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so appends queue instead of failing on upgrade.
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Content is French first; the interface also speaks English.
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Brussels"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
if STATIC_ROOT.is_dir():
    # Collected files (the docker image runs collectstatic): gunicorn serves them through
    # WhiteNoise, with no proxy in front. `make run` has DEBUG and runserver instead.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

# Redis, when given, backs the cache and the Celery broker.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    env_url("REDIS_URL", REDIS_URL, {"redis", "rediss"})
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "kztrack"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: Redis in production; kombu's filesystem transport (no server) by default.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        # The exchange bindings; kombu's default is ./control, wherever the process starts.
        "control_folder": str(_broker_dir / "control"),
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULE = {
    "publish-last-weeks-digest": {
        "task": "feeds.tasks.publish_last_weeks_digest",
        # Monday 07:00 in Europe/Brussels (CELERY_TIMEZONE).
        "schedule": crontab(minute=0, hour=7, day_of_week="mon"),
    },
    # Sends deliveries whose task was lost with a dead worker (feeds/deliveries.py).
    "resume-deliveries": {
        "task": "feeds.tasks.resume_deliveries",
        "schedule": crontab(minute="*/5"),
    },
}

# Email: files under var/mail/ by default, SMTP in production.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", f"kztrack <digest@{SITE_DOMAIN}>")
# An ESP through django-anymail: EMAIL_BACKEND=anymail.backends.postmark.EmailBackend (or
# amazon_ses, mailgun, brevo...) and its settings as ANYMAIL_<NAME> variables, such as
# ANYMAIL_POSTMARK_SERVER_TOKEN. ANYMAIL_WEBHOOK_SECRET ("user:password") guards the
# tracking webhooks at /anymail/<esp>/tracking/ (bounces and complaints suppress).
ANYMAIL = {
    name.removeprefix("ANYMAIL_"): value
    for name, value in os.environ.items()
    if name.startswith("ANYMAIL_") and value
}

# The digest's numbering starts here; an empty week makes no issue unless told otherwise.
DIGEST_FIRST_NUMBER = env_int("DIGEST_FIRST_NUMBER", 1)
DIGEST_PUBLISH_EMPTY_WEEKS = env_bool("DIGEST_PUBLISH_EMPTY_WEEKS", False)
# A delivery claimed by a worker that died is sent again once this lease has run out; it
# must outlast one SMTP exchange (EMAIL_TIMEOUT per step). Transient SMTP errors are
# retried after base, 2×base, 4×base… seconds.
DIGEST_DELIVERY_LEASE_SECONDS = env_int("DIGEST_DELIVERY_LEASE_SECONDS", 600)
DIGEST_RETRY_BACKOFF_SECONDS = env_int("DIGEST_RETRY_BACKOFF_SECONDS", 60)

# Security: strict when KZTRACK_ENV=production; each setting can still be overridden.
# Production runs behind a TLS-terminating proxy that sets X-Forwarded-Proto (and must
# overwrite any value a client sent); /healthz stays reachable over plain HTTP for probes.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", SECURE_HSTS_SECONDS > 0)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", SECURE_HSTS_SECONDS > 0)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp), the same in development so a violation shows early.
# Pages load scripts, styles and images from this site only: no inline script (JSON-LD in
# <script type="application/ld+json"> is data, which CSP does not block), no CDN.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Admin logins are rate-limited by django-axes (attempts kept in the database, so every
# gunicorn worker sees them): after LOGIN_FAILURE_LIMIT wrong passwords for one username,
# or from one client address, further attempts are refused (HTTP 429) for
# LOGIN_COOLOFF_MINUTES. Code that authenticates must pass the request (axes needs it);
# tests log in with `client.force_login`.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15))
# A lockout is by username AND the client's address (the inner list), never by username
# alone: usernames are not secret, and wrong passwords sent from elsewhere must not lock a
# real editor out. The address alone also counts, so one address cannot spray passwords
# over many usernames.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Behind TRUSTED_PROXIES proxies REMOTE_ADDR is the last proxy's; each proxy appends the
# address it saw to X-Forwarded-For, so only that many entries from the right are true.
TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 1 if PRODUCTION else 0)


def client_ip(request) -> str:
    """The client's address, as far as the trusted proxies vouch for it."""
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [a for a in forwarded if a]
    if TRUSTED_PROXIES and len(forwarded) >= TRUSTED_PROXIES:
        return forwarded[-TRUSTED_PROXIES]
    return request.META.get("REMOTE_ADDR", "")


AXES_CLIENT_IP_CALLABLE = client_ip

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
