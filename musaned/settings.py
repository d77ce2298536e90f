"""Settings for every environment, read from environment variables.

The defaults are the embedded demo: SQLite, a file-system Celery broker, fake
gateways. Production sets DATABASE_URL, CELERY_BROKER_URL, DJANGO_SECRET_KEY,
DJANGO_ALLOWED_HOSTS and the gateway variables (see README).
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("MUSANED_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()
env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="insecure-demo-key-change-me-in-production-0123456789")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("MUSANED_SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "django_celery_beat",
    "viewflow",
    "viewflow.workflow",
    "musaned",
    "musaned.accounts",
    "musaned.policy",
    "musaned.integrations",
    "musaned.notifications",
    "musaned.billing",
    "musaned.registry",
    "musaned.documents",
    "musaned.ops",
    "households",
    "visas",
    "recruitment",
]

MIDDLEWARE = [
    "musaned.ops.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "musaned.accounts.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "musaned.accounts.middleware.StaffSecondFactorMiddleware",
    "musaned.accounts.middleware.ActingForMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "musaned.urls"
WSGI_APPLICATION = "musaned.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "musaned.accounts.context_processors.navigation",
                "musaned.notifications.context_processors.unread_notifications",
            ],
        },
    }
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'musaned.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, worker, beat) share the demo file: wait for locks instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Throttles and double-submit guards count in the cache: production shares one (Redis) between processes.
_cache_url = env.str("CACHE_URL", default="")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url}
        if _cache_url.startswith(("redis://", "rediss://"))
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "musaned.accounts.validators.CharacterClassesValidator"},
]
PASSWORD_HASHERS = env.list(
    "DJANGO_PASSWORD_HASHERS",
    default=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.ScryptPasswordHasher",
    ],
)
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# django-allauth: e-mail as the login, verified before use; TOTP for everyone, required for staff.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_ADAPTER = "musaned.accounts.adapter.AccountAdapter"
ACCOUNT_RATE_LIMITS = {"login_failed": False}  # lock-out is django-axes' job, one mechanism only
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Musaned"
USERSESSIONS_TRACK_ACTIVITY = True

# django-axes: lock an account (by e-mail and address) after repeated failed sign-ins.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "login"
AXES_USERNAME_CALLABLE = "musaned.accounts.axes.username_from_attempt"  # allauth passes `email`
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)

# Languages: Arabic first, English second.
LANGUAGE_CODE = "ar"
LANGUAGES = [("ar", _("Arabic")), ("en", _("English"))]
# The project catalogue first (makemessages writes there), then translations of third-party UI strings.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "musaned" / "locale_vendor"]
TIME_ZONE = "Asia/Riyadh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = DEBUG
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = VAR_DIR / "media"
PRIVATE_FILES_ROOT = Path(env.str("MUSANED_PRIVATE_FILES", default=str(VAR_DIR / "private")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Uploaded proofs: no public URL; served only through views that check who is asking.
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_FILES_ROOT), "base_url": None},
    },
    "staticfiles": {
        "BACKEND": env.str(
            "DJANGO_STATICFILES_STORAGE",
            default="django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}
DOCUMENTS_VERIFY_LOOKUPS_PER_MINUTE = env.int("DOCUMENTS_VERIFY_LOOKUPS_PER_MINUTE", default=20)
UPLOAD_MAX_BYTES = env.int("MUSANED_UPLOAD_MAX_BYTES", default=5 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES + 1024 * 1024

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Musaned <no-reply@musaned.example>")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SESSION_COOKIE_SECURE else None
X_FRAME_OPTIONS = "DENY"

# Celery: a file-system broker needs nothing installed; production sets a Redis or RabbitMQ URL.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _folder in ("queue", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # A message a worker took and never acknowledged (it died) is given to another after this long;
    # CELERY_BROKER_TRANSPORT_OPTIONS (JSON) adds to or overrides these.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600} | env.json(
        "CELERY_BROKER_TRANSPORT_OPTIONS", default={}
    )
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # workers log through LOGGING below, correlation id included
CELERY_BEAT_SCHEDULE = {
    "requeue-stale-messages": {
        "task": "musaned.notifications.tasks.requeue_stale_messages",
        "schedule": timedelta(minutes=15),
    },
    "release-held-messages": {
        "task": "musaned.notifications.tasks.release_held_messages",
        "schedule": timedelta(minutes=1),
    },
    "reconcile-bills": {"task": "musaned.billing.tasks.reconcile_bills", "schedule": timedelta(minutes=10)},
    "expire-overdue-bills": {
        "task": "musaned.billing.tasks.expire_overdue_bills",
        "schedule": timedelta(minutes=5),
    },
    "recheck-pending-identities": {
        "task": "households.tasks.recheck_pending_identities",
        "schedule": timedelta(minutes=30),
    },
    "expire-visas": {"task": "visas.tasks.visa_expire_due", "schedule": timedelta(hours=6)},
    "fire-workflow-timers": {
        "task": "musaned.workflow.fire_workflow_timers",
        "schedule": timedelta(minutes=1),
    },
    "escalate-overdue-complaints": {
        "task": "recruitment.complaints_tasks.escalate_overdue_complaints",
        "schedule": timedelta(hours=1),
    },
    "passports-feed-nightly": {
        "task": "musaned.registry.tasks.feed_nightly",
        "schedule": crontab(hour=2, minute=0),
    },
    "passports-feed-events": {
        "task": "musaned.registry.tasks.feed_events_announce",
        "schedule": timedelta(minutes=10),
    },
    "check-commercial-registrations": {
        "task": "recruitment.offices_tasks.offices_check_commercial_registrations",
        "schedule": crontab(hour=3, minute=0),
    },
    "recruitment-requests-sweep": {
        "task": "recruitment.requests_tasks.requests_sweep",
        "schedule": timedelta(minutes=15),
    },
    "delivery-deadlines": {
        "task": "recruitment.delivery_tasks.delivery_deadlines_run",
        "schedule": crontab(hour=6, minute=0),
    },
    "delivery-arrivals-poll": {
        "task": "recruitment.delivery_tasks.delivery_arrivals_poll",
        "schedule": timedelta(hours=1),
    },
    "delivery-handovers-overdue": {
        "task": "recruitment.delivery_tasks.delivery_handovers_overdue_run",
        "schedule": timedelta(hours=1),
    },
    "delivery-guarantees-close": {
        "task": "recruitment.delivery_tasks.delivery_guarantees_close_run",
        "schedule": crontab(hour=4, minute=0),
    },
    "office-daily-digest": {
        "task": "recruitment.digest_tasks.office_digests_send_today",
        "schedule": crontab(hour=6, minute=30),  # CELERY_TIMEZONE: Riyadh time
    },
    "probe-workers": {"task": "ops.probe", "schedule": timedelta(minutes=1)},
}

# Outside systems: "fake" (deterministic, for the demo and tests) or "http" (the real services).
INTEGRATIONS_MODE = env.str("INTEGRATIONS_MODE", default="fake")
INTEGRATIONS_TIMEOUT_SECONDS = env.float("INTEGRATIONS_TIMEOUT_SECONDS", default=10.0)
# Circuit breaker: this many outage-like failures in a row stop calls to a system for the cool-down.
# More than one task's own attempts (1 + GatewayTask.max_retries), so one task retrying a bad request
# cannot take a whole system offline by itself.
INTEGRATIONS_CIRCUIT_FAILURES = env.int("INTEGRATIONS_CIRCUIT_FAILURES", default=10)
INTEGRATIONS_CIRCUIT_COOLDOWN_SECONDS = env.float("INTEGRATIONS_CIRCUIT_COOLDOWN_SECONDS", default=60.0)
# Failure modes of the fakes, per gateway: "timeout", "error" or "malformed" (e.g. "identity=timeout").
INTEGRATIONS_FAKE_FAILURES = env.dict("INTEGRATIONS_FAKE_FAILURES", default={})
INTEGRATIONS_PAYMENT_SECRET = env.str("GATEWAY_PAYMENT_SECRET", default="")
INTEGRATIONS_HTTP = {
    name: {
        "url": env.str(f"GATEWAY_{name.upper()}_URL", default=""),
        "token": env.str(f"GATEWAY_{name.upper()}_TOKEN", default=""),
    }
    for name in ("identity", "sms", "email", "payment", "passports", "commerce", "mofa", "insurer")
}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}
SPECTACULAR_SETTINGS = {"TITLE": "Musaned API", "VERSION": "1"}

# Every line carries the correlation id of its web request or task; LOG_FORMAT=json for JSON lines.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "musaned.ops.logs.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "musaned.ops.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]}
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "weasyprint.progress": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
