"""Connecting to the database and checking its schema.

One process holds one Tortoise configuration at a time, opened by :func:`init_db` and
closed by :func:`close_db`. The schema comes from the migrations in ``migrations/``
(see ``services.migrations``); an existing database is brought forward by
``python -m bot db upgrade``, never at startup.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import BaseORMException, ConfigurationError

import config
from models import User
from services import loggers
from services.errors import LedgerError, StorageError
from services.migrations import prepare_schema

_url: str | None = None


async def init_db(url: str | None = None) -> str:
    """Connect to the database and check its schema; harmless to call twice.

    A new database gets the schema. One whose schema is behind or ahead of the code is
    refused with the error that says what to do, before anything else touches it.

    Args:
        url: The database URL; defaults to the one in ``config``.

    Returns:
        The URL in force, SQLite pragmas included.

    Raises:
        SchemaBehind: The schema is older than the code's: run the upgrade.
        SchemaAhead: A newer version of the bot wrote the database.
        StorageError: The database cannot be opened or is not one we can use.
    """
    global _url
    url = config.db_url(url)
    try:
        settings = config.tortoise_config(url)
    except (ValueError, ConfigurationError) as exc:
        raise StorageError(f"DATABASE_URL is not usable: {exc}") from exc
    if _url is not None and _url != url:
        await close_db()

    path = config.sqlite_path(url)
    try:
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        if _url is None:
            # The global fallback lets tasks aiogram starts later see the same connections.
            await Tortoise.init(config=settings, _enable_global_fallback=True)
            _url = url
        await prepare_schema(User._meta.db)
        if path is not None:
            await _check_writable(User._meta.db, path)
    except LedgerError:
        await close_db()
        raise
    except (TypeError, ValueError) as exc:
        # Tortoise hands URL query parameters to the driver, which refuses unknown ones.
        await close_db()
        raise StorageError(f"DATABASE_URL is not usable: {exc}") from exc
    except (BaseORMException, OSError, sqlite3.Error, asyncpg.PostgresError) as exc:
        # Drivers raise their own errors for a file that is no database or a server that
        # refuses us; close what was opened, or aiosqlite's thread keeps the process alive.
        await close_db()
        raise StorageError(f"cannot open the database at {describe(url)}: {exc}") from exc

    loggers.db.info("database ready: %s", describe(url))
    return url


async def close_db() -> None:
    """Close every connection :func:`init_db` opened; harmless when none is open."""
    global _url
    if Tortoise._inited:
        await Tortoise.close_connections()
    _url = None


@asynccontextmanager
async def get_db() -> AsyncIterator[BaseDBAsyncClient]:
    """The live connection the models use, for the rare query the ORM cannot express."""
    yield User._meta.db


async def _check_writable(conn: BaseDBAsyncClient, path: Path) -> None:
    # A read-only file opens and answers reads; without this, every message would fail.
    # Writing user_version back unchanged, then rolling back, touches no data; a
    # read-only connection refuses even that ("attempt to write a readonly database").
    rows = await conn.execute_query_dict("PRAGMA user_version")
    version = int(rows[0]["user_version"])
    try:
        await conn.execute_script(f"BEGIN IMMEDIATE; PRAGMA user_version={version}; ROLLBACK;")
    except BaseORMException as exc:
        if "readonly" in str(exc):
            raise StorageError(
                f"the database {path} is read-only: the bot must write its ledger"
            ) from exc
        raise


def describe(url: str) -> str:
    """A URL fit for a log line: the SQLite path, or the server and database, no password."""
    path = config.sqlite_path(url)
    if path is not None:
        return str(path)
    parts = urlsplit(url)
    try:
        port = str(parts.port or 5432)
    except ValueError:
        port = "?"
    return f"{parts.scheme}://{parts.hostname}:{port}{parts.path}"
