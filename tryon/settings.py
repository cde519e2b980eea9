"""Django settings. With no environment set this is the embedded default: SQLite, an embedded
broker and `media/`; DATABASE_URL and CELERY_BROKER_URL switch to PostgreSQL and Redis/RabbitMQ."""

import ipaddress
import secrets
from pathlib import Path

import dj_database_url
from celery.schedules import crontab

from tryon.env import EnvError, env_bool, env_choice, env_duration, env_int, env_list, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("TRYON_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DJANGO_DEBUG", False)


def _secret_key() -> str:
    """From the environment, or generated once and kept in var/ so sessions survive restarts."""
    if key := env_str("DJANGO_SECRET_KEY"):
        return key
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "tryon.merchants",
    "tryon.catalog",
    "tryon.jobs",
    "tryon.shop",
    "tryon.api",
    "tryon.webhooks",
    "tryon.media",
    "tryon.ratelimits",
    "tryon.a1111",
    "tryon.fashn",
    "tryon.casting",
    "tryon.shoppers",
]

MIDDLEWARE = [
    "tryon.server_timing.ServerTimingMiddleware",  # outermost: its CPU time covers every other middleware
    # Request counts and latencies for /metrics (tryon.metrics): first and last, so they time everything.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "tryon.urls"
WSGI_APPLICATION = "tryon.wsgi.application"
AUTH_USER_MODEL = "merchants.User"
LOGIN_URL = "admin:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "tryon" / "templates"],  # admin/base_site.html: the missing-weights banner
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tryon.firstrun.weights_banner",
            ],
        },
    },
]

# PostgreSQL connections a process keeps open and shares between its threads (psycopg's pool); 0: a connection
# per thread, kept 60 s. Set it for the web process to its gunicorn thread count (deploy/): the pool is filled as
# the process starts (tryon/wsgi.py), so a burst of shoppers never waits while connections are opened.
# `Server-Timing: app-cpu;dur=<ms>` on every answer (tryon/server_timing.py): off, as it tells how long the server
# worked on a request; the submissions benchmark turns it on.
TRYON_SERVER_TIMING = env_bool("TRYON_SERVER_TIMING", False)
TRYON_DB_POOL_SIZE = env_int("TRYON_DB_POOL_SIZE", 0, minimum=0)
if database_url := env_url("DATABASE_URL", schemes=tuple(dj_database_url.ENGINE_SCHEMES)):
    pooled = TRYON_DB_POOL_SIZE > 0 and database_url.split(":", 1)[0] in ("postgres", "postgresql", "pgsql")
    DATABASES = {
        "default": dj_database_url.parse(database_url, conn_max_age=0 if pooled else 60, conn_health_checks=True)
    }
    if pooled:  # each connection checked as it is handed out (conn_health_checks; tryon/db/postgresql checks it)
        # A request waits at most 5 s for a connection: a database that is down fails requests, not hangs them.
        pool = {"min_size": TRYON_DB_POOL_SIZE, "max_size": TRYON_DB_POOL_SIZE, "timeout": 5}
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = pool
else:
    # The web process and the worker write concurrently: WAL lets readers proceed during a write,
    # IMMEDIATE takes the write lock up front instead of failing half-way through a transaction.
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }


# PostgreSQL plans each statement anew unless it is prepared; psycopg prepares a statement on a connection once it
# has run this many times there (0: never, for a pooler that cannot keep prepared statements, as PgBouncer in
# transaction mode without max_prepared_statements). Planning was ~40 % of PostgreSQL's CPU per submission
# (README "Submissions").
TRYON_DB_PREPARE_THRESHOLD = env_int("TRYON_DB_PREPARE_THRESHOLD", 5, minimum=0)


def as_run_here(database: dict) -> dict:
    """The database as every process of this app uses it (tests/settings.py too).

    - through django-prometheus's wrapper of its engine, which counts queries for /metrics;
    - on PostgreSQL (tryon.db.postgresql), values bound by the server, not pasted into the SQL: the same statement
      is the same text each time, so psycopg can prepare it and PostgreSQL skips parsing and planning it again.
    """
    engine = database["ENGINE"]
    backend = engine.split(".")[-1]
    if engine == "django.db.backends.postgresql":
        prepared = {"prepare_threshold": TRYON_DB_PREPARE_THRESHOLD or None}
        options = {"server_side_binding": True, **prepared, **database.get("OPTIONS", {})}
        return {**database, "ENGINE": "tryon.db.postgresql", "OPTIONS": options}
    if backend in ("postgresql", "sqlite3", "mysql", "postgis", "spatialite"):
        engine = "django_prometheus.db.backends." + backend
    return {**database, "ENGINE": engine}


