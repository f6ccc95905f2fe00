"""Settings from environment variables (LEARNAPP_*), with safe defaults.

`load_settings()` reads the environment once; `create_app(config=...)` may override any key,
which is how tests pass their database and clock.
"""

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("development", "production", "testing")


class ConfigError(RuntimeError):
    """The environment does not describe a runnable configuration."""


def _data_dir() -> Path:
    raw = os.environ.get("LEARNAPP_DATA_DIR")
    return Path(raw).resolve() if raw else PROJECT_ROOT / "instance"


def _secret_key(env: str, data_dir: Path) -> str:
    key = os.environ.get("LEARNAPP_SECRET_KEY")
    if key:
        return key
    if env == "production":
        raise ConfigError("LEARNAPP_SECRET_KEY must be set when LEARNAPP_ENV=production")
    # Outside production a key is generated once and kept beside the database, so sessions
    # survive restarts and two copies with different data folders do not share one.
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def load_settings() -> dict:
    env = os.environ.get("LEARNAPP_ENV", "development")
    if env not in ENVIRONMENTS:
        raise ConfigError(f"LEARNAPP_ENV must be one of {', '.join(ENVIRONMENTS)}")
    data_dir = _data_dir()
    production = env == "production"
    return {
        "ENV_NAME": env,
        "DATA_DIR": str(data_dir),
        "SECRET_KEY": _secret_key(env, data_dir),
        "DATABASE_URL": os.environ.get(
            "LEARNAPP_DATABASE_URL", f"sqlite:///{data_dir / 'learnapp.db'}"
        ),
        "ORG_TIMEZONE": os.environ.get("LEARNAPP_TIMEZONE", "Asia/Shanghai"),
        "RATELIMIT_STORAGE_URI": os.environ.get("LEARNAPP_REDIS_URL", "memory://"),
        "MAX_CONTENT_LENGTH": int(os.environ.get("LEARNAPP_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)),
        # Question files (bank import): checked before any parsing.
        "IMPORT_MAX_BYTES": int(os.environ.get("LEARNAPP_IMPORT_MAX_BYTES", 10 * 1024 * 1024)),
        # Lesson videos and PDFs (learnapp.courses): only the upload route accepts this much.
        "COURSE_MEDIA_MAX_BYTES": int(
            os.environ.get("LEARNAPP_MAX_MEDIA_BYTES", 500 * 1024 * 1024)
        ),
        # Reminder e-mail (learnapp.completion.reminders): sent only when a host is set.
        "SMTP_HOST": os.environ.get("LEARNAPP_SMTP_HOST", ""),
        "SMTP_PORT": int(os.environ.get("LEARNAPP_SMTP_PORT", 587)),
        "SMTP_USER": os.environ.get("LEARNAPP_SMTP_USER", ""),
        "SMTP_PASSWORD": os.environ.get("LEARNAPP_SMTP_PASSWORD", ""),
        "SMTP_FROM": os.environ.get("LEARNAPP_SMTP_FROM", "learnapp@localhost"),
        "SMTP_STARTTLS": os.environ.get("LEARNAPP_SMTP_STARTTLS", "1") == "1",
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "learnapp_session",
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # The token is bound to the login session instead of a clock, so a long exam or a
        # long form can always be submitted (security.md E16).
        "WTF_CSRF_TIME_LIMIT": None,
        "AUTH_SESSION_HOURS": 12,
        "ARGON2_PARAMS": {},
        "BABEL_DEFAULT_LOCALE": "zh_Hans",
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("LEARNAPP_TIMEZONE", "Asia/Shanghai"),
        "PREFERRED_URL_SCHEME": "https" if production else "http",
    }
