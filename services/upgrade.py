"""``python -m bot db upgrade``: bring any database of the bot to the code's schema.

All or nothing: the whole upgrade (the first release's conversion, every migration and
its record) runs in one transaction, and a SQLite file is copied aside before it changes.

On SQLite the connection runs with ``foreign_keys=OFF``. Tortoise alters a SQLite table by
building a new one and dropping the old, and with foreign keys on, dropping ``users``
would delete every request through ON DELETE CASCADE. The keys are checked with
``PRAGMA foreign_key_check`` before the commit instead, as SQLite's ALTER TABLE
documentation prescribes.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.context import TortoiseContext
from tortoise.exceptions import BaseORMException
from tortoise.transactions import in_transaction

import config
from services import loggers
from services.db import describe
from services.errors import UpgradeFailed, UpgradeRefused
from services.migrations import (
    SchemaState,
    SchemaStatus,
    apply_migrations,
    code_migrations,
    inspect_schema,
    record_applied,
    schema_error,
)

SQLITE_HEADER = b"SQLite format 3\x00"
# What opening a database may raise besides our own errors; TypeError and ValueError come
# from URL parameters the driver does not know or cannot read.
DRIVER_ERRORS = (BaseORMException, OSError, sqlite3.Error, asyncpg.PostgresError)
SET_ASIDE = "first_release_users"
SHOWN = 10


@dataclass(frozen=True)
class UpgradeReport:
    """What an upgrade found and did."""

    before: SchemaStatus
    applied: tuple[str, ...] = ()
    recorded: tuple[str, ...] = ()
    backup: Path | None = None
    users_kept: int | None = None


async def upgrade(url: str | None = None) -> UpgradeReport:
    """Bring the database to the code's schema; nothing to do on an up-to-date one.

    Args:
        url: The database URL; defaults to the one in ``config``.

    Raises:
        UpgradeRefused: Not a SQLite file, a newer bot's database, someone else's tables, or
            first-release rows that cannot be kept; nothing was changed.
        UpgradeFailed: A step failed; everything was rolled back.
            So does a database that cannot be opened.
    """
    url = config.db_url(url)
    path = config.sqlite_path(url)
    if path is not None:
        _require_sqlite_file(path)

    try:
        if path is not None:
            # As at startup: a new file's folder is created, not refused.
            path.parent.mkdir(parents=True, exist_ok=True)
        async with _connection(url) as conn:
            return await _upgrade(conn, path)
    except (*DRIVER_ERRORS, TypeError, ValueError) as exc:
        raise UpgradeFailed(f"the upgrade of {describe(url)}", exc) from exc


async def schema_status(url: str | None = None) -> SchemaStatus:
    """Where the database stands against the code's migrations; changes nothing.

    Raises:
        UpgradeRefused: The file is not a SQLite database.
        UpgradeFailed: The database cannot be opened.
    """
    url = config.db_url(url)
    path = config.sqlite_path(url)
    if path is not None:
        _require_sqlite_file(path)
        if not path.exists():
            return await _missing_file_status(url)

    try:
        async with _connection(url) as conn:
            return await inspect_schema(conn)
    except (*DRIVER_ERRORS, TypeError, ValueError) as exc:
        raise UpgradeFailed(f"reading the schema of {describe(url)}", exc) from exc


async def _missing_file_status(url: str) -> SchemaStatus:
    migrations = await code_migrations(config.backend(url))
    return SchemaStatus(SchemaState.EMPTY, pending=tuple(m.name for m in migrations))


async def _upgrade(conn: BaseDBAsyncClient, path: Path | None) -> UpgradeReport:
    before = await inspect_schema(conn)
    if before.state is SchemaState.CURRENT:
        return UpgradeReport(before)
    if before.state in (SchemaState.AHEAD, SchemaState.FOREIGN):
        raise UpgradeRefused(str(schema_error(before)))
    if before.state is SchemaState.FIRST_RELEASE:
        await _require_keepable_users(conn)

    backup = None
    if path is not None and before.state is not SchemaState.EMPTY:
        backup = await asyncio.to_thread(back_up, path)
        loggers.db.info("backup taken: %s", backup)

    async with in_transaction(conn.connection_name) as txn:
        if before.state is SchemaState.UNRECORDED:
            await record_applied(txn, before.matches)
        if before.state is SchemaState.FIRST_RELEASE:
            await txn.execute_query(f'ALTER TABLE "users" RENAME TO "{SET_ASIDE}"')
        applied = await apply_migrations(txn)
        kept = await _bring_back_users(txn) if before.state is SchemaState.FIRST_RELEASE else None
        await _check_foreign_keys(txn)
    loggers.db.info("upgrade done: %s", ", ".join(applied) or "nothing to apply")
    return UpgradeReport(before, tuple(applied), before.matches, backup, kept)


@asynccontextmanager
async def _connection(url: str) -> AsyncIterator[BaseDBAsyncClient]:
    name = config.backend(url)
    async with TortoiseContext() as ctx:
        await ctx.init(config=config.tortoise_config(_without_foreign_key_actions(url)))
        yield ctx.db(name)


def _without_foreign_key_actions(url: str) -> str:
    if config.sqlite_path(url) is None:
        return url
    return config.with_query(url, {**config.query_of(url), "foreign_keys": "OFF"})


def _require_sqlite_file(path: Path) -> None:
    # Checked before any driver opens the file: opening one switches it to WAL.
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("rb") as file:
        header = file.read(len(SQLITE_HEADER))
    if header != SQLITE_HEADER:
        raise UpgradeRefused(f"{path} is not a SQLite database: check DATABASE_URL")


def back_up(path: Path) -> Path:
    """Copy a SQLite database, committed WAL content included, next to it.

    Returns:
        The copy: ``<file>.backup-<UTC time>``, with a counter if that name is taken.
    """
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.backup-{stamp}")
    counter = 1
    while target.exists():
        counter += 1
        target = path.with_name(f"{path.name}.backup-{stamp}-{counter}")

    source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
    finally:
        source.close()
    return target


async def _require_keepable_users(conn: BaseDBAsyncClient) -> None:
    # The current schema wants one user per Telegram id, and one it has; guessing which of
    # two rows is the real user, or making up an id, would be worse than asking.
    if conn.capabilities.dialect == "sqlite":
        where = "typeof(tg_id) <> 'integer'"
    else:
        where = "tg_id IS NULL"
    sql = f"SELECT id FROM users WHERE {where} ORDER BY id"  # noqa: S608
    rows = await conn.execute_query_dict(sql)
    if rows:
        raise UpgradeRefused(
            f"{len(rows)} users of the first release have no Telegram id (tg_id), or one that"
            f" is not an integer: ids {_listed(row['id'] for row in rows)}; fix or delete"
            " those rows, then run the upgrade again"
        )

    rows = await conn.execute_query_dict(
        "SELECT tg_id FROM users GROUP BY tg_id HAVING COUNT(*) > 1 ORDER BY tg_id"
    )
    if rows:
        raise UpgradeRefused(
            f"{len(rows)} Telegram ids (tg_id) belong to more than one user of the first"
            f" release: {_listed(row['tg_id'] for row in rows)}; keep one row per tg_id,"
            " then run the upgrade again"
        )


async def _bring_back_users(txn: BaseDBAsyncClient) -> int:
    # The first release kept no dates: the upgrade's time stands for when we met them.
    now = datetime.now(UTC)
    marks = "?, ?" if txn.capabilities.dialect == "sqlite" else "$1, $2"
    await txn.execute_query(
        'INSERT INTO "users" ("id", "tg_id", "name", "created_at", "updated_at")'  # noqa: S608
        f' SELECT "id", "tg_id", COALESCE("name", \'\'), {marks} FROM "{SET_ASIDE}"',
        [now, now],
    )
    if txn.capabilities.dialect != "sqlite":
        # Explicit ids leave PostgreSQL's sequence behind; the next user would clash.
        await txn.execute_query(
            "SELECT setval(pg_get_serial_sequence('users', 'id'),"
            " COALESCE((SELECT MAX(id) FROM users), 0) + 1, false)"
        )
    rows = await txn.execute_query_dict(f'SELECT COUNT(*) AS n FROM "{SET_ASIDE}"')  # noqa: S608
    await txn.execute_query(f'DROP TABLE "{SET_ASIDE}"')
    return int(rows[0]["n"])


async def _check_foreign_keys(txn: BaseDBAsyncClient) -> None:
    # PostgreSQL checks every key as it goes; SQLite, with the keys off, only when asked.
    if txn.capabilities.dialect != "sqlite":
        return
    rows = await txn.execute_query_dict("PRAGMA foreign_key_check")
    if rows:
        tables = sorted({row["table"] for row in rows})
        raise UpgradeFailed(
            "the foreign key check",
            f"{len(rows)} rows of {', '.join(tables)} would point at rows that do not exist",
        )


def _listed(values: Iterable[object]) -> str:
    items = [str(value) for value in values]
    shown = ", ".join(items[:SHOWN])
    return shown if len(items) <= SHOWN else f"{shown} and {len(items) - SHOWN} more"
