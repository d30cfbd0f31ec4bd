"""Where a run happens: fresh SQLite files in a temporary folder, or fresh PostgreSQL
databases with unique names, created for the run and dropped after it."""

from __future__ import annotations

import os
import sqlite3
import uuid
from typing import Any, Protocol
from urllib.parse import urlsplit

import aiosqlite
import asyncpg
from tortoise import Tortoise

import config
from bench.ledger import Ledger
from bench.load import load_postgres, load_sqlite
from bench.sides import AiosqliteSide, AsyncpgSide, Sqlite3Side, Statements
from models import Request
from services.db import init_db

DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/test"


class Target(Protocol):
    name: str

    async def create(self, label: str) -> str: ...
    async def open_project(self, url: str) -> None: ...
    async def open_sides(self, sql: Statements, model_id: int) -> list[Any]: ...
    async def close_sides(self) -> None: ...
    async def load(self, ledger: Ledger, count: int, first_id: int) -> None: ...
    async def cleanup(self) -> None: ...
    async def version(self) -> str: ...


class SqliteTarget:
    name = "sqlite"

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.path = ""
        self.raw: aiosqlite.Connection | None = None
        self.floor: sqlite3.Connection | None = None

    async def create(self, label: str) -> str:
        self.path = os.path.join(self.folder, f"{label}.sqlite3")
        return config.db_url(f"sqlite://{self.path}")

    async def open_project(self, url: str) -> None:
        await init_db(url)

    def pragmas(self) -> dict[str, Any]:
        # Those of the connection Tortoise really opened: ours plus its own defaults.
        return dict(Request._meta.db.pragmas)  # type: ignore[attr-defined]

    async def open_sides(self, sql: Statements, model_id: int) -> list[Any]:
        pragmas = self.pragmas()
        self.raw = await aiosqlite.connect(self.path, isolation_level=None)
        self.floor = sqlite3.connect(self.path, isolation_level=None)
        for name, value in pragmas.items():
            await self.raw.execute(f"PRAGMA {name}={value}")
            self.floor.execute(f"PRAGMA {name}={value}")
        return [AiosqliteSide(self.raw, sql, model_id), Sqlite3Side(self.floor, sql, model_id)]

    async def close_sides(self) -> None:
        if self.raw is not None:
            await self.raw.close()
        if self.floor is not None:
            self.floor.close()
        self.raw = self.floor = None

    async def load(self, ledger: Ledger, count: int, first_id: int) -> None:
        pragmas = {k: v for k, v in config.SQLITE_PRAGMAS.items()}
        load_sqlite(self.path, pragmas, ledger, count, first_id)

    async def cleanup(self) -> None:
        await self.close_sides()

    async def version(self) -> str:
        return f"SQLite {sqlite3.sqlite_version}"


class PostgresTarget:
    name = "postgres"

    def __init__(self, server_url: str, pool_reset: bool = False) -> None:
        self.pool_reset = pool_reset
        if pool_reset:
            self.name = "postgres-reset"
        self.server_url = server_url
        self.prefix = f"bench_{os.getpid()}_{uuid.uuid4().hex[:8]}_"
        self.created: list[str] = []
        self.url = ""
        self.raw: asyncpg.Connection | None = None

    def _dsn(self, url: str) -> str:
        return urlsplit(url)._replace(scheme="postgresql").geturl()

    async def _admin(self, sql: str) -> None:
        conn = await asyncpg.connect(self._dsn(self.server_url), timeout=5)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    async def reachable(self) -> str | None:
        """None when the server answers, else why not."""
        try:
            await self._admin("SELECT 1")
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            return f"no PostgreSQL at {self.server_url}: {exc.__class__.__name__}: {exc}"
        return None

    async def create(self, label: str) -> str:
        name = self.prefix + label
        await self._admin(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        self.url = urlsplit(self.server_url)._replace(path=f"/{name}").geturl()
        return self.url

    async def open_project(self, url: str) -> None:
        if not self.pool_reset:
            await init_db(url)
            return
        # The project's configuration, with asyncpg's reset on release put back, to compare.
        tortoise_config = config.tortoise_config(url)
        connection = tortoise_config["connections"][config.backend(url)]
        connection["credentials"]["connection_class"] = asyncpg.Connection
        await Tortoise.init(config=tortoise_config, _enable_global_fallback=True)
        await Tortoise.generate_schemas(safe=True)

    async def open_sides(self, sql: Statements, model_id: int) -> list[Any]:
        self.raw = await asyncpg.connect(self._dsn(self.url))
        return [AsyncpgSide(self.raw, sql, model_id)]

    async def close_sides(self) -> None:
        if self.raw is not None:
            await self.raw.close()
        self.raw = None

    async def load(self, ledger: Ledger, count: int, first_id: int) -> None:
        await load_postgres(self._dsn(self.url), ledger, count, first_id)

    async def cleanup(self) -> None:
        await self.close_sides()
        for name in self.created:
            await self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.clear()

    async def version(self) -> str:
        conn = await asyncpg.connect(self._dsn(self.server_url), timeout=5)
        try:
            return str(await conn.fetchval("SHOW server_version")).split(" ")[0]
        finally:
            await conn.close()
