"""Handoff settings, read from the environment (see `.env.example`).

Development is the default: `DJANGO_DEBUG` unset means debug on, SQLite in the project folder.
Production sets `DJANGO_DEBUG=0`, which switches on every HTTPS and cookie protection and
requires a real `DJANGO_SECRET_KEY` and `DJANGO_ALLOWED_HOSTS`.
"""

import datetime as dt
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name, "").strip()
    return [item.strip() for item in value.split(",") if item.strip()] if value else default


DEBUG = env_bool("DJANGO_DEBUG", True)

_DEV_SECRET_KEY = "django-insecure-handoff-development-key-never-use-in-production"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "").strip() or _DEV_SECRET_KEY
if not DEBUG and SECRET_KEY == _DEV_SECRET_KEY:
    raise ImproperlyConfigured("Set DJANGO_SECRET_KEY when DJANGO_DEBUG=0.")

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "crm.apps.HandoffAdminConfig",  # Django's admin, for staff managers only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "axes",  # login throttling
    "auditlog",  # the audit trail (crm/audit.py)
    "crm",
    "campaigns",
    "leads",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "crm.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "auditlog.middleware.AuditlogMiddleware",  # the signed-in user as the audit log's actor
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]
if env_bool("HANDOFF_SERVER_TIMING", False):
    # Time and query count in a Server-Timing header, for the benchmark harness.
    MIDDLEWARE.insert(0, "crm.middleware.ServerTimingMiddleware")

ROOT_URLCONF = "crm.urls"
WSGI_APPLICATION = "crm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "crm.context_processors.roles",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several gunicorn workers share one SQLite file: WAL lets readers run beside the writer,
    # and IMMEDIATE transactions take the write lock up front, so two workers changing the same
    # lead queue behind each other instead of failing with "database is locked" half-way.
    # Reads go through memory-mapped I/O (the operating system's page cache, shared by every
    # worker and kept between requests) and sorts stay in memory: report pages scan large
    # indexes, and each request opens a fresh connection with an empty page cache.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000; "
            f"PRAGMA mmap_size={env_int('SQLITE_MMAP_BYTES', 2**30)}; PRAGMA temp_store=MEMORY; "
            "PRAGMA cache_size=-65536;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL compiles queries it estimates as costly to machine code (JIT). The report
    # queries are estimated costly but run in a fraction of a second, and compiling them took
    # longer than running them (a quarter's rejections at a million leads: 1.1 s of 1.5 s).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"

# The queries of fixed shape the busy pages run (crm.db: Compiled, Prepared, execute_fixed) are
# prepared on PostgreSQL, once per database session. Turn off behind a pooler that hands a
# session's statements to other clients (PgBouncer in transaction mode).
HANDOFF_PREPARED_QUERIES = env_bool("HANDOFF_PREPARED_QUERIES", True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: shared by every worker and server (rate limits, cached figures) ------------------
_CACHE_URL = os.environ.get("DJANGO_CACHE_URL", "").strip()
if _CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _CACHE_URL,
        }
    }
elif _CACHE_URL.startswith("memcached://"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
            "LOCATION": _CACHE_URL.removeprefix("memcached://"),
        }
    }
elif _CACHE_URL:
    raise ImproperlyConfigured(
        "DJANGO_CACHE_URL must start with redis://, rediss:// or memcached://"
    )
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "handoff_cache",
        }
    }

SESSION_ENGINE = "crm.sessions"  # database sessions, read by a statement compiled once

# --- Auth -----------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    # Refuses a sign-in while its username and address are locked out (below).
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, reading a signed-in user's roles in the same query as the user.
    "crm.auth.RoleBackend",
]
# Password guessing: five wrong passwords for one username from one address lock that pair
# out for 15 minutes (a guesser cannot lock a colleague out from elsewhere); a right password
# clears the count. Attempts are kept in the database, so every server counts together.
AXES_FAILURE_LIMIT = env_int("HANDOFF_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("HANDOFF_LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# The client's address as the landing form's rate limit reads it (behind proxies too).
AXES_CLIENT_IP_CALLABLE = "crm.ratelimit.client_ip"
# The audit trail names related records (a lead's owner) as they read, not by id.
AUDITLOG_USE_FK_STRING_REPRESENTATION = True
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- I18N -----------------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Production serves hashed, compressed files (run `collectstatic`); development and
        # tests read the files where they lie.
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Forms ----------------------------------------------------------------------------------
# Widgets render as Django's own, with <input> written in Python (crm/widgets.py).
FORM_RENDERER = "crm.widgets.FormRenderer"
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("DJANGO_EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", False)
# Links in e-mails point here.
HANDOFF_BASE_URL = os.environ.get("HANDOFF_BASE_URL", "http://127.0.0.1:8000")
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "Handoff <handoff@localhost>")

# --- Public campaign forms ------------------------------------------------------------------
# Reverse proxies in front of the app that append the client's address to X-Forwarded-For
# (crm.ratelimit.client_ip); one when DJANGO_BEHIND_TLS_PROXY says there is a proxy.
HANDOFF_PROXY_COUNT = env_int(
    "HANDOFF_PROXY_COUNT", 1 if env_bool("DJANGO_BEHIND_TLS_PROXY", False) else 0
)
# Submissions one address may send in the window before it is asked to wait.
LANDING_RATE_LIMIT = env_int("HANDOFF_LANDING_RATE_LIMIT", 10)
LANDING_RATE_WINDOW = env_int("HANDOFF_LANDING_RATE_WINDOW", 600)

# Browser imports run in a thread of the web process (and `run_imports` from cron picks up any
# that stopped); tests run them inline.
HANDOFF_IMPORTS_INLINE = env_bool("HANDOFF_IMPORTS_INLINE", False)

# --- Security -------------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
# Sent on every response (crm.middleware). Scripts only from our own static files: no inline
# script or event handler anywhere in the templates. Inline style attributes stay allowed
# (progress and attainment bars set their width); Bootstrap's icons are data: images.
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
CSRF_FAILURE_VIEW = "crm.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    # Load balancers probe health over plain HTTP inside the private network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", True)
    if env_bool("DJANGO_BEHIND_TLS_PROXY", False):
        # Only behind a proxy that strips and sets this header itself.
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}

# Who the proposals are from: printed in the header of every proposal document.
HANDOFF_COMPANY_NAME = os.environ.get("HANDOFF_COMPANY_NAME", "Handoff Software Ltd")
HANDOFF_COMPANY_ADDRESS = os.environ.get("HANDOFF_COMPANY_ADDRESS", "1 Example Street, Springfield")
HANDOFF_COMPANY_EMAIL = os.environ.get("HANDOFF_COMPANY_EMAIL", "sales@handoff.example")
HANDOFF_CURRENCY = os.environ.get("HANDOFF_CURRENCY", "USD")
