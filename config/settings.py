"""The studio's one settings module. Every knob comes from the environment.

Each variable is documented, with its default, in `.env.example`. A bad value stops
start-up with an ImproperlyConfigured error that names the variable.
"""

import hashlib
import hmac
import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_str(name, default=""):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":  # empty, as in a copy of .env.example: the default
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a yes/no value (1, 0, true, false), not {raw!r}.")


def env_number(name, default, kind=int, minimum=None):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {raw!r}.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {raw!r}.")
    return value


def env_url(name, default):
    value = env_str(name, default).rstrip("/")
    if not value.startswith(("http://", "https://")):
        raise ImproperlyConfigured(f"{name} must start with http:// or https://, not {value!r}.")
    return value


# A pytest run: pytest sets PYTEST_VERSION for its session, and the processes a test starts
# (clusters, fresh interpreters) inherit it. Only there are the sandbox on by default, the
# development key allowed without DEBUG, and the fast password hasher allowed at all.
TESTING = "PYTEST_VERSION" in os.environ

DEBUG = env_bool("DEBUG", False)
# Without DEBUG the development key is refused (`make run` makes a key of its own in var/).
DEV_SECRET_KEY = "dev-only-insecure-key-set-SECRET_KEY-in-production"
SECRET_KEY = env_str("SECRET_KEY", "") or DEV_SECRET_KEY
if SECRET_KEY == DEV_SECRET_KEY and env_bool("REQUIRE_SECRET_KEY", not (DEBUG or TESTING)):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a long random value of your own, the same on every machine "
        "(e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(50))'). "
        "For development, use `make run`, or set DEBUG=1."
    )

# The address creators and Pixapi reach the studio at (links in emails, signed image URLs).
SITE_URL = env_url("SITE_URL", "http://127.0.0.1:8000")
ALLOWED_HOSTS = [h.strip() for h in env_str("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [SITE_URL]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_q",
    "axes",
    "catalog",
    "accounts",
    "generations",
    "webhooks",
    "library",
    "compare",
    "storyboards",
    "batches",
    "billing",
    "studio",
    "worker",
    "ops",
    "config",
    "ninja",  # the API's docs page: Swagger UI from its own static files
    "api",
]

MIDDLEWARE = [
    "ops.metrics.TimeRequests",  # first: times everything below it
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.RefuseNulCharacters",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "config.poller.PollerNothingNew",  # the poller's 204, without routing (all the above still apply)
    "axes.middleware.AxesMiddleware",  # last: turns a log-in that axes locked out into its page
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.credit_balance",
            ],
        },
    },
]

# Database: SQLite in the project folder by default, anything dj-database-url reads otherwise.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
try:
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=env_number("DATABASE_CONN_MAX_AGE", 0, minimum=0))
except Exception as e:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL we can read ({e}).") from None
if not _db.get("ENGINE"):
    raise ImproperlyConfigured(f"DATABASE_URL names an unknown database: {DATABASE_URL!r}.")
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and IMMEDIATE transactions keep the q2 ORM broker and the web server from
    # tripping over 'database is locked'; the timeout lets writers queue instead of fail.
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": env_number("SQLITE_TIMEOUT", 20, minimum=1),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file (not memory), so a test can share it with a django-q2 cluster it starts; one per run.
    _db["TEST"] = {"NAME": env_str("TEST_DB_NAME", str(BASE_DIR / "var" / f"test-db-{os.getpid()}.sqlite3"))}
