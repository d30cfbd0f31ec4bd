"""Building databases in the states an upgrade meets, through the drivers themselves."""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import pytest
from tortoise.context import TortoiseContext

import config
from services.db import close_db, init_db
from tests.conftest import _asyncpg_dsn

ROOT = Path(__file__).resolve().parents[2]
BASELINE = "0001_baseline"
FIRST_RELEASE_DDL = "CREATE TABLE users (id INTEGER PRIMARY KEY, tg_id INTEGER, name TEXT)"


async def fetch(url: str, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    """Run one statement on a fresh driver connection; its rows as tuples.

    Placeholders are the driver's own: ``?`` on SQLite, ``$1`` on PostgreSQL.
    """
    path = config.sqlite_path(url)
    if path is not None:
        with sqlite3.connect(path) as conn:
            rows = conn.execute(sql, args).fetchall()
        conn.close()
        return [tuple(row) for row in rows]
    conn = await asyncpg.connect(_asyncpg_dsn(url), timeout=5)
    try:
        return [tuple(row) for row in await conn.fetch(sql, *args)]
    finally:
        await conn.close()


async def insert_many(url: str, sql: str, rows: list[tuple[Any, ...]]) -> None:
    path = config.sqlite_path(url)
    if path is not None:
        with sqlite3.connect(path) as conn:
            conn.executemany(sql, rows)
        conn.close()
        return
    conn = await asyncpg.connect(_asyncpg_dsn(url), timeout=5)
    try:
        await conn.executemany(sql, rows)
    finally:
        await conn.close()


def placeholders(url: str, count: int) -> str:
    if config.sqlite_path(url) is not None:
        return ", ".join("?" * count)
    return ", ".join(f"${n}" for n in range(1, count + 1))


async def first_release(url: str, users: list[tuple[int, int | None, str | None]]) -> None:
    """The database the first release left: one ``users`` table holding these rows."""
    await fetch(url, FIRST_RELEASE_DDL)
    await insert_many(
        url, f"INSERT INTO users (id, tg_id, name) VALUES ({placeholders(url, 3)})", users
    )


async def generate_schema(url: str) -> None:
    """Today's tables as ``generate_schemas`` makes them, with no record of migrations."""
    async with TortoiseContext() as ctx:
        await ctx.init(config=config.tortoise_config(url))
        await ctx.generate_schemas()


def throwaway_migrations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: dict[str, str]
) -> str:
    """A migrations package of the baseline plus ``extra`` (name -> source), put in force.

    Each package gets a name of its own: Python caches imported migration modules by name.
    """
    name = f"throwaway_{uuid.uuid4().hex[:8]}"
    package = tmp_path / "packages" / name
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    shutil.copy(ROOT / "migrations" / f"{BASELINE}.py", package)
    for module, source in extra.items():
        (package / f"{module}.py").write_text(source)
    monkeypatch.syspath_prepend(str(package.parent))
    monkeypatch.setattr(config, "MIGRATIONS_MODULE", name)
    return name


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


FUTURE_MIGRATION = "0002_from_the_future"


async def newer_bots_database(url: str) -> None:
    """A database at today's schema that records a migration this code does not have."""
    await init_db()
    await close_db()
    await fetch(
        url,
        "INSERT INTO tortoise_migrations (app, name, applied_at)"
        f" VALUES ('models', '{FUTURE_MIGRATION}', '2030-01-01')",
    )