DATABASES["default"] = as_run_here(DATABASES["default"])
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# An S3-compatible bucket (AWS, MinIO, R2, ...) for uploads and results: workers on other machines
# then read the same files, and the API hands out signed URLs. Credentials: the usual AWS_* variables.
if TRYON_S3_BUCKET := env_str("TRYON_S3_BUCKET"):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": TRYON_S3_BUCKET,
            "endpoint_url": env_url("TRYON_S3_ENDPOINT_URL"),
            "region_name": env_str("TRYON_S3_REGION"),
            "custom_domain": env_str("TRYON_S3_CUSTOM_DOMAIN"),
            "querystring_auth": env_bool("TRYON_S3_SIGNED_URLS", True),
            "querystring_expire": env_int("TRYON_S3_URL_SECONDS", 3600, minimum=60),
            "file_overwrite": False,  # never replace a stored photo another job may still point at
        },
    }

# Files are never public at MEDIA_URL: pages and the API hand out signed, expiring URLs (tryon/media).
# With a proxy in front, the app checks the signature and the proxy sends the file: "nginx" answers with
# X-Accel-Redirect to TRYON_MEDIA_ACCEL_LOCATION (an `internal` location aliased to MEDIA_ROOT), "sendfile"
# with X-Sendfile (Apache mod_xsendfile, lighttpd). On S3 the bucket's own presigned URLs are used.
TRYON_MEDIA_ACCEL = env_choice("TRYON_MEDIA_ACCEL", ["", "nginx", "sendfile"], "")
TRYON_MEDIA_ACCEL_LOCATION = env_str("TRYON_MEDIA_ACCEL_LOCATION", "/protected-media/")
if not (TRYON_MEDIA_ACCEL_LOCATION.startswith("/") and TRYON_MEDIA_ACCEL_LOCATION.endswith("/")):
    raise EnvError(f"TRYON_MEDIA_ACCEL_LOCATION={TRYON_MEDIA_ACCEL_LOCATION!r}: expected a path like /protected-media/")
TRYON_MEDIA_URL_SECONDS = env_int("TRYON_MEDIA_URL_SECONDS", 3600, minimum=60)
# Approved catalog images of a merchant with `public_catalog_images` on: long-lived URLs (S3 allows 7 days).
TRYON_MEDIA_PUBLIC_URL_SECONDS = env_int("TRYON_MEDIA_PUBLIC_URL_SECONDS", 7 * 24 * 3600, minimum=60)

# Shared by every web process: rate-limit counters (tryon/ratelimits), idempotency keys. Redis in production
# (TRYON_CACHE_URL=redis://host:6379/1); otherwise a table in the database (`migrate` creates it).
if TRYON_CACHE_URL := env_url("TRYON_CACHE_URL", schemes=("redis", "rediss", "unix")):
    CACHES = {
        "default": {
            "BACKEND": "tryon.redis_clients.RedisCache",  # Django's, with a client per pool
            "LOCATION": TRYON_CACHE_URL,
            "KEY_PREFIX": env_str("TRYON_CACHE_KEY_PREFIX", "tryon"),  # several apps may share one Redis
        }
    }
    # Sessions read from Redis and written through to the database: a shopper's press reads its session (its
    # try-ons, its rate-limit key) with no query, and a Redis restart loses none. A database cache would cost
    # a query more, not one less, so without Redis they stay in the database alone.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "tryon_cache"}}
# Where rate-limit counters are counted, atomically: "cache" (Redis INCR) or "database" (UPDATE n = n + 1).
TRYON_RATELIMIT_STORE = env_choice(
    "TRYON_RATELIMIT_STORE", ["cache", "database"], "cache" if TRYON_CACHE_URL else "database"
)
if TRYON_RATELIMIT_STORE == "cache" and not TRYON_CACHE_URL:
    raise EnvError("TRYON_RATELIMIT_STORE=cache needs TRYON_CACHE_URL (Redis): a database cache counts racily")

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("TRYON_MEDIA_ROOT", str(BASE_DIR / "media")))

