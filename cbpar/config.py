"""Configuration: defaults, then instance/config.py, then CBPAR_* environment variables."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path
from typing import Any

PACKAGE = Path(__file__).resolve().parent
# The checkout's root (templates/, static/, instance/ live beside the package there).
ROOT = PACKAGE.parent


def is_checkout() -> bool:
    """True when running from the source tree (or an editable install of it)."""
    return (ROOT / "pyproject.toml").is_file() and (ROOT / "templates").is_dir()


def asset_folder(name: str) -> Path:
    """templates/ or static/: beside the package in a checkout, inside it once installed."""
    packaged = PACKAGE / name
    return packaged if packaged.is_dir() else ROOT / name


# Keys that have been published (docs, examples, frameworks' tutorials) and so protect nothing.
KNOWN_SECRET_KEYS = frozenset(
    {
        "dev",
        "secret",
        "changeme",
        "change-me",
        "development",
        "test",
        "testing",
        "please-change-this-secret-key-in-production",
    }
)
MIN_SECRET_KEY_LENGTH = 32


class Defaults:
    """Settings every deployment starts from; each can be overridden."""

    DATABASE_URL: str = ""  # empty: a SQLite file in the instance folder
    SECRET_KEY: str = ""  # empty: generated once into the instance folder
    HTTPS: bool = False
    RATELIMIT_STORAGE_URI: str = "memory://"
    LOGIN_RATE_LIMIT_ENABLED: bool = True
    LOGIN_RATE_LIMIT: str = "10 per 15 minutes"  # failed log-ins per (account, address)
    LOGIN_ADDRESS_RATE_LIMIT: str = "100 per 15 minutes"  # failed log-ins per address
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto to trust (nginx: 1), so
    # log-in throttling and the audit trail see the visitor's address, not the proxy's.
    TRUSTED_PROXIES: int = 0
    DEFAULT_TIMEZONE: str = "Asia/Shanghai"
    LANGUAGES: tuple[str, ...] = ("en", "zh_Hans")
    BABEL_DEFAULT_LOCALE: str = "en"
    PASSWORD_HASH_METHOD: str = "scrypt"
    MIN_PASSWORD_LENGTH: int = 10
    INVITATION_DAYS: int = 14
    SESSION_COOKIE_HTTPONLY: bool = True
    SESSION_COOKIE_SAMESITE: str = "Lax"
    REMEMBER_COOKIE_HTTPONLY: bool = True
    REMEMBER_COOKIE_SAMESITE: str = "Lax"
    WTF_CSRF_TIME_LIMIT: int | None = None  # token lives as long as the session
    PER_PAGE: int = 50
    SQL_ECHO: bool = False
    # Basemap: "openstreetmap", "none" (no basemap, e.g. offline), or an XYZ URL template such
    # as https://example.org/{z}/{x}/{y}.png, with its attribution. See docs/mapping.md.
    TILES: str = "openstreetmap"
    TILES_ATTRIBUTION: str = ""
    MAP_BBOX_CAP: int = 5000  # most households one bbox request answers with
    # Where attachment files live: "folder" (instance/uploads/, one server) or "database"
    # (table attachment_blob: every app server sees every file). See docs/deployment.md.
    ATTACHMENT_STORAGE: str = "folder"
    MAX_ATTACHMENT_BYTES: int = 10 * 1024 * 1024  # largest file attached to a memo or interview
    MAX_AUDIO_BYTES: int = 50 * 1024 * 1024  # a sound recording (interview, field app)
    # Whole request bodies: one attachment plus the form around it.
    MAX_CONTENT_LENGTH: int = max(MAX_ATTACHMENT_BYTES, MAX_AUDIO_BYTES) + 64 * 1024
    # Zips from outside (project archives, XLSX): all entries together, once decompressed.
    MAX_ARCHIVE_BYTES: int = 1024 * 1024 * 1024
    # Notification e-mails (docs/notifications.md): smtp://user:password@host:587 (STARTTLS),
    # smtps://user:password@host:465, or smtp://127.0.0.1:25 (a relay on this machine). Empty:
    # e-mails wait in the outbox. The sender is `cbpar notify send` (deploy/systemd timer).
    SMTP_URL: str = ""
    MAIL_FROM: str = "CBPAR Workspace <cbpar@localhost>"
    # Where people reach the app (https://cbpar.example.org), for links in e-mails and chats.
    BASE_URL: str = ""
    MAIL_LOCALE: str = "zh_Hans"  # language of e-mails to people who chose none


# Environment names that differ from the config key they set.
ENV_ALIASES = {"CBPAR_RATELIMIT_STORAGE": "RATELIMIT_STORAGE_URI"}


def instance_path(overrides: dict[str, Any] | None = None) -> Path:
    """The instance folder: INSTANCE_PATH given to the factory, CBPAR_INSTANCE_PATH, else
    `instance/` in a checkout or `<venv>/var/cbpar-instance` once installed (as Flask does)."""
    if overrides and overrides.get("INSTANCE_PATH"):
        return Path(overrides["INSTANCE_PATH"]).resolve()
    if os.environ.get("CBPAR_INSTANCE_PATH"):
        return Path(os.environ["CBPAR_INSTANCE_PATH"]).resolve()
    if is_checkout():
        return ROOT / "instance"
    return Path(sys.prefix) / "var" / "cbpar-instance"


def _coerce(raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, tuple):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return raw


def from_environment(config: dict[str, Any], environ: dict[str, str] | None = None) -> None:
    """Apply CBPAR_<KEY> variables, coerced to the type of the current value."""
    environ = os.environ if environ is None else environ
    for name, raw in environ.items():
        if not name.startswith("CBPAR_") or name == "CBPAR_INSTANCE_PATH":
            continue
        key = ENV_ALIASES.get(name, name.removeprefix("CBPAR_"))
        config[key] = _coerce(raw, config.get(key, ""))


def ensure_secret_key(config: dict[str, Any], folder: Path) -> None:
    """Use the configured key, or one generated once and kept (mode 0600) in the instance folder."""
    if config.get("SECRET_KEY"):
        return
    key_file = folder / "secret_key"
    if not key_file.exists():
        folder.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another worker wrote it first
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
    config["SECRET_KEY"] = key_file.read_text().strip()


def check_secret_key(key: str) -> str | None:
    """Why this key is unfit for production, or None if it will do."""
    if key.strip().lower() in KNOWN_SECRET_KEYS:
        return "CBPAR_SECRET_KEY is a published example key; set a random one."
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return f"CBPAR_SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters long."
    return None


def default_database_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'cbpar.sqlite3'}"
