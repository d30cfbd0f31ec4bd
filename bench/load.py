"""Bulk-loading a ledger through the raw drivers: one transaction of ``executemany`` on
SQLite, ``COPY`` on PostgreSQL, with the secondary indexes dropped during the load and
rebuilt after it, then statistics refreshed (``ANALYZE``; ``VACUUM ANALYZE``).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import asyncpg

from bench.ledger import Ledger, Stopwatch, exchanges, tally

TEXT = (
    "The quick brown fox jumps over the lazy dog; pack my box with five dozen liquor jugs. "
    "Съешь же ещё этих мягких французских булок. 日本語のテキストも少し。 "
) * 12
MODEL_ROW = ("openai", "gpt-4o-mini", Decimal("0.150000"), Decimal("0.600000"))
USER_COLUMNS = ("id", "tg_id", "name", "created_at", "updated_at")
REQUEST_COLUMNS = ("id", "user_id", "model_id", "prompt", "created_at")
RESPONSE_COLUMNS = (
    "id",
    "request_id",
    "provider",
    "content",
    "status",
    "tokens_in",
    "tokens_out",
    "cost",
    "latency_ms",
    "ttft_ms",
    "created_at",
    "updated_at",
)


def user_rows(first: int, count: int) -> list[tuple[Any, ...]]:
    now = datetime.now(UTC)
    return [(i, 10**9 + i, f"user {i}", now, now) for i in range(first, first + count)]


def split(chunk: list[tuple]) -> tuple[list[tuple], list[tuple]]:
    """Request rows and response rows of a chunk of exchanges."""
    requests, responses = [], []
    for request_id, user, at, tokens_in, tokens_out, cost, answered in chunk:
        prompt = TEXT[: 40 + request_id % 120]
        requests.append((request_id, user, 1, prompt, at))
        if answered:
            content = TEXT[: 200 + request_id % 600]
            responses.append(
                (
                    request_id,
                    request_id,
                    "openai",
                    content,
                    "ok",
                    tokens_in,
                    tokens_out,
                    cost,
                    900 + request_id % 400,
                    200 + request_id % 100,
                    at,
                    at,
                )
            )
    return requests, responses


def _insert(table: str, columns: tuple[str, ...]) -> str:
    marks = ", ".join("?" for _ in columns)
    return f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({marks})'


def load_sqlite(
    path: str, pragmas: dict[str, Any], ledger: Ledger, count: int, first_id: int = 1
) -> None:
    """Add ``count`` exchanges (and, on an empty ledger, its users) to a SQLite file."""
    watch = Stopwatch()
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for name, value in pragmas.items():
            conn.execute(f"PRAGMA {name}={value}")
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            "AND tbl_name IN ('requests', 'responses')"
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')

        conn.execute("BEGIN")
        if first_id == 1:
            now = datetime.now(UTC)
            conn.execute(
                "INSERT INTO models (id, provider, name, input_price, output_price, is_active, "
                "created_at, updated_at) VALUES (1, ?, ?, ?, ?, 1, ?, ?)",
                (*MODEL_ROW, now, now),
            )
            conn.executemany(_insert("users", USER_COLUMNS), user_rows(1, ledger.users))
        for chunk in exchanges(ledger.users, count, first_id):
            tally(ledger, chunk)
            requests, responses = split(chunk)
            conn.executemany(_insert("requests", REQUEST_COLUMNS), requests)
            conn.executemany(_insert("responses", RESPONSE_COLUMNS), responses)
        conn.execute("COMMIT")

        for _, sql in indexes:
            conn.execute(sql)
        conn.execute("ANALYZE")
    finally:
        conn.close()
    ledger.seconds += watch()
    ledger.exchanges += count
    ledger.method = "sqlite3 executemany, one transaction, indexes rebuilt after, ANALYZE"


async def load_postgres(dsn: str, ledger: Ledger, count: int, first_id: int = 1) -> None:
    """Add ``count`` exchanges (and, on an empty ledger, its users) by COPY."""
    watch = Stopwatch()
    conn = await asyncpg.connect(dsn)
    try:
        indexes = await conn.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
            "AND tablename IN ('requests', 'responses') AND indexdef NOT LIKE 'CREATE UNIQUE%'"
        )
        for row in indexes:
            await conn.execute(f'DROP INDEX "{row["indexname"]}"')

        if first_id == 1:
            now = datetime.now(UTC)
            await conn.execute(
                "INSERT INTO models (id, provider, name, input_price, output_price, is_active, "
                "created_at, updated_at) VALUES (1, $1, $2, $3, $4, true, $5, $5)",
                *MODEL_ROW,
                now,
            )
            await conn.copy_records_to_table(
                "users", records=user_rows(1, ledger.users), columns=USER_COLUMNS
            )
        for chunk in exchanges(ledger.users, count, first_id):
            tally(ledger, chunk)
            requests, responses = split(chunk)
            await conn.copy_records_to_table("requests", records=requests, columns=REQUEST_COLUMNS)
            await conn.copy_records_to_table(
                "responses", records=responses, columns=RESPONSE_COLUMNS
            )

        for row in indexes:
            await conn.execute(row["indexdef"])
        for table in ("models", "users", "requests", "responses"):
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    ledger.seconds += watch()
    ledger.exchanges += count
    ledger.method = "asyncpg COPY, indexes rebuilt after, VACUUM ANALYZE"