# Uploads: refuse before decoding what is too big to be a garment photo, and keep what we store bounded.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
TRYON_UPLOAD_MAX_BYTES = env_int("TRYON_UPLOAD_MAX_BYTES", 20 * 1024 * 1024, minimum=1024)
TRYON_UPLOAD_MAX_PIXELS = env_int("TRYON_UPLOAD_MAX_PIXELS", 40_000_000, minimum=4096)
TRYON_IMAGE_MAX_SIDE = env_int("TRYON_IMAGE_MAX_SIDE", 2048, minimum=64)

# Anonymous shoppers may start this many new renders per window, per session and per address
# (already-rendered picks are free), counted in the shared store above (every web process sees the count).
TRYON_SHOP_RENDERS_PER_WINDOW = env_int("TRYON_SHOP_RENDERS_PER_WINDOW", 10, minimum=1)
TRYON_SHOP_WINDOW_SECONDS = env_int("TRYON_SHOP_WINDOW_SECONDS", 600, minimum=1)

# The engine: which preset renders try-ons (`tiny` works offline, with random weights).
TRYON_PRESET = env_str("TRYON_PRESET", "sd15")
# Shop and admin pages say so when this machine lacks the preset's weights (tryon.firstrun). On by default
# with DEBUG (`make run`, where the worker runs beside the web process); web machines in production have none.
TRYON_WEIGHTS_BANNER = env_bool("TRYON_WEIGHTS_BANNER", DEBUG)
# /metrics (tryon.metrics) wants `Authorization: Bearer <this>` when set; open when unset.
TRYON_METRICS_TOKEN = env_str("TRYON_METRICS_TOKEN", "")
# A render worker's own metrics (its GPU memory, its process) on this port; 0: none. Off the web's /metrics
# because only the worker's process holds the GPU (the solo pool renders in its main process).
TRYON_WORKER_METRICS_PORT = env_int("TRYON_WORKER_METRICS_PORT", 0, minimum=0)
TRYON_WORKER_METRICS_ADDR = env_str("TRYON_WORKER_METRICS_ADDR", "127.0.0.1")
# A render whose fidelity scores fail the quality gate is tried again with the next seeds this many times,
# keeping the best image (presets with the gate off, such as the random-weight tiny ones, are never retried).
TRYON_QUALITY_RETRIES = env_int("TRYON_QUALITY_RETRIES", 2, minimum=0)
# Time between progress writes while a job renders; the last step is always written.
TRYON_PROGRESS_INTERVAL = env_duration("TRYON_PROGRESS_INTERVAL", 0.5)
# A worker denoises up to TRYON_MAX_BATCH queued jobs of one shape in one call (tryon.jobs.batch_render),
# waiting up to TRYON_BATCH_WINDOW_MS for more to arrive; unset, 50 ms on a GPU and 0 on a CPU, where a
# batch costs its jobs' time added up and waiting only delays the first. 1 renders one job at a time.
TRYON_MAX_BATCH = env_int("TRYON_MAX_BATCH", 8, minimum=1)
# Shopper try-ons render on the engine's preview path (TAESD, fewer UNet evaluations, ...: generation.preview);
# merchants' catalog renders keep full quality, and a finished full-quality render of the same picks is reused.
TRYON_SHOPPER_PREVIEW = env_bool("TRYON_SHOPPER_PREVIEW", True)
TRYON_BATCH_WINDOW_MS = env_int("TRYON_BATCH_WINDOW_MS", None, minimum=0)

# Celery. The embedded broker is a SQLite file: nothing to install, good for one machine.
BROKER_SCHEMES = ("redis", "rediss", "amqp", "amqps", "pyamqp", "sqs", "sqla+sqlite", "sqla+postgresql", "filesystem")
CELERY_BROKER_URL = env_url(
    "CELERY_BROKER_URL",
    f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}",
    schemes=(*BROKER_SCHEMES, "memory"),  # memory://: tests, and processes that only send
)
CELERY_TASK_IGNORE_RESULT = True  # job state lives in TryOnJob, not in a result backend
CELERY_TASK_DEFAULT_QUEUE = env_str("TRYON_QUEUE", "tryon")
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # a render is long: never hoard jobs another worker could take
CELERY_TASK_SOFT_TIME_LIMIT = env_duration("TRYON_SOFT_TIME_LIMIT", 15 * 60, minimum=1)
CELERY_TASK_TIME_LIMIT = env_duration("TRYON_HARD_TIME_LIMIT", 20 * 60, minimum=1)
# Redis (and SQS) hand an unacknowledged message to another worker after the visibility timeout:
# it must outlast the hard limit or a long render runs twice. The embedded SQLite broker has no such
# timeout and passes its options to SQLAlchemy, which refuses unknown ones.
# Redis serves priority 0 first when queue_order_strategy is "priority" (tryon.jobs.services.QUEUE_PRIORITY).
if CELERY_BROKER_URL.split(":", 1)[0] in ("redis", "rediss", "sqs"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": CELERY_TASK_TIME_LIMIT + 5 * 60,
        "queue_order_strategy": "priority",
        "priority_steps": list(range(10)),
    }