DATABASES = {"default": _db}
DATABASE_IS_POSTGRES = _db["ENGINE"].startswith("django.db.backends.postgresql")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
AUTHENTICATION_BACKENDS = ["accounts.throttle.LoginLockout", "django.contrib.auth.backends.ModelBackend"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if env_bool("FAST_PASSWORD_HASHER", False):
    if not TESTING:
        raise ImproperlyConfigured(
            "FAST_PASSWORD_HASHER is for the tests only (it stores passwords with a fast, insecure hash): unset it."
        )
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "/media/"  # never served directly: videos go through the Range-capable view
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Media on an S3-compatible store when MEDIA_S3_BUCKET is set. Files are still served by the
# studio's Range view (it checks who may see them), reading from the bucket by byte ranges.
MEDIA_S3_BUCKET = env_str("MEDIA_S3_BUCKET", "")
if MEDIA_S3_BUCKET:
    _s3_endpoint = env_str("MEDIA_S3_ENDPOINT_URL", "")
    if _s3_endpoint and not _s3_endpoint.startswith(("http://", "https://")):
        raise ImproperlyConfigured(f"MEDIA_S3_ENDPOINT_URL must start with http:// or https://, not {_s3_endpoint!r}.")
    _s3_key, _s3_secret = env_str("MEDIA_S3_ACCESS_KEY_ID", ""), env_str("MEDIA_S3_SECRET_ACCESS_KEY", "")
    if bool(_s3_key) != bool(_s3_secret):
        raise ImproperlyConfigured(
            "MEDIA_S3_ACCESS_KEY_ID and MEDIA_S3_SECRET_ACCESS_KEY go together: set both, or neither "
            "(then boto3 finds credentials itself, e.g. an instance role)."
        )
    STORAGES["default"] = {
        "BACKEND": "lib.s3.MediaS3Storage",
        "OPTIONS": {
            "bucket_name": MEDIA_S3_BUCKET,
            "endpoint_url": _s3_endpoint or None,
            "region_name": env_str("MEDIA_S3_REGION", "") or None,
            "access_key": _s3_key or None,
            "secret_key": _s3_secret or None,
            "location": env_str("MEDIA_S3_PREFIX", "").strip("/"),
            "file_overwrite": False,
            "default_acl": None,
        },
    }

# Mail: over SMTP when EMAIL_HOST is set, else printed on the console (development).
_SMTP = "django.core.mail.backends.smtp.EmailBackend"
_email_host = env_str("EMAIL_HOST", "")  # not EMAIL_HOST: Django refuses the old mail settings beside MAILERS
MAILERS = {
    "default": {
        "BACKEND": env_str("EMAIL_BACKEND", _SMTP if _email_host else "django.core.mail.backends.console.EmailBackend")
    }
}
if MAILERS["default"]["BACKEND"] == _SMTP:
    if not _email_host:
        raise ImproperlyConfigured("EMAIL_BACKEND is SMTP: set EMAIL_HOST (and EMAIL_HOST_USER, EMAIL_HOST_PASSWORD).")
    _port = env_number("EMAIL_PORT", 587, minimum=1)
    MAILERS["default"]["OPTIONS"] = {
        "host": _email_host,
        "port": _port,
        "username": env_str("EMAIL_HOST_USER", ""),
        "password": env_str("EMAIL_HOST_PASSWORD", ""),
        # Port 465 speaks TLS from the start; any other port upgrades with STARTTLS.
        "use_ssl": _port == 465,
        "use_tls": _port != 465 and env_bool("EMAIL_USE_TLS", True),
        "timeout": env_number("EMAIL_TIMEOUT", 10, float, minimum=1),
    }
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "studio@localhost")

SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = SITE_URL.startswith("https://")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Served over HTTPS (SITE_URL says so): plain HTTP is redirected and browsers are told to stay on HTTPS.
# Behind a proxy, gunicorn takes the scheme from X-Forwarded-Proto of the proxies in FORWARDED_ALLOW_IPS.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", SESSION_COOKIE_SECURE)
SECURE_REDIRECT_EXEMPT = [r"^healthz/$", r"^ping/$"]  # a load balancer's health check may come over plain HTTP
SECURE_HSTS_SECONDS = env_number("SECURE_HSTS_SECONDS", 31_536_000 if SESSION_COOKIE_SECURE else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", SESSION_COOKIE_SECURE)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", SESSION_COOKIE_SECURE)
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "media-src": [CSP.SELF, "blob:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

# Pixapi: the real one with PIXAPI_API_KEY, or (development and tests only) the studio's own sandbox,
# installed and mounted at /pixapi-sandbox/ when PIXAPI_SANDBOX=1 (`make run` without a key, the tests).
PIXAPI_API_KEY = env_str("PIXAPI_API_KEY", "")
PIXAPI_USE_SANDBOX = env_bool("PIXAPI_SANDBOX", TESTING)
if PIXAPI_USE_SANDBOX and PIXAPI_API_KEY:
    raise ImproperlyConfigured(
        "PIXAPI_API_KEY and PIXAPI_SANDBOX=1 are both set: set PIXAPI_API_KEY for the real Pixapi, "
        "or PIXAPI_SANDBOX=1 (and no key) for the built-in sandbox, a development tool."
    )
if not PIXAPI_USE_SANDBOX and not PIXAPI_API_KEY:
    raise ImproperlyConfigured(
        "PIXAPI_API_KEY is not set: set it to the studio's Pixapi key. For development, "
        "PIXAPI_SANDBOX=1 uses the built-in sandbox instead (never in production; `make run` sets it)."
    )
if PIXAPI_USE_SANDBOX:
    INSTALLED_APPS.append("sandbox")
# The one key the sandbox accepts, of this studio's own (from SECRET_KEY), so nobody can guess it.
PIXAPI_SANDBOX_KEY = "sk_sandbox_" + hmac.new(SECRET_KEY.encode(), b"pixapi-sandbox", hashlib.sha256).hexdigest()[:32]
PIXAPI_BASE_URL = env_url(
    "PIXAPI_BASE_URL",
    f"{SITE_URL}/pixapi-sandbox" if PIXAPI_USE_SANDBOX else "https://api.pixapi.ai",
)
PIXAPI_CONNECT_TIMEOUT = env_number("PIXAPI_CONNECT_TIMEOUT", 5.0, float, minimum=0.1)
PIXAPI_READ_TIMEOUT = env_number("PIXAPI_READ_TIMEOUT", 30.0, float, minimum=0.1)
PIXAPI_READ_RETRIES = env_number("PIXAPI_READ_RETRIES", 3, minimum=0)
PIXAPI_MAX_DOWNLOAD_BYTES = env_number("PIXAPI_MAX_DOWNLOAD_BYTES", 500_000_000, minimum=1)

# Payments (billing/): Stripe through its official library, or (development and tests only) the studio's
# own Stripe stand-in, installed and mounted at /stripe-sandbox/ when STRIPE_SANDBOX=1. Payments are on
# when either is set up; without them the pricing page sells nothing and the studio still runs.
STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY", "")
STRIPE_PUBLISHABLE_KEY = env_str("STRIPE_PUBLISHABLE_KEY", "")
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET", "")
STRIPE_USE_SANDBOX = env_bool("STRIPE_SANDBOX", TESTING)
if STRIPE_USE_SANDBOX and STRIPE_SECRET_KEY:
    raise ImproperlyConfigured(
        "STRIPE_SECRET_KEY and STRIPE_SANDBOX=1 are both set: set STRIPE_SECRET_KEY for real payments, "
        "or STRIPE_SANDBOX=1 (and no key) for the built-in Stripe stand-in, a development tool."
    )
PAYMENTS_ENABLED = env_bool("PAYMENTS", STRIPE_USE_SANDBOX or bool(STRIPE_SECRET_KEY))
if PAYMENTS_ENABLED and not STRIPE_USE_SANDBOX and not (STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET):
    raise ImproperlyConfigured(
        "Payments are on (PAYMENTS=1) but STRIPE_SECRET_KEY or STRIPE_WEBHOOK_SECRET is not set: set both "
        "from the Stripe dashboard, or PAYMENTS=0 to sell nothing. For development, STRIPE_SANDBOX=1 uses "
        "the built-in stand-in instead (never in production; `make run` sets it)."
    )
if STRIPE_USE_SANDBOX:
    INSTALLED_APPS.append("stripe_sandbox")
    # Keys of this studio's own (from SECRET_KEY), the only ones the stand-in accepts and signs with.
    _stripe_key = hmac.new(SECRET_KEY.encode(), b"stripe-sandbox", hashlib.sha256).hexdigest()
    STRIPE_SECRET_KEY = "sk_test_sandbox_" + _stripe_key[:24]
    STRIPE_PUBLISHABLE_KEY = "pk_test_sandbox_" + _stripe_key[24:48]
    STRIPE_WEBHOOK_SECRET = "whsec_sandbox_" + _stripe_key[48:]
STRIPE_API_BASE = env_url(
    "STRIPE_API_BASE", f"{SITE_URL}/stripe-sandbox" if STRIPE_USE_SANDBOX else "https://api.stripe.com"
)
STRIPE_TIMEOUT = env_number("STRIPE_TIMEOUT", 20.0, float, minimum=1)
# Where the stand-in sends its events: the studio's webhook, as a Stripe dashboard would be told.
STRIPE_SANDBOX_WEBHOOK_URL = env_url("STRIPE_SANDBOX_WEBHOOK_URL", f"{SITE_URL}/billing/stripe/webhook/")

# Pictures creators animate: upload caps, and how Pixapi is handed one.
PICTURE_MAX_BYTES = env_number("PICTURE_MAX_BYTES", 20_000_000, minimum=1)
PICTURE_MAX_PIXELS = env_number("PICTURE_MAX_PIXELS", 40_000_000, minimum=1)
# Most memory opening one picture may take (the decoded pixels and the copy kept); larger ones are refused.
PICTURE_DECODE_MEMORY = env_number("PICTURE_DECODE_MEMORY", 160_000_000, minimum=1_000_000)

# What one account may keep or ask for; past it the form says so, and what to do.
PICTURES_PER_ACCOUNT = env_number("PICTURES_PER_ACCOUNT", 500, minimum=1)  # uploaded, made and frames
DRAFTS_PER_ACCOUNT = env_number("DRAFTS_PER_ACCOUNT", 20, minimum=1)  # unfinished "animate a picture" drafts
COLLECTIONS_PER_ACCOUNT = env_number("COLLECTIONS_PER_ACCOUNT", 100, minimum=1)
STORYBOARDS_PER_ACCOUNT = env_number("STORYBOARDS_PER_ACCOUNT", 100, minimum=1)
STORYBOARD_EXPORTS_PER_ACCOUNT = env_number("STORYBOARD_EXPORTS_PER_ACCOUNT", 500, minimum=1)  # each a stored video
PICTURE_REQUESTS_PER_DAY = env_number("PICTURE_REQUESTS_PER_DAY", 50, minimum=1)  # sets made by image models
PICTURE_URL_MAX_AGE = env_number("PICTURE_URL_MAX_AGE", 3600, minimum=1)  # seconds a signed picture URL works
PIXAPI_IMAGE_AS_DATA_URL = env_bool("PIXAPI_IMAGE_AS_DATA_URL", False)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5_000_000
DATA_UPLOAD_MAX_MEMORY_SIZE = 5_000_000

# The sandbox: how long a task takes, faults switched on for the whole run, where results go.
PIXAPI_SANDBOX_SECONDS = env_number("PIXAPI_SANDBOX_SECONDS", 6.0, float, minimum=0)
PIXAPI_SANDBOX_FAULTS = env_str("PIXAPI_SANDBOX_FAULTS", "")
# Models whose every video submit the sandbox answers with 503 model_unavailable: an outage of one model.
PIXAPI_SANDBOX_DOWN_MODELS = [
    slug.strip() for slug in env_str("PIXAPI_SANDBOX_DOWN_MODELS", "").split(",") if slug.strip()
]
PIXAPI_SANDBOX_URL_TTL = env_number("PIXAPI_SANDBOX_URL_TTL", 3600.0, float, minimum=0)
PIXAPI_SANDBOX_SLOW_SECONDS = env_number("PIXAPI_SANDBOX_SLOW_SECONDS", 40.0, float, minimum=0)
PIXAPI_SANDBOX_DIR = Path(env_str("PIXAPI_SANDBOX_DIR", str(BASE_DIR / "var" / "sandbox")))
PIXAPI_SANDBOX_MAX_FILES = env_number("PIXAPI_SANDBOX_MAX_FILES", 100, minimum=1)  # results kept on disk

# Library export (generations/export.py): up to these many videos or bytes it streams to the browser
# as it is built; past either, a task writes it to storage and mails a link that works EXPORT_LINK_HOURS.
EXPORT_STREAM_MAX_VIDEOS = env_number("EXPORT_STREAM_MAX_VIDEOS", 500, minimum=1)
EXPORT_STREAM_MAX_BYTES = env_number("EXPORT_STREAM_MAX_BYTES", 2_000_000_000, minimum=1)
EXPORT_LINK_HOURS = env_number("EXPORT_LINK_HOURS", 48, minimum=1)
EXPORT_TASK_SECONDS = env_number("EXPORT_TASK_SECONDS", 1800, minimum=60)  # the time-out of one stored export

# Webhooks (webhooks/): https:// endpoints only when the studio itself is on HTTPS (or say so); a
# loopback endpoint only when allowed (tests with a local receiver; never in production).
WEBHOOKS_REQUIRE_HTTPS = env_bool("WEBHOOKS_REQUIRE_HTTPS", SITE_URL.startswith("https://"))
WEBHOOKS_ALLOW_LOOPBACK = env_bool("WEBHOOKS_ALLOW_LOOPBACK", False)
WEBHOOKS_TIMEOUT = env_number("WEBHOOKS_TIMEOUT", 5.0, float, minimum=0.5)  # seconds one read may wait
# The whole of one try (connect, send, the answer to its last byte): a receiver trickling its answer is
# cut off here, so it holds a worker this long at most.
WEBHOOKS_DEADLINE_SECONDS = env_number("WEBHOOKS_DEADLINE_SECONDS", 10.0, float, minimum=1)
# Deliveries being sent at once across every cluster (counted in the database), so a crowd of slow
# endpoints never takes all the workers the videos need. More wait a minute for the next round.
WEBHOOKS_AT_ONCE = env_number("WEBHOOKS_AT_ONCE", 2, minimum=1)
# After a creator makes a new signing secret, the old one signs beside it this long.
WEBHOOKS_ROTATION_GRACE_HOURS = env_number("WEBHOOKS_ROTATION_GRACE_HOURS", 24, minimum=1)
WEBHOOKS_KEEP_DAYS = env_number("WEBHOOKS_KEEP_DAYS", 30, minimum=1)  # finished deliveries are pruned after

# django-q2. Its workers submit, download and make pictures; each cluster's own process runs the
# sweeper beside them (manage.py cluster). A task's time-out is longer than a submit or a picture
# request can take, and retry leaves room for it, so a task is never handed to a second worker
# while the first still runs it (a second paid submit). A download has a time-out of its own.
TASK_TIMEOUT_SECONDS = 85
POLL_CONCURRENCY = env_number("POLL_CONCURRENCY", 16, minimum=1)  # status calls the sweeper makes at once
# The sweeper's first look at a video Pixapi took (at most half its model's usual time), and the
# shortest gap between two looks at one video. The tests shorten both, with the sandbox's time.
POLL_FIRST_SECONDS = env_number("POLL_FIRST_SECONDS", 3.0, float, minimum=0.05)
POLL_MIN_SECONDS = env_number("POLL_MIN_SECONDS", 1.0, float, minimum=0.05)
# The studio's valve: videos at Pixapi at once for the whole studio (admin's "studio queue" may
# override it; each model may have a cap of its own in the catalog). More wait in the studio's queue.
STUDIO_MAX_IN_FLIGHT = env_number("STUDIO_MAX_IN_FLIGHT", 40, minimum=1)
DOWNLOAD_TEMP_DIR = env_str("DOWNLOAD_TEMP_DIR", "") or None
# Failover the creator agreed to (generations/failover.py): a waiting video moves to the next model they
# allow once its own model's breaker has closed for at least this long (5 s at the first busy answer,
# then 10 s, 20 s ... for each one in a row): 5 moves it at the first, 20 at the third.
FAILOVER_BREAKER_SECONDS = env_number("FAILOVER_BREAKER_SECONDS", 5, float, minimum=0)

# Saving a finished video: each try streams for at most DOWNLOAD_SECONDS, as a task with a time-out
# of its own (not the sweeper's); after DOWNLOAD_ATTEMPTS tries the video fails, credits returned.
DOWNLOAD_SECONDS = env_number("DOWNLOAD_SECONDS", 300, minimum=10)
DOWNLOAD_ATTEMPTS = env_number("DOWNLOAD_ATTEMPTS", 3, minimum=1)
REDIS_URL = env_str("REDIS_URL", "")
Q_CLUSTER = {
    "name": env_str("Q_CLUSTER_NAME", "studio"),
    "workers": env_number("Q_WORKERS", 3, minimum=1),
    "timeout": TASK_TIMEOUT_SECONDS,
    "retry": TASK_TIMEOUT_SECONDS + 90,
    "max_attempts": 2,
    "ack_failures": True,
    "catch_up": False,
    "recycle": 200,
    "max_rss": 400_000,
    "save_limit": 250,
    "queue_limit": 50,
    "poll": env_number("Q_POLL_SECONDS", 0.5, float, minimum=0.05),  # the database broker's look for new tasks
    "label": "Tasks",
}
if REDIS_URL:
    if not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(f"REDIS_URL must be a redis:// URL, not {REDIS_URL!r}.")
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# The cache holds sessions (cached_db: written through to the database, so losing the cache logs
# nobody out) and each creator's change mark, which the dashboard's poller checks every second
# (generations/changes.py). Web servers and clusters must all see the same one: Redis when there is
# one; on SQLite, which is one machine, files on its disk; otherwise a table in the database, which
# every machine shares (`manage.py createcachetable`, run wherever migrate runs). Anything in it may
# be lost at any time; each reader falls back to the database.
CACHE_DIR = Path(env_str("CACHE_DIR", str(BASE_DIR / "var" / "cache")))
CACHE_KEY_PREFIX = env_str("CACHE_KEY_PREFIX", "studio")
if REDIS_URL:
    # Short time-outs: while Redis is away, pages carry on without it (studio/redis_cache.py).
    CACHES = {
        "default": {
            "BACKEND": "lib.redis_cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
elif _db["ENGINE"] == "django.db.backends.sqlite3":
    CACHES = {
        "default": {
            "BACKEND": "lib.file_cache.KeptFileBasedCache",
            "LOCATION": str(CACHE_DIR),
            "OPTIONS": {"MAX_ENTRIES": 50_000},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "studio_cache"}}
CACHES["default"]["KEY_PREFIX"] = CACHE_KEY_PREFIX
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# A new creator's starting credits (and every monthly allowance) wait until their address is verified
# by the link mailed to it; the link works for this many seconds.
EMAIL_VERIFY_MAX_AGE = env_number("EMAIL_VERIFY_MAX_AGE", 3 * 86400, minimum=60)

# Throttling strangers (accounts/throttle.py), per address and per account. The address is the
# socket's, or behind PROXY_COUNT reverse proxies the one the outermost proxy put in X-Forwarded-For.
PROXY_COUNT = env_number("PROXY_COUNT", 0, minimum=0)
# Log-in (the site's and admin's), by django-axes: LOGIN_FAILURE_LIMIT failures for one account or from
# one address lock it out for LOGIN_LOCKOUT_MINUTES after the last one, the right password included.
AXES_FAILURE_LIMIT = env_number("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_number("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one locks
AXES_USERNAME_CALLABLE = "accounts.throttle.login_name"
AXES_CLIENT_IP_CALLABLE = "accounts.throttle.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.throttle.locked_out"
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # the wait the page names stays true
AXES_RESET_ON_SUCCESS = False  # it would also clear the address's count: a log-in of one's own would reset it
AXES_DISABLE_ACCESS_LOG = True  # failures are kept (in admin), successful log-ins are not
# Forms anyone can post, by django-ratelimit in the cache: at most this many per address and per account
# ("5/h": five an hour; s, m, h or d). Over it: a plain message by the form, status 429, nothing done.
# Its system check warns about the file and database caches (their increments are not atomic: a burst
# may get one or two more through), which is why its app is not installed.
RATE_LIMITS = {}
for _group, _default in [
    ("signup", "10/h"),
    ("password_reset", "5/h"),
    ("verify_resend", "5/h"),
    ("upload", "60/h"),
    ("api", "120/m"),
    ("upgrade", "5/d"),
    ("webhook_send", "30/h"),
    ("checkout", "20/h"),
]:
    _rate = env_str(f"RATE_LIMIT_{_group.upper()}", _default).strip()
    if not re.fullmatch(r"[1-9][0-9]*/[0-9]*[smhd]", _rate):
        raise ImproperlyConfigured(
            f"RATE_LIMIT_{_group.upper()} must look like 10/h (a count per s, m, h or d), not {_rate!r}."
        )
    RATE_LIMITS[_group] = _rate
RATELIMIT_FAIL_OPEN = True  # a cache that cannot be reached limits nothing

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
# Timing lines (logger "studio.timing", at debug level: when each Pixapi status call went out and when
# its row fell due) go to this file when set; the benchmark reads them (bench/sections/sweeper.py).
TIMING_LOG = env_str("TIMING_LOG", "")
if TIMING_LOG:
    LOGGING["handlers"]["timing"] = {"class": "logging.FileHandler", "filename": TIMING_LOG}
    LOGGING["loggers"]["studio.timing"] = {"handlers": ["timing"], "level": "DEBUG", "propagate": False}

# Operators' metrics at /metrics/ in Prometheus text format, for a scraper that sends
# "Authorization: Bearer <METRICS_TOKEN>"; no token set, no page (404). Several gunicorn workers:
# set PROMETHEUS_MULTIPROC_DIR to an empty folder (README: "Metrics").
METRICS_TOKEN = env_str("METRICS_TOKEN", "")

# Errors to Sentry (or any service that speaks its protocol) when SENTRY_DSN is set, with no prompt,
# email address, token or cookie in what is sent (config/sentry.py).
SENTRY_DSN = env_str("SENTRY_DSN", "")
if SENTRY_DSN:
    from config import sentry

    sentry.start(SENTRY_DSN, environment=env_str("SENTRY_ENVIRONMENT", "production"))
