"""The three ways each workload runs: the project's services, the raw async driver doing
the same statements, and (SQLite only) plain ``sqlite3`` as the floor.

Every side returns plain tuples, so the bench can check the sides agree.
"""

from __future__ import annotations

import sqlite3
from dataclasses import astuple, dataclass, is_dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import aiosqlite
import asyncpg

from bench.capture import insert_columns, parameters_of, statements_of
from models.response import COST_PLACES
from services.history import Exchange, recent_exchanges
from services.logging import cost_of, log_request, log_response
from services.usage import DayUsage, usage_per_day, usage_sql
from services.users import get_or_create_user

ANSWER = "A reply of ordinary length, the kind a model gives to a short question. " * 6
HISTORY_LIMIT = 20


@dataclass(frozen=True)
class Message:
    user_id: int
    prompt: str
    tokens_in: int
    tokens_out: int
    latency_ms: int


@dataclass(frozen=True)
class Statements:
    """What Tortoise sent for each step, captured once per backend."""

    request_insert: str
    price_select: str
    response_insert: str
    history_select: str
    user_select: str
    user_insert: str
    user_select_limit: int


async def capture_statements(model_id: int, user_id: int) -> Statements:
    """Run each service once, recording the statements it sends."""
    request_insert = await statements_of(log_request(user_id, "capture", model_id))
    request_id = await _last_request_id()
    write = await statements_of(log_response(request_id, "x", tokens_in=1, tokens_out=1))
    price_select, response_insert = write
    [history] = await statements_of(recent_exchanges(user_id, HISTORY_LIMIT))
    user_select, user_insert = await statements_of(get_or_create_user(-1, "capture"))
    [lookup] = await parameters_of(get_or_create_user(-1, "capture"))
    return Statements(
        request_insert[0],
        price_select,
        response_insert,
        history,
        user_select,
        user_insert,
        lookup[-1],
    )


async def _last_request_id() -> int:
    from models import Request

    last = await Request.all().order_by("-id").first()
    assert last is not None
    return int(last.id)


def request_values(columns: list[str], message: Message, model_id: int) -> list[Any]:
    row = {
        "prompt": message.prompt,
        "chat_id": None,
        "message_id": None,
        "created_at": datetime.now(UTC),
        "model_id": model_id,
        "user_id": message.user_id,
    }
    return [row[name] for name in columns]


def response_values(
    columns: list[str], request_id: int, message: Message, prices: Any
) -> list[Any]:
    provider, price_in, price_out = prices
    now = datetime.now(UTC)
    row = {
        "provider": provider,
        "content": ANSWER,
        "status": "ok",
        "error": None,
        "tokens_in": message.tokens_in,
        "tokens_out": message.tokens_out,
        "cost": cost_of(message.tokens_in, message.tokens_out, price_in, price_out),
        "latency_ms": message.latency_ms,
        "ttft_ms": None,
        "created_at": now,
        "updated_at": now,
        "request_id": request_id,
    }
    return [row[name] for name in columns]


