"""The structure of a database as the database reports it, to compare two schemas."""

from __future__ import annotations

from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

RECORDS = "tortoise_migrations"


async def snapshot(conn: BaseDBAsyncClient) -> dict[str, Any]:
    """Tables, columns, keys, foreign keys with their actions, indexes and unique constraints.

    Leaves out Tortoise's own record of migrations and comments, which change nothing.
    """
    if conn.capabilities.dialect == "sqlite":
        return await _sqlite(conn)
    return await _postgres(conn)


async def _sqlite(conn: BaseDBAsyncClient) -> dict[str, Any]:
    rows = await conn.execute_query_dict(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    found: dict[str, Any] = {}
    for table in sorted(row["name"] for row in rows if row["name"] != RECORDS):
        columns = await conn.execute_query_dict(f'PRAGMA table_info("{table}")')
        keys = await conn.execute_query_dict(f'PRAGMA foreign_key_list("{table}")')
        found[table] = {
            "columns": {
                (c["name"], c["type"], c["notnull"], c["dflt_value"], c["pk"]) for c in columns
            },
            "foreign_keys": {
                (k["from"], k["table"], k["to"], k["on_delete"], k["on_update"]) for k in keys
            },
            "indexes": await _sqlite_indexes(conn, table),
        }
    return found


async def _sqlite_indexes(conn: BaseDBAsyncClient, table: str) -> set[tuple[Any, ...]]:
    indexes = set()
    for index in await conn.execute_query_dict(f'PRAGMA index_list("{table}")'):
        parts = await conn.execute_query_dict(f'PRAGMA index_info("{index["name"]}")')
        columns = tuple(p["name"] for p in sorted(parts, key=lambda p: p["seqno"]))
        indexes.add((index["name"], index["unique"], columns))
    return indexes


async def _postgres(conn: BaseDBAsyncClient) -> dict[str, Any]:
    rows = await conn.execute_query_dict(
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
    )
    found: dict[str, Any] = {}
    for table in sorted(row["table_name"] for row in rows if row["table_name"] != RECORDS):
        columns = await conn.execute_query_dict(
            "SELECT column_name, data_type, is_nullable, column_default,"
            " character_maximum_length, numeric_precision, numeric_scale"
            " FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = $1",
            [table],
        )
        constraints = await conn.execute_query_dict(
            "SELECT conname, pg_get_constraintdef(oid) AS definition FROM pg_constraint"
            " WHERE conrelid = $1::regclass",
            [table],
        )
        indexes = await conn.execute_query_dict(
            "SELECT indexname, indexdef FROM pg_indexes"
            " WHERE schemaname = current_schema() AND tablename = $1",
            [table],
        )
        found[table] = {
            "columns": {tuple(c.values()) for c in columns},
            "constraints": {(c["conname"], c["definition"]) for c in constraints},
            "indexes": {(i["indexname"], i["indexdef"]) for i in indexes},
        }
    return found
