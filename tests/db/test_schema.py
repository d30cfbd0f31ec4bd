"""The schema Tortoise generates, as the database itself reports it."""

from __future__ import annotations

import pytest
from tortoise.backends.base.client import BaseDBAsyncClient

from services.db import close_db, get_db, init_db

TABLES = {"users", "models", "requests", "responses"}


async def columns(conn: BaseDBAsyncClient, table: str) -> set[str]:
    if conn.capabilities.dialect == "sqlite":
        rows = await conn.execute_query_dict(f"PRAGMA table_info({table})")
        return {row["name"] for row in rows}
    rows = await conn.execute_query_dict(
        "SELECT column_name FROM information_schema.columns WHERE table_name = $1", [table]
    )
    return {row["column_name"] for row in rows}


async def foreign_keys(conn: BaseDBAsyncClient, table: str) -> set[tuple[str, str, str, str]]:
    """(column, referenced table, referenced column, ON DELETE action) per foreign key."""
    if conn.capabilities.dialect == "sqlite":
        rows = await conn.execute_query_dict(f"PRAGMA foreign_key_list({table})")
        return {(r["from"], r["table"], r["to"], r["on_delete"]) for r in rows}
    rows = await conn.execute_query_dict(
        """
        SELECT kcu.column_name, ccu.table_name AS ref_table, ccu.column_name AS ref_column,
               rc.delete_rule
        FROM information_schema.referential_constraints rc
        JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = rc.constraint_name
        JOIN information_schema.constraint_column_usage ccu
          ON ccu.constraint_name = rc.unique_constraint_name
        WHERE kcu.table_name = $1
        """,
        [table],
    )
    return {(r["column_name"], r["ref_table"], r["ref_column"], r["delete_rule"]) for r in rows}


async def tables(conn: BaseDBAsyncClient) -> set[str]:
    if conn.capabilities.dialect == "sqlite":
        rows = await conn.execute_query_dict("SELECT name FROM sqlite_master WHERE type='table'")
    else:
        rows = await conn.execute_query_dict(
            "SELECT table_name AS name FROM information_schema.tables "
            "WHERE table_schema = 'public'"
        )
    return {row["name"] for row in rows}


async def test_init_db_creates_all_four_tables(db_url: str) -> None:
    await init_db()
    try:
        async with get_db() as conn:
            assert await tables(conn) >= TABLES
    finally:
        await close_db()


async def test_init_db_twice_is_harmless(db_url: str, backend: str) -> None:
    await init_db()
    await init_db()
    try:
        async with get_db() as conn:
            assert await tables(conn) >= TABLES
            assert conn.capabilities.dialect == backend
    finally:
        await close_db()


async def test_key_columns_exist(db_url: str) -> None:
    await init_db()
    try:
        async with get_db() as conn:
            assert {
                "id",
                "tg_id",
                "name",
                "username",
                "language_code",
                "created_at",
                "updated_at",
            } <= await columns(conn, "users")
            assert {
                "id",
                "provider",
                "name",
                "input_price",
                "output_price",
                "context_window",
                "is_active",
                "created_at",
                "updated_at",
            } <= await columns(conn, "models")
            assert {
                "id",
                "user_id",
                "model_id",
                "prompt",
                "chat_id",
                "message_id",
                "created_at",
            } <= await columns(conn, "requests")
            assert {
                "id",
                "request_id",
                "provider",
                "content",
                "status",
                "error",
                "tokens_in",
                "tokens_out",
                "cost",
                "latency_ms",
                "ttft_ms",
                "created_at",
                "updated_at",
            } <= await columns(conn, "responses")
    finally:
        await close_db()


async def test_foreign_keys_carry_their_on_delete_actions(db_url: str) -> None:
    await init_db()
    try:
        async with get_db() as conn:
            assert await foreign_keys(conn, "requests") == {
                ("user_id", "users", "id", "CASCADE"),
                ("model_id", "models", "id", "RESTRICT"),
            }
            assert await foreign_keys(conn, "responses") == {
                ("request_id", "requests", "id", "CASCADE"),
            }
            assert await foreign_keys(conn, "users") == {("model_id", "models", "id", "SET NULL")}
    finally:
        await close_db()


# PostgreSQL has no such switches: it always enforces foreign keys.
@pytest.mark.parametrize("backend", ["sqlite"])
async def test_sqlite_pragmas_hold_on_tortoise_connection(db_url: str, backend: str) -> None:
    await init_db()
    try:
        async with get_db() as conn:
            # The connection the models use, not a side connection opened for the check.
            assert conn.capabilities.dialect == "sqlite"
            pragmas = {}
            for name in ("foreign_keys", "journal_mode", "synchronous", "busy_timeout"):
                rows = await conn.execute_query_dict(f"PRAGMA {name}")
                pragmas[name] = next(iter(rows[0].values()))
            # synchronous: 1 is NORMAL.
            assert pragmas == {
                "foreign_keys": 1,
                "journal_mode": "wal",
                "synchronous": 1,
                "busy_timeout": 5000,
            }
    finally:
        await close_db()


async def test_indexes_follow_the_queries(db_url: str) -> None:
    await init_db()
    try:
        async with get_db() as conn:
            if conn.capabilities.dialect == "sqlite":
                rows = await conn.execute_query_dict(
                    "SELECT tbl_name, sql FROM sqlite_master WHERE type='index' AND sql NOT NULL"
                )
                found = {(r["tbl_name"], r["sql"].split("(", 1)[1].rstrip(")")) for r in rows}
            else:
                rows = await conn.execute_query_dict(
                    "SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'public'"
                )
                found = {
                    (r["tablename"], r["indexdef"].split("(", 1)[1].rstrip(")")) for r in rows
                }
            normalized = {(t, cols.replace('"', "").replace("`", "")) for t, cols in found}
            assert ("requests", "user_id,created_at") in {
                (t, c.replace(" ", "")) for t, c in normalized
            }
            assert ("responses", "request_id") in normalized
    finally:
        await close_db()