if CELERY_BROKER_URL.split(":", 1)[0] == "redis":  # kombu's transport, with a client per channel, not per message
    CELERY_BROKER_TRANSPORT = "tryon.redis_clients:BrokerTransport"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "sweep-tryon-jobs": {"task": "tryon.jobs.tasks.sweep_tryon_jobs", "schedule": 60.0},
    # Webhook deliveries whose task was lost are sent again from their rows (tryon/webhooks/services.py).
    "resend-webhook-deliveries": {"task": "tryon.webhooks.tasks.resend_webhook_deliveries", "schedule": 60.0},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Precompute (tryon.jobs.precompute): nightly at TRYON_PRECOMPUTE_HOUR (UTC) and when a merchant approves an
# item's image, each item's TRYON_PRECOMPUTE_TOP_PICKS most-picked combinations and the shop's default one
# are rendered at batch priority: at most TRYON_PRECOMPUTE_PER_DAY new renders per merchant a day (0: none).
TRYON_PRECOMPUTE_PER_DAY = env_int("TRYON_PRECOMPUTE_PER_DAY", 50, minimum=0)
TRYON_PRECOMPUTE_TOP_PICKS = env_int("TRYON_PRECOMPUTE_TOP_PICKS", 3, minimum=0)
if (TRYON_PRECOMPUTE_HOUR := env_int("TRYON_PRECOMPUTE_HOUR", 3, minimum=0)) > 23:
    raise EnvError(f"TRYON_PRECOMPUTE_HOUR={TRYON_PRECOMPUTE_HOUR}: expected an hour of the day, 0 to 23")
CELERY_BEAT_SCHEDULE["precompute-popular-picks"] = {
    "task": "tryon.jobs.tasks.precompute_popular_picks",
    "schedule": crontab(hour=TRYON_PRECOMPUTE_HOUR, minute=0),
}
# The sweeper (tryon/jobs/sweeper.py): a running job silent this long lost its worker and is queued
# again, at most TRYON_MAX_ATTEMPTS claims in all; a queued job unclaimed this long is sent again.
TRYON_STALE_AFTER = env_duration("TRYON_STALE_AFTER", 10 * 60, minimum=1)
TRYON_MAX_ATTEMPTS = env_int("TRYON_MAX_ATTEMPTS", 3, minimum=1)
TRYON_RESEND_AFTER = env_duration("TRYON_RESEND_AFTER", 5 * 60, minimum=1)
# Jobs always end (tryon/jobs/heartbeats.py, sweeper.py). A queued job's task is sent again at most
# TRYON_MAX_RESENDS times, and only while a worker serving its preset is alive. A queued job whose preset
# no worker has served for TRYON_QUEUE_TIMEOUT seconds fails with that reason.
TRYON_MAX_RESENDS = env_int("TRYON_MAX_RESENDS", 3, minimum=0)
TRYON_QUEUE_TIMEOUT = env_duration("TRYON_QUEUE_TIMEOUT", 15 * 60, minimum=1)
# Every worker records its presets every TRYON_WORKER_HEARTBEAT seconds, and sweeps (one worker at a
# time) every TRYON_WORKER_SWEEP_INTERVAL seconds and at start: recovery does not depend on beat.
TRYON_WORKER_HEARTBEAT = env_duration("TRYON_WORKER_HEARTBEAT", 30, minimum=1)
TRYON_WORKER_SWEEP_INTERVAL = env_duration("TRYON_WORKER_SWEEP_INTERVAL", 60, minimum=1)
if CELERY_TASK_SOFT_TIME_LIMIT >= CELERY_TASK_TIME_LIMIT:
    raise EnvError(
        f"TRYON_SOFT_TIME_LIMIT={CELERY_TASK_SOFT_TIME_LIMIT:g} s must be below TRYON_HARD_TIME_LIMIT="
        f"{CELERY_TASK_TIME_LIMIT:g} s: the soft limit stops a render cleanly, the hard one ends its process."
    )
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Logs: text for people, or TRYON_LOG_FORMAT=json for a log pipeline (one JSON object per line). Either way,
# a line logged while a job is handled carries its job_id and merchant (tryon.logs).
TRYON_LOG_FORMAT = env_choice("TRYON_LOG_FORMAT", ["text", "json"], "text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {"()": "tryon.logs.JsonFormatter"},
    },
    "filters": {"job": {"()": "tryon.logs.JobContextFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": TRYON_LOG_FORMAT, "filters": ["job"]},
    },
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- REST API --- (the storefront API in tryon/api: /api/v1/, /api/schema/, /api/docs/)
INSTALLED_APPS += ["rest_framework", "drf_spectacular", "drf_spectacular_sidecar"]


