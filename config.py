"""Settings, read once from the environment and an optional ``.env`` file.

Secrets are ``SecretStr``: their repr is masked, and only the provider and the bot read
their value, at the moment they open a connection.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import asyncpg
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from tortoise.backends.base.config_generator import expand_db_url

ROOT = Path(__file__).resolve().parent

# The pragmas every SQLite connection gets, stated once. Tortoise's SQLite client runs
# each query parameter of the URL as ``PRAGMA key=value`` on the connection it opens, so
# putting them in the URL is what makes them hold on the connection the ORM really uses.
#   foreign_keys: SQLite enforces no foreign key unless each connection asks.
#   journal_mode=WAL: readers do not block the writer.
#   busy_timeout: wait for a lock instead of failing at once with "database is locked".
#   synchronous=NORMAL: safe with WAL (a power cut may lose the last commits, never corrupt
#   the file) and measured 2.5x faster on writes than the default FULL.
SQLITE_PRAGMAS: dict[str, str] = {
    "foreign_keys": "ON",
    "journal_mode": "WAL",
    "busy_timeout": "5000",
    "synchronous": "NORMAL",
}

MODEL_MODULES = ["models"]
# The package of Tortoise migrations; a test points it at a throw-away copy.
MIGRATIONS_MODULE = "migrations"


class Settings(BaseSettings):
    """Everything the bot reads from its environment."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str | None = Field(default=None, description="Overrides the SQLite default")
    data_dir: Path = ROOT / "data"

    max_prompt_chars: int = Field(default=4096, gt=0)

    telegram_bot_token: SecretStr | None = None
    telegram_api_base: str | None = None
    # Telegram allows about one message per second in a chat; a streamed answer is edited
    # no more often than this.
    telegram_edit_interval_s: float = Field(default=1.0, ge=0)
    # None sends model output as plain text; "HTML" or "MarkdownV2" try markup first and
    # fall back to plain text when Telegram cannot parse it.
    telegram_parse_mode: str | None = None
    # Webhook mode (``python -m bot webhook``): the secret Telegram sends back in the
    # X-Telegram-Bot-Api-Secret-Token header, where this process listens, and the public
    # base URL to register with Telegram (unset: register it yourself, once, for all).
    telegram_webhook_secret: SecretStr | None = None
    webhook_host: str = "127.0.0.1"
    webhook_port: int = Field(default=8080, ge=0, le=65535)
    webhook_path: str = "/telegram"
    webhook_url: str | None = None

    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    llm_timeout_s: float = Field(default=60.0, gt=0)
    llm_max_retries: int = Field(default=2, ge=0)

    log_level: str = "INFO"

    @field_validator(
        "telegram_bot_token", "openai_api_key", "telegram_webhook_secret", mode="before"
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # `TELEGRAM_BOT_TOKEN=` in a .env template means "not set", not "the empty token".
        return None if value == "" else value

    @property
    def default_sqlite_path(self) -> Path:
        return self.data_dir / "ledger.sqlite3"


settings = Settings()


def db_url(url: str | None = None) -> str:
    """The database URL in force, SQLite pragmas included.

    Args:
        url: An explicit URL; defaults to ``DATABASE_URL``, then the SQLite file under
            ``data/``.
    """
    url = url or settings.database_url or f"sqlite://{settings.default_sqlite_path}"
    if urlsplit(url).scheme != "sqlite":
        return url

    # Pragmas the URL already names win: an operator may want FULL sync, say.
    return with_query(url, {**SQLITE_PRAGMAS, **query_of(url)})


def query_of(url: str) -> dict[str, str]:
    """The query parameters of a URL."""
    return dict(parse_qsl(url.partition("?")[2]))


def with_query(url: str, query: dict[str, str]) -> str:
    """``url`` with its query replaced by ``query``, the rest of it untouched.

    Split by hand rather than through urlsplit/urlunsplit, which would turn
    ``sqlite:////abs/path`` into a relative path and read a '#' in a path as a fragment.
    """
    return f"{url.partition('?')[0]}?{urlencode(query)}"


def backend(url: str) -> str:
    """``"sqlite"`` or ``"postgres"``: the dialect a URL speaks.

    It doubles as Tortoise's connection name. Tortoise caches each model's INSERT statement
    per connection name, so a process that opened SQLite and then PostgreSQL under one name
    would send ``?`` placeholders to PostgreSQL. One name per dialect makes that impossible.
    """
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        return "sqlite"
    if scheme in {"postgres", "postgresql", "asyncpg"}:
        return "postgres"
    raise ValueError(f"unsupported database URL scheme {scheme!r}: use sqlite:// or postgres://")


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for another backend or ``:memory:``."""
    if urlsplit(url).scheme != "sqlite":
        return None
    # As Tortoise reads it: everything between the scheme and the query, '#' included.
    path = url.removeprefix("sqlite://").split("?", 1)[0]
    return None if path == ":memory:" else Path(path)


class PooledConnection(asyncpg.Connection):  # type: ignore[misc]
    """A PostgreSQL connection that goes back to the pool without a reset query.

    asyncpg resets every connection it takes back (``RESET ALL``, ``UNLISTEN *``,
    ``CLOSE ALL``, releasing advisory locks): one more round trip for each statement,
    since Tortoise takes a pooled connection per statement. The bot sets no session
    state, so there is nothing to reset; an open transaction is still rolled back. The
    measured gain is in the README (Benchmarks).
    """

    def get_reset_query(self) -> str:
        return ""


def tortoise_config(url: str | None = None) -> dict[str, Any]:
    """The Tortoise configuration for a URL (the one in force by default)."""
    url = db_url(url)
    name = backend(url)
    # TODO: Tortoise reads a SQLite URL's path without unquoting it, so a path holding '#'
    # cannot be expressed; such paths are refused until it unquotes them.
    if name == "sqlite" and "#" in url:
        raise ValueError("a SQLite path with '#' in it is not supported: use another folder")
    connection: str | dict[str, Any] = url
    if name == "postgres":
        connection = expand_db_url(url)
        connection["credentials"].setdefault("connection_class", PooledConnection)
    return {
        "connections": {name: connection},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": name,
                "migrations": MIGRATIONS_MODULE,
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def __getattr__(name: str) -> Any:
    # TORTOISE_ORM is computed on access so that a test's override of the URL is seen by
    # the migration tool too.
    if name == "TORTOISE_ORM":
        return tortoise_config()
    raise AttributeError(name)