def decimal_or_none(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


def sqlite_prices(row: Any) -> tuple[str, Decimal | None, Decimal | None]:
    return row[0], decimal_or_none(row[1]), decimal_or_none(row[2])


def sqlite_exchange(row: Any) -> tuple[Any, ...]:
    return (
        row[0],
        row[1],
        datetime.fromisoformat(row[2]),
        row[3],
        row[4],
        row[5],
        row[6],
        decimal_or_none(row[7]),
    )


def sqlite_usage(row: Any) -> tuple[Any, ...]:
    cost = None if row[5] is None else Decimal(row[5]).scaleb(-COST_PLACES)
    return (row[0], date.fromisoformat(row[1]), row[2], row[3], row[4], cost)


def plain(answer: Any) -> Any:
    """An answer as nested lists and tuples, so every side's can be compared."""
    if isinstance(answer, list):
        return [plain(item) for item in answer]
    if is_dataclass(answer) and not isinstance(answer, type):
        return astuple(answer)
    return answer


class ProjectSide:
    """The services, as the bot calls them."""

    name = "project"

    def __init__(self, model_id: int) -> None:
        self.model_id = model_id

    async def write(self, messages: list[Message]) -> int:
        for m in messages:
            request_id = await log_request(m.user_id, m.prompt, self.model_id)
            await log_response(
                request_id,
                ANSWER,
                tokens_in=m.tokens_in,
                tokens_out=m.tokens_out,
                latency_ms=m.latency_ms,
            )
        return len(messages)

    async def history(self, user_ids: list[int]) -> list[list[Exchange]]:
        return [await recent_exchanges(u, HISTORY_LIMIT) for u in user_ids]

    async def report(self) -> list[DayUsage]:
        return await usage_per_day()

    async def register(self, tg_ids: list[int]) -> list[int]:
        return [(await get_or_create_user(t, f"user {t}")).id for t in tg_ids]


class AiosqliteSide:
    """aiosqlite on its own connection, with the pragmas Tortoise's connection has."""

    name = "aiosqlite"

    def __init__(self, conn: aiosqlite.Connection, sql: Statements, model_id: int) -> None:
        self.conn, self.sql, self.model_id = conn, sql, model_id
        self.request_columns = insert_columns(sql.request_insert)
        self.response_columns = insert_columns(sql.response_insert)
        self.user_columns = insert_columns(sql.user_insert)
        self.user_select_id = select_columns(sql.user_select).index("id")

    async def write(self, messages: list[Message]) -> int:
        conn, sql = self.conn, self.sql
        for m in messages:
            values = request_values(self.request_columns, m, self.model_id)
            inserted = await conn.execute_insert(sql.request_insert, values)
            request_id = inserted[0]  # type: ignore[index]
            prices = sqlite_prices(
                (await conn.execute_fetchall(sql.price_select, [request_id]))[0]
            )  # type: ignore[index]
            values = response_values(self.response_columns, request_id, m, prices)
            await conn.execute_insert(sql.response_insert, values)
        return len(messages)

    async def history(self, user_ids: list[int]) -> list[list[tuple[Any, ...]]]:
        out = []
        for u in user_ids:
            rows = await self.conn.execute_fetchall(self.sql.history_select, [u, HISTORY_LIMIT])
            out.append([sqlite_exchange(row) for row in rows])
        return out

    async def report(self) -> list[tuple[Any, ...]]:
        sql, params = usage_sql("sqlite")
        return [sqlite_usage(row) for row in await self.conn.execute_fetchall(sql, params)]

    async def register(self, tg_ids: list[int]) -> list[int]:
        ids = []
        for t in tg_ids:
            rows = list(
                await self.conn.execute_fetchall(
                    self.sql.user_select, [t, self.sql.user_select_limit]
                )
            )
            if rows:
                ids.append(rows[0][self.user_select_id])
                continue
            values = new_user_values(self.user_columns, t)
            inserted = await self.conn.execute_insert(self.sql.user_insert, values)
            ids.append(inserted[0])  # type: ignore[index]
        return ids


def select_columns(sql: str) -> list[str]:
    """The column names of a ``SELECT a,b FROM`` statement, in order."""
    head = sql.split(" FROM ", 1)[0].removeprefix("SELECT ")
    return [name.strip().strip('"') for name in head.split(",")]


def new_user_values(columns: list[str], tg_id: int) -> list[Any]:
    now = datetime.now(UTC)
    row = {
        "tg_id": tg_id,
        "name": f"user {tg_id}",
        "username": None,
        "language_code": None,
        "created_at": now,
        "updated_at": now,
        "model_id": None,
    }
    return [row[name] for name in columns]


class Sqlite3Side:
    """Plain synchronous sqlite3 on the same file: no thread hop, the floor."""

    name = "sqlite3"

    def __init__(self, conn: sqlite3.Connection, sql: Statements, model_id: int) -> None:
        self.conn, self.sql, self.model_id = conn, sql, model_id
        self.request_columns = insert_columns(sql.request_insert)
        self.response_columns = insert_columns(sql.response_insert)
        self.user_columns = insert_columns(sql.user_insert)
        self.user_select_id = select_columns(sql.user_select).index("id")

    async def write(self, messages: list[Message]) -> int:
        conn, sql = self.conn, self.sql
        for m in messages:
            values = request_values(self.request_columns, m, self.model_id)
            request_id = conn.execute(sql.request_insert, values).lastrowid
            prices = sqlite_prices(conn.execute(sql.price_select, [request_id]).fetchone())
            columns = self.response_columns
            values = response_values(columns, request_id, m, prices)  # type: ignore[arg-type]
            conn.execute(sql.response_insert, values)
        return len(messages)

    async def history(self, user_ids: list[int]) -> list[list[tuple[Any, ...]]]:
        out = []
        for u in user_ids:
            rows = self.conn.execute(self.sql.history_select, [u, HISTORY_LIMIT]).fetchall()
            out.append([sqlite_exchange(row) for row in rows])
        return out

    async def report(self) -> list[tuple[Any, ...]]:
        sql, params = usage_sql("sqlite")
        return [sqlite_usage(row) for row in self.conn.execute(sql, params).fetchall()]

    async def register(self, tg_ids: list[int]) -> list[int]:
        ids = []
        for t in tg_ids:
            row = self.conn.execute(
                self.sql.user_select, [t, self.sql.user_select_limit]
            ).fetchone()
            if row is not None:
                ids.append(row[self.user_select_id])
                continue
            values = new_user_values(self.user_columns, t)
            ids.append(self.conn.execute(self.sql.user_insert, values).lastrowid or 0)
        return ids


class AsyncpgSide:
    """asyncpg on one connection of its own; its statement cache prepares each query once,
    as it does for the pool Tortoise uses."""

    name = "asyncpg"

    def __init__(self, conn: asyncpg.Connection, sql: Statements, model_id: int) -> None:
        self.conn, self.sql, self.model_id = conn, sql, model_id
        self.request_columns = insert_columns(sql.request_insert)
        self.response_columns = insert_columns(sql.response_insert)
        self.user_columns = insert_columns(sql.user_insert)
        self.user_select_id = select_columns(sql.user_select).index("id")

    async def write(self, messages: list[Message]) -> int:
        conn, sql = self.conn, self.sql
        for m in messages:
            values = request_values(self.request_columns, m, self.model_id)
            request_id = (await conn.fetchrow(sql.request_insert, *values))[0]
            prices = (await conn.fetch(sql.price_select, request_id))[0]
            values = response_values(self.response_columns, request_id, m, prices)
            await conn.fetchrow(sql.response_insert, *values)
        return len(messages)

    async def history(self, user_ids: list[int]) -> list[list[tuple[Any, ...]]]:
        out = []
        for u in user_ids:
            rows = await self.conn.fetch(self.sql.history_select, u, HISTORY_LIMIT)
            out.append([tuple(row) for row in rows])
        return out

    async def report(self) -> list[tuple[Any, ...]]:
        sql, params = usage_sql("postgres")
        return [tuple(row) for row in await self.conn.fetch(sql, *params)]

    async def register(self, tg_ids: list[int]) -> list[int]:
        ids = []
        for t in tg_ids:
            rows = await self.conn.fetch(self.sql.user_select, t, self.sql.user_select_limit)
            if rows:
                ids.append(rows[0][self.user_select_id])
                continue
            values = new_user_values(self.user_columns, t)
            ids.append((await self.conn.fetchrow(self.sql.user_insert, *values))[0])
        return ids