def _env_rate(name: str, default: str) -> str:
    """A DRF rate such as 60/min: refused at start-up if DRF could not read it."""
    value = env_str(name, default)
    count, _, period = value.partition("/")
    if not count.isdigit() or period[:1] not in ("s", "m", "h", "d"):
        raise EnvError(f"{name}={value!r}: expected requests/period, e.g. 60/min or 1000/hour")
    return value


# Absolute URLs in webhook bodies, which have no request to take the host from.
TRYON_PUBLIC_URL = env_url("TRYON_PUBLIC_URL", "http://127.0.0.1:8000")
# Webhooks go out from their own queue (<TRYON_QUEUE>.webhooks) and worker, so a slow receiver never
# delays a render. Seconds to connect, then to wait for an answer; after TRYON_WEBHOOK_BREAKER_AFTER
# failures in a row an endpoint is paused TRYON_WEBHOOK_BREAKER_PAUSE seconds (its deliveries wait).
TRYON_WEBHOOK_CONNECT_TIMEOUT = env_duration("TRYON_WEBHOOK_CONNECT_TIMEOUT", 3, minimum=0.1)
TRYON_WEBHOOK_TIMEOUT = env_duration("TRYON_WEBHOOK_TIMEOUT", 10, minimum=0.1)
TRYON_WEBHOOK_BREAKER_AFTER = env_int("TRYON_WEBHOOK_BREAKER_AFTER", 5, minimum=1)
TRYON_WEBHOOK_BREAKER_PAUSE = env_duration("TRYON_WEBHOOK_BREAKER_PAUSE", 10 * 60, minimum=1)
TRYON_WEBHOOK_MAX_ATTEMPTS = env_int("TRYON_WEBHOOK_MAX_ATTEMPTS", 8, minimum=1)
TRYON_WEBHOOK_RETRY_BASE_SECONDS = env_int("TRYON_WEBHOOK_RETRY_BASE_SECONDS", 10, minimum=1)
# Below the Redis visibility timeout, so a waiting retry is not handed to a second worker.
TRYON_WEBHOOK_RETRY_MAX_SECONDS = env_int("TRYON_WEBHOOK_RETRY_MAX_SECONDS", 15 * 60, minimum=1)
# Loopback and private addresses are refused as webhook targets unless this is on (DEBUG turns it on).
TRYON_WEBHOOK_ALLOW_PRIVATE_NETWORKS = env_bool("TRYON_WEBHOOK_ALLOW_PRIVATE_NETWORKS", DEBUG)

# /sdapi/v1 (tryon.a1111): seconds a txt2img or img2img request waits for its render before it gives up and
# cancels it, and the largest JSON body it reads (base64 images are 4/3 of their bytes).
TRYON_SDAPI_TIMEOUT = env_duration("TRYON_SDAPI_TIMEOUT", 300, minimum=1)
TRYON_SDAPI_MAX_BODY_BYTES = env_int("TRYON_SDAPI_MAX_BODY_BYTES", 32 * 1024 * 1024, minimum=1024)
# Hours an A1111 request's init image, mask and ControlNet images are kept once no unfinished job needs them.
TRYON_SDAPI_RETENTION_HOURS = env_int("TRYON_SDAPI_RETENTION_HOURS", 24, minimum=1)

# Image URLs sent to the compatibility APIs are fetched by the server (tryon/remote_images.py): only public
# addresses, unless a network is listed here (CIDRs, e.g. 127.0.0.1/32,10.0.0.0/8); at most this many bytes
# and redirects, each hop checked again, within this many seconds in all.
TRYON_REMOTE_IMAGE_ALLOW = env_list("TRYON_REMOTE_IMAGE_ALLOW", [])
for _network in TRYON_REMOTE_IMAGE_ALLOW:
    try:
        ipaddress.ip_network(_network.strip(), strict=False)
    except ValueError:
        _refusal = f"TRYON_REMOTE_IMAGE_ALLOW: {_network!r} is not a network; expected CIDRs like 10.0.0.0/8"
        raise EnvError(_refusal) from None
