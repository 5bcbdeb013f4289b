"""Django settings for zhaoshang.

Every value that differs between machines comes from an environment variable read by the
typed helpers in ``zhaoshang.env``; ``.env.example`` lists them all.  With no variable set,
the app runs in development mode on an embedded SQLite database under ``data/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dj_database_url
from django.utils.translation import gettext_lazy as _

from zhaoshang.env import ImproperlySetError, env_bool, env_choice, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("ZS_DATA_DIR", str(BASE_DIR / "data")))

_DEV_SECRET = "dev-only-secret-key-not-for-production"  # noqa: S105 - refused in production below
DEBUG = env_bool("ZS_DEBUG", True)
PRODUCTION = env_bool("ZS_PRODUCTION", False)
SECRET_KEY = env_str("ZS_SECRET_KEY", _DEV_SECRET)
if PRODUCTION:
    if DEBUG:
        raise ImproperlySetError("ZS_PRODUCTION=1 refuses to start with ZS_DEBUG on")
    if SECRET_KEY == _DEV_SECRET or len(SECRET_KEY) < 32:
        raise ImproperlySetError("ZS_PRODUCTION=1 needs ZS_SECRET_KEY of at least 32 characters")

ALLOWED_HOSTS = env_list("ZS_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("ZS_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_htmx",
    "zhaoshang.core",
    "zhaoshang.org",
    "zhaoshang.jobs",
    "zhaoshang.enterprises",
    "zhaoshang.projects",
    "zhaoshang.screening",
    "zhaoshang.evaluation",
    "zhaoshang.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "zhaoshang.core.middleware.DefaultLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "zhaoshang.core.middleware.RequestContextMiddleware",
    "zhaoshang.core.middleware.DatabaseBusyMiddleware",
    "zhaoshang.core.middleware.BadParameterMiddleware",
]

ROOT_URLCONF = "zhaoshang.urls"
WSGI_APPLICATION = "zhaoshang.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "zhaoshang" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "zhaoshang.jobs.context_processors.active_jobs",
            ],
        },
    }
]

DATA_DIR.mkdir(parents=True, exist_ok=True)
_default_db = "sqlite:///" + str(DATA_DIR / "zhaoshang.sqlite3")
DATABASES = {"default": dj_database_url.parse(env_str("DATABASE_URL", "") or _default_db)}
# Several people write at once (docs/architecture.md, "Nothing lost"): a writer waits for the
# one before it instead of failing; a write that still cannot get the database is answered
# 503, "nothing was saved, try again" (core.middleware.DatabaseBusyMiddleware).
ZS_SQLITE_BUSY_SECONDS = env_int("ZS_SQLITE_BUSY_SECONDS", 30)
if ZS_SQLITE_BUSY_SECONDS < 0:
    raise ImproperlySetError("ZS_SQLITE_BUSY_SECONDS must be 0 or more")
ZS_DB_POOL = env_bool("ZS_DB_POOL", True)
ZS_DB_POOL_MIN = env_int("ZS_DB_POOL_MIN", 2)
ZS_DB_POOL_MAX = env_int("ZS_DB_POOL_MAX", 10)
ZS_DB_POOL_TIMEOUT = env_int("ZS_DB_POOL_TIMEOUT", 10)
ZS_DB_CONN_MAX_AGE = env_int("ZS_DB_CONN_MAX_AGE", 60)
if ZS_DB_POOL_MIN < 0 or ZS_DB_POOL_MAX < 1 or ZS_DB_POOL_MAX < ZS_DB_POOL_MIN:
    raise ImproperlySetError("ZS_DB_POOL_MAX must be 1 or more and ZS_DB_POOL_MIN between 0 and ZS_DB_POOL_MAX")
if ZS_DB_POOL_TIMEOUT < 1:
    raise ImproperlySetError("ZS_DB_POOL_TIMEOUT must be 1 or more")
if ZS_DB_CONN_MAX_AGE < 0:
    raise ImproperlySetError("ZS_DB_CONN_MAX_AGE must be 0 or more")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while a writer commits; IMMEDIATE takes the write lock at the
    # start of a transaction, so that a writer waits there (up to the busy timeout) rather
    # than failing on a lock upgrade half-way through.
    DATABASES["default"]["OPTIONS"] = {
        # A connection lives for one request: memory-mapped reads share the OS page cache
        # between them; the larger page cache serves imports that write 100,000 rows.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            "PRAGMA mmap_size=268435456; PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": ZS_SQLITE_BUSY_SECONDS,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and ZS_DB_POOL:
    # A bounded pool per process (psycopg-pool): at most ZS_DB_POOL_MAX connections, kept
    # open between requests; a request finding none free waits ZS_DB_POOL_TIMEOUT seconds
    # and is then answered 503.  Django's pool needs CONN_MAX_AGE=0 (the pool keeps them).
    DATABASES["default"]["OPTIONS"] = {
        **DATABASES["default"].get("OPTIONS", {}),
        "pool": {"min_size": ZS_DB_POOL_MIN, "max_size": ZS_DB_POOL_MAX, "timeout": ZS_DB_POOL_TIMEOUT},
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # The pool hands out only connections that still answer (after a database restart).
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    # No pool: one connection per thread, kept ZS_DB_CONN_MAX_AGE seconds between requests.
    DATABASES["default"]["CONN_MAX_AGE"] = ZS_DB_CONN_MAX_AGE
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "zhaoshang" / "locale"]
TIME_ZONE = env_str("ZS_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Front-end packages are installed from the npm registry by `make` and served from here;
# nothing is loaded from a CDN, so the app works on an intranet with no internet.
STATICFILES_DIRS = [
    BASE_DIR / "zhaoshang" / "static",
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", BASE_DIR / "node_modules" / "bootstrap-icons" / "font"),
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/echarts", BASE_DIR / "node_modules" / "echarts" / "dist"),
]
WHITENOISE_USE_FINDERS = DEBUG

# Upload checks happen before any parsing (see zhaoshang.core.tabular.uploads).
ZS_UPLOAD_MAX_BYTES = env_int("ZS_UPLOAD_MAX_BYTES", 20 * 1024 * 1024)
ZS_UPLOAD_MAX_UNZIPPED_BYTES = env_int("ZS_UPLOAD_MAX_UNZIPPED_BYTES", 200 * 1024 * 1024)
ZS_IMPORT_MAX_ROWS = env_int("ZS_IMPORT_MAX_ROWS", 200_000)
# Sheets of more rows than this are written by a job, off the request (its page shows the
# progress); smaller ones in the request, which answers within a second.
ZS_IMPORT_JOB_ROWS = env_int("ZS_IMPORT_JOB_ROWS", 5_000)
# Files larger than this are read and checked by a job too (about 8,000 rows of the .xlsx
# template, 4,000 of CSV), whose page then links to the preview.
ZS_IMPORT_PREVIEW_JOB_BYTES = env_int("ZS_IMPORT_PREVIEW_JOB_BYTES", 1024 * 1024)
# Merging an enterprise referenced by more records than this runs as a job.
ZS_MERGE_JOB_REFERENCES = env_int("ZS_MERGE_JOB_REFERENCES", 200)
DATA_UPLOAD_MAX_MEMORY_SIZE = ZS_UPLOAD_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Cache: shared by every process of the app (the live progress of a running job is read there
# by the web while the job's own transaction is open).  Files under DATA_DIR need nothing
# installed; Redis when ZS_REDIS_URL is set.
ZS_REDIS_URL = env_str("ZS_REDIS_URL", "")
CACHES: dict[str, dict[str, Any]]
if ZS_REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": ZS_REDIS_URL,
            "KEY_PREFIX": "zhaoshang",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
            "KEY_PREFIX": "zhaoshang",
            "OPTIONS": {"MAX_ENTRIES": 10_000},
        }
    }

# Jobs: long work off the request (see zhaoshang.jobs and docs/architecture.md).
ZS_JOBS_BACKEND = env_choice("ZS_JOBS_BACKEND", "thread", ("thread", "celery", "immediate", "database"))
ZS_JOBS_THREADS = env_int("ZS_JOBS_THREADS", 1)
if ZS_JOBS_THREADS < 1:
    raise ImproperlySetError("ZS_JOBS_THREADS must be 1 or more")
ZS_JOBS_BROKER_URL = env_str("ZS_JOBS_BROKER_URL", "redis://127.0.0.1:6379/0")
ZS_JOBS_MAX_ATTEMPTS = env_int("ZS_JOBS_MAX_ATTEMPTS", 3)
if ZS_JOBS_MAX_ATTEMPTS < 1:
    raise ImproperlySetError("ZS_JOBS_MAX_ATTEMPTS must be 1 or more")
ZS_JOBS_STALE_SECONDS = env_int("ZS_JOBS_STALE_SECONDS", 60)
if ZS_JOBS_STALE_SECONDS < 10:
    raise ImproperlySetError("ZS_JOBS_STALE_SECONDS must be 10 or more (a live worker beats every 5 seconds)")
# Read by zhaoshang/celery.py (namespace CELERY): the message carries a job id only, the job's
# state and result live in its row, so Celery keeps no results.
CELERY_BROKER_URL = ZS_JOBS_BROKER_URL
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = "zhaoshang-jobs"
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE = {
    "recover-jobs": {"task": "zhaoshang.jobs.recover", "schedule": float(ZS_JOBS_STALE_SECONDS)},
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("ZS_LOG_LEVEL", "WARNING")},
}
