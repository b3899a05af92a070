"""Fugong settings, read from the environment (see API.md "Configuration").

One module serves development, tests and production: the environment decides. Defaults are
safe for a laptop or a county server (an SQLite file under var/); production sets
DATABASE_URL, SECRET_KEY and ALLOWED_HOSTS.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("FUGONG_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "fugong-development-key-change-me-in-production-0123456789")
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]
# The key that encrypts personal fields at rest (base64 of 32 bytes); `check` warns without it
# outside DEBUG (fugong/core/checks.py).
FUGONG_DATA_KEY = os.environ.get("FUGONG_DATA_KEY", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "csp",
    "fugong.core",
    "fugong.regions",
    "fugong.accounts",
    "fugong.enterprises",
    "fugong.dispatch",
    "fugong.briefing",
    "fugong.notify",
    "fugong.problems",
    "fugong.lists",
    "fugong.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "fugong.core.middleware.RequestSizeMiddleware",
    "fugong.core.middleware.RejectNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # "我的设备": when each signed-in session was last used (fugong/accounts/devices.py)
    "fugong.accounts.devices.DeviceSeenMiddleware",
    # who is acting, for the audit trail's receivers; writes the request's refusals at its end
    "fugong.core.audit.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # a form posted after the session expired is kept for after signing in (fugong/core/kept_forms.py)
    "fugong.core.kept_forms.KeepExpiredFormMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "fugong.core.middleware.DomainErrorMiddleware",
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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "fugong.accounts.context.user_scope",
                "fugong.notify.context.unread_notifications",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'fugong.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers (dashboards) run while a report is written; IMMEDIATE avoids
    # "database is locked" upgrades from read to write inside a transaction.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Tests on a file like production, not Django's shared in-memory database, whose table locks
    # fail at once instead of waiting: two job runners in threads must meet as two processes do.
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        main_file = Path(DATABASES["default"]["NAME"])
        DATABASES["default"]["TEST"] = {"NAME": str(main_file.with_name(f"test-{main_file.name}"))}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# Our own additions to Django's catalogue (messages it lacks in zh_Hans), compiled .mo committed.
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"
# Serve straight from the app folders too, so a server started without collectstatic still has its CSS.
WHITENOISE_USE_FINDERS = True

# Uploads: spreadsheets up to this size are accepted; larger ones get a clear message.
FUGONG_MAX_UPLOAD_BYTES = int(os.environ.get("FUGONG_MAX_UPLOAD_BYTES", str(20 * 1024 * 1024)))
# Uploads bigger than this are imported by a background job with a progress bar.
FUGONG_BACKGROUND_IMPORT_BYTES = int(os.environ.get("FUGONG_BACKGROUND_IMPORT_BYTES", str(512 * 1024)))
# Official-form exports of more enterprises than this are written by a background job.
FUGONG_BACKGROUND_EXPORT_ROWS = int(os.environ.get("FUGONG_BACKGROUND_EXPORT_ROWS", "5000"))
# Every other request body (API JSON, page forms) is refused above this size (RequestSizeMiddleware).
FUGONG_MAX_REQUEST_BYTES = int(os.environ.get("FUGONG_MAX_REQUEST_BYTES", str(1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = FUGONG_MAX_UPLOAD_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Failed-login throttle (fugong/core/throttle.py, accounts.actions.check_login): an account gets
# this many free failures, then each further one makes the next attempt wait longer (the first
# wait, doubled each time, up to the longest); no failure for FORGET seconds and it starts afresh.
FUGONG_LOGIN_MAX_FAILURES = int(os.environ.get("FUGONG_LOGIN_MAX_FAILURES", "5"))
FUGONG_LOGIN_FIRST_WAIT_SECONDS = int(os.environ.get("FUGONG_LOGIN_FIRST_WAIT_SECONDS", "60"))
FUGONG_LOGIN_LONGEST_WAIT_SECONDS = int(os.environ.get("FUGONG_LOGIN_LONGEST_WAIT_SECONDS", "900"))
FUGONG_LOGIN_FORGET_SECONDS = int(os.environ.get("FUGONG_LOGIN_FORGET_SECONDS", "3600"))
# After this many failures from one address (any names), a name that fails from it gets one free
# failure there instead of FUGONG_LOGIN_MAX_FAILURES; names not tried from it are unaffected.
FUGONG_LOGIN_ADDRESS_MAX_FAILURES = int(os.environ.get("FUGONG_LOGIN_ADDRESS_MAX_FAILURES", "20"))
# Reverse proxies in front of the site (nginx: 1). Above 0 the client address is read from
# X-Forwarded-For, the entry this many places from the right; 0 reads REMOTE_ADDR only. Set it
# only when the site cannot be reached except through those proxies, or clients pick their address.
FUGONG_TRUSTED_PROXIES = int(os.environ.get("FUGONG_TRUSTED_PROXIES", "0"))

# Work orders the enterprise has not rated this many working days after the answer close by themselves.
FUGONG_RATING_WORKDAYS = int(os.environ.get("FUGONG_RATING_WORKDAYS", "3"))

# Notices: links in SMS, e-mail and robot messages are made absolute with the site's address.
FUGONG_SITE_URL = os.environ.get("FUGONG_SITE_URL", "")
FUGONG_WEBHOOK_TIMEOUT = float(os.environ.get("FUGONG_WEBHOOK_TIMEOUT", "5"))
# Signing in through WeCom (企业微信) and DingTalk (钉钉), accounts/sso_*: each is offered on the
# sign-in page once its keys are set. Every address is a setting, so an intranet install can point
# at a government edition of either app or at a local proxy.
FUGONG_WECOM_CORP_ID = os.environ.get("FUGONG_WECOM_CORP_ID", "")
FUGONG_WECOM_AGENT_ID = os.environ.get("FUGONG_WECOM_AGENT_ID", "")
FUGONG_WECOM_SECRET = os.environ.get("FUGONG_WECOM_SECRET", "")
FUGONG_WECOM_LOGIN_URL = os.environ.get("FUGONG_WECOM_LOGIN_URL", "https://login.work.weixin.qq.com/wwlogin/sso/login")
FUGONG_WECOM_OAUTH_URL = os.environ.get("FUGONG_WECOM_OAUTH_URL", "https://open.weixin.qq.com/connect/oauth2/authorize")
FUGONG_WECOM_API_URL = os.environ.get("FUGONG_WECOM_API_URL", "https://qyapi.weixin.qq.com")
FUGONG_DINGTALK_APP_KEY = os.environ.get("FUGONG_DINGTALK_APP_KEY", "")
FUGONG_DINGTALK_APP_SECRET = os.environ.get("FUGONG_DINGTALK_APP_SECRET", "")
FUGONG_DINGTALK_LOGIN_URL = os.environ.get("FUGONG_DINGTALK_LOGIN_URL", "https://login.dingtalk.com/oauth2/auth")
FUGONG_DINGTALK_API_URL = os.environ.get("FUGONG_DINGTALK_API_URL", "https://api.dingtalk.com")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "fugong@localhost")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 12 * 3600
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", False)
# A form refused by the CSRF check is kept and shown again in Chinese (fugong/core/csrf.py).
CSRF_FAILURE_VIEW = "fugong.core.csrf.csrf_failure"

# HTTPS in production (README "配置"): off by default so a laptop on plain http works.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Behind nginx, which terminates TLS: "HTTP_X_FORWARDED_PROTO,https" trusts its header.
# Only set it when the proxy always overwrites that header, or clients can claim https.
_proxy_header = [part.strip() for part in os.environ.get("SECURE_PROXY_SSL_HEADER", "").split(",")]
SECURE_PROXY_SSL_HEADER = (_proxy_header[0], _proxy_header[1]) if len(_proxy_header) == 2 else None

# Content-Security-Policy (django-csp): everything from this site, nothing inline. Scripts and
# styles live in static files; ECharts and htmx set styles through the CSSOM, which CSP allows.
# Images may be data: URIs (ECharts' "save as image", Swagger UI's icons in its CSS).
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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