TRYON_REMOTE_IMAGE_MAX_BYTES = env_int("TRYON_REMOTE_IMAGE_MAX_BYTES", TRYON_UPLOAD_MAX_BYTES, minimum=1024)
TRYON_REMOTE_IMAGE_MAX_REDIRECTS = env_int("TRYON_REMOTE_IMAGE_MAX_REDIRECTS", 3, minimum=0)
TRYON_REMOTE_IMAGE_TIMEOUT = env_int("TRYON_REMOTE_IMAGE_TIMEOUT", 10, minimum=1)

# Castings (tryon.casting): unkept candidates, and every job of a casting, are deleted this many days later.
TRYON_CASTING_RETENTION_DAYS = env_int("TRYON_CASTING_RETENTION_DAYS", 7, minimum=1)
# A shopper's own photo and everything made from it are deleted this long after upload (tryon.shoppers).
TRYON_SHOPPER_PHOTO_HOURS = env_int("TRYON_SHOPPER_PHOTO_HOURS", 24, minimum=1)

# The FASHN-compatible API (/v1/run, tryon.fashn): photos sent with a request, and what was made from them,
# are deleted this many hours later; a body (two data-URI photos) may be this large; each `mode` renders
# with its own preset ("": the server's TRYON_PRESET).
TRYON_FASHN_RETENTION_HOURS = env_int("TRYON_FASHN_RETENTION_HOURS", 24, minimum=1)
TRYON_FASHN_MAX_BODY_BYTES = env_int("TRYON_FASHN_MAX_BODY_BYTES", 32 * 1024 * 1024, minimum=1024)
TRYON_FASHN_PRESETS = {
    mode: env_str(f"TRYON_FASHN_PRESET_{mode.upper()}", "") for mode in ("performance", "balanced", "quality")
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tryon.api.auth.StorefrontKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["tryon.api.auth.IsMerchantClient"],
    # Budgets per API key, fixed windows counted in TRYON_RATELIMIT_STORE (shared by every web process).
    "DEFAULT_THROTTLE_CLASSES": ["tryon.api.throttling.StorefrontKeyThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "read": _env_rate("TRYON_API_READ_RATE", "600/min"),
        "write": _env_rate("TRYON_API_WRITE_RATE", "60/min"),
    },
    "DEFAULT_PAGINATION_CLASS": "tryon.api.pagination.Pagination",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # DRF's, bounded in depth, refusing NUL and lone surrogates; DATA_UPLOAD_MAX_MEMORY_SIZE bounds the size
    "DEFAULT_PARSER_CLASSES": ["tryon.api.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "tryon.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "tryon.api.schema.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Try-on storefront API",
    "DESCRIPTION": (
        "Read a merchant's catalog, ask for try-ons, poll them or receive webhooks.\n\n"
        "**Auth**: `Authorization: Bearer tryon_sk_<prefix>_<secret>`, one key per storefront "
        "(`manage.py tryon_apikey create --merchant SLUG --name NAME`). Merchant staff signed in to the admin "
        "may call it too. Everything is scoped to the key's merchant: other merchants' ids answer 404.\n\n"
        '**Errors** always look like `{"error": {"code": "...", "message": "...", '
        '"field": "...", "details": {}}}`.\n\n'
        "**Idempotency**: send `Idempotency-Key` on POST creates to retry them safely (kept 24 hours).\n\n"
        "**Rate limits** per key; a 429 says how long to wait in `Retry-After`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "DEFAULT_GENERATOR_CLASS": "tryon.api.schema.SchemaGenerator",
    "COMPONENT_SPLIT_REQUEST": True,
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "minimum": 1, "maximum": 10**18 - 1}},
    "ENUM_NAME_OVERRIDES": {
        "TryOnStatusEnum": "tryon.jobs.models.TryOnJob.Status",
        "TryOnFailureCodeEnum": "tryon.jobs.models.TryOnJob.FailureCode",
        "WebhookEventEnum": "tryon.webhooks.models.WebhookEvent",
    },
    # Swagger UI from drf-spectacular-sidecar's static files: nothing loads from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
