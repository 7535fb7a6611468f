"""Settings, read from the environment (and `.env`) with the names in INTERFACE.md."""
from __future__ import annotations

import hashlib
import os
import tempfile
import secrets
from datetime import timedelta
from pathlib import Path

from dotenv import load_dotenv

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"

load_dotenv(ROOT / ".env")


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on", "ya"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _secret_key() -> str:
    """SECRET_KEY from the environment; for development a random key kept under instance/."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    INSTANCE.mkdir(exist_ok=True)
    path = INSTANCE / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _limits_storage(secret_key: str) -> dict:
    """One installation's counters in a Redis that others may share: its hosts share the
    SECRET_KEY (their sessions work on each other), another installation has its own prefix."""
    prefix = os.environ.get("RATELIMIT_KEY_PREFIX") or "LIMITS:" + hashlib.sha256(
        b"rate limits of " + secret_key.encode()).hexdigest()[:16]
    return {"key_prefix": prefix}


class Config:
    """Production and development settings: every value comes from the environment."""

    def __init__(self) -> None:
        self.SECRET_KEY = _secret_key()
        self.SQLALCHEMY_DATABASE_URI = os.environ.get(
            "DATABASE_URL", f"sqlite:///{INSTANCE / 'ruang_konseling.db'}"
        )
        # Connections idle in the pool are pinged before use (app/database.py), busy ones not.
        self.SQLALCHEMY_ENGINE_OPTIONS = {}
        self.APP_BASE_URL = os.environ.get("APP_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
        self.APP_TIMEZONE = os.environ.get("APP_TIMEZONE", "Asia/Jakarta")
        self.BABEL_DEFAULT_LOCALE = os.environ.get("BABEL_DEFAULT_LOCALE", "id")
        self.BABEL_DEFAULT_TIMEZONE = self.APP_TIMEZONE
        self.LANGUAGES = {"id": "Bahasa Indonesia", "en": "English"}
        self.MAIL_SERVER = os.environ.get("MAIL_SERVER", "127.0.0.1")
        self.MAIL_PORT = _int("MAIL_PORT", 25)
        self.MAIL_USE_TLS = _bool("MAIL_USE_TLS")
        self.MAIL_USE_SSL = _bool("MAIL_USE_SSL")
        self.MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
        self.MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
        self.MAIL_DEFAULT_SENDER = os.environ.get(
            "MAIL_DEFAULT_SENDER", "Ruang Konseling <noreply@ruang-konseling.local>"
        )
        self.WHATSAPP_GATEWAY_URL = os.environ.get("WHATSAPP_GATEWAY_URL", "")
        self.WHATSAPP_GATEWAY_TOKEN = os.environ.get("WHATSAPP_GATEWAY_TOKEN", "")
        self.SCHEDULER_ENABLED = _bool("SCHEDULER_ENABLED", False)
        self.SCHEDULER_LEASE_SECONDS = _int("SCHEDULER_LEASE_SECONDS", 20)
        # Required outside debug and testing (app/crypto.py); comma-separated during a rotation.
        self.DATA_ENCRYPTION_KEY = os.environ.get("DATA_ENCRYPTION_KEY", "")
        self.DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "demo12345")
        self.METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
        self.LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
        self.RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
        self.RATELIMIT_HEADERS_ENABLED = False
        self.RATELIMIT_STORAGE_OPTIONS = _limits_storage(self.SECRET_KEY)
        self.LOGIN_FREE_FAILURES = _int("LOGIN_FREE_FAILURES", 5)  # per account and address
        self.LOGIN_MAX_DELAY_MINUTES = _int("LOGIN_MAX_DELAY_MINUTES", 15)
        self.PROXY_COUNT = _int("PROXY_COUNT", 0)  # reverse proxies whose X-Forwarded-* to trust
        self.SESSION_IDLE_MINUTES = _int("SESSION_IDLE_MINUTES", 60)
        self.PERMANENT_SESSION_LIFETIME = timedelta(minutes=self.SESSION_IDLE_MINUTES)
        self.SESSION_REFRESH_EACH_REQUEST = True  # the idle time restarts on every request
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = self.APP_BASE_URL.startswith("https://")
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.WTF_CSRF_TIME_LIMIT = None  # valid for the session's lifetime
        self.STATIC_MAX_AGE = 365 * 24 * 3600
        # HTML and JSON are gzipped by the app (static files are pre-compressed by WhiteNoise).
        self.COMPRESS_ALGORITHM = ["gzip"]
        self.COMPRESS_MIMETYPES = ["text/html", "application/json"]
        self.COMPRESS_MIN_SIZE = 1000
        self.ARGON2_PROFILE = os.environ.get("ARGON2_PROFILE", "RFC_9106_LOW_MEMORY")
        # How long a process keeps the working calendar and the procedure files it read before
        # looking at the database and the files again (app/sop/workcal.py, app/sop/registry.py)
        self.CACHE_RELOAD_SECONDS = _int("CACHE_RELOAD_SECONDS", 5)
        # Days to keep sent and withdrawn outbox messages (`flask data archive`); empty: keep everything.
        self.OUTBOX_RETENTION_DAYS = _int("OUTBOX_RETENTION_DAYS", 0) or None
        # Roles people may register into themselves at /register (comma-separated); only roles
        # without staff rights count, whatever is written here (app/auth/accounts.py).
        self.SELF_REGISTER_ROLES = os.environ.get("SELF_REGISTER_ROLES", "alumni,student,client")
        # Case files (requirement documents): where they are kept, encrypted, outside the web root
        # (empty: `instance/casefiles`), and the largest file accepted.
        self.CASEFILES_DIR = os.environ.get("CASEFILES_DIR", "")
        self.CASEFILES_MAX_BYTES = _int("CASEFILES_MAX_BYTES", 5 * 1024 * 1024)
        # No request body larger than this is read at all (413): a file, a roster, a form.
        self.MAX_CONTENT_LENGTH = max(self.CASEFILES_MAX_BYTES, 10 * 1024 * 1024) + 1024 * 1024


# The test suite's fixed key (also given to the `flask` processes tests start).
TEST_ENCRYPTION_KEY = "PtMGmg1ocPysvzMvwU1vS6Itd8k4FGPuONPr24gVwm4="


class TestConfig(Config):
    """Settings for the test suite: a database URL is always given by the fixture."""

    __test__ = False  # not a pytest test class

    def __init__(self, database_url: str) -> None:
        super().__init__()
        self.TESTING = True
        self.SECRET_KEY = "test-secret-key"
        self.RATELIMIT_STORAGE_OPTIONS = _limits_storage(self.SECRET_KEY)
        self.DATA_ENCRYPTION_KEY = TEST_ENCRYPTION_KEY
        self.SQLALCHEMY_DATABASE_URI = database_url
        self.SCHEDULER_ENABLED = False
        self.RATELIMIT_STORAGE_URI = "memory://"
        self.APP_BASE_URL = "http://localhost"
        self.ARGON2_PROFILE = "CHEAPEST"  # argon2-cffi's profile for test suites
        self.CACHE_RELOAD_SECONDS = 0  # tests change the calendar and the files as they go
        self.CASEFILES_DIR = tempfile.mkdtemp(prefix="casefiles-test-")  # never the instance folder
