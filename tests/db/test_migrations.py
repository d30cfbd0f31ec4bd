"""The migrations and the schema check at startup, on every backend."""

from __future__ import annotations

from pathlib import Path

import pytest
from tortoise.context import TortoiseContext

import config
from services.db import close_db, get_db, init_db
from services.errors import SchemaAhead, SchemaBehind, StorageError
from services.migrations import code_migrations, recorded
from tests.conftest import _admin, drop_database, new_database_url
from tests.db.migration_helpers import (
    BASELINE,
    database_name,
    fetch,
    first_release,
    generate_schema,
    newer_bots_database,
    throwaway_migrations,
)
from tests.db.schema_snapshot import snapshot

ADD_NOTE = """
from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0001_baseline")]
    operations = [
        ops.AddField(model_name="User", name="note", field=fields.TextField(null=True)),
    ]
"""


async def recorded_migrations() -> list[str]:
    async with get_db() as conn:
        return await recorded(conn)


async def test_the_migrations_build_exactly_the_schema_generate_schemas_builds(
    db_url: str, backend: str, tmp_path: Path, postgres_unreachable: str | None
) -> None:
    await init_db()
    async with get_db() as conn:
        migrated = await snapshot(conn)
    await close_db()

    other = new_database_url(backend, tmp_path, postgres_unreachable)
    try:
        if backend == "postgres":
            await _admin(f'CREATE DATABASE "{database_name(other)}"')
        async with TortoiseContext() as ctx:
            await ctx.init(config=config.tortoise_config(other))
            await ctx.generate_schemas()
            generated = await snapshot(ctx.db(backend))
    finally:
        if backend == "postgres":
            await drop_database(database_name(other))

    assert set(migrated) == {"users", "models", "requests", "responses"}
    assert migrated == generated


async def test_a_new_database_gets_the_schema_and_every_migration_recorded(db_url: str) -> None:
    await init_db()
    try:
        names = [m.name for m in await code_migrations(config.backend(db_url))]
        assert await recorded_migrations() == names
        assert names[0] == BASELINE
    finally:
        await close_db()


async def test_a_second_start_on_an_up_to_date_database_changes_nothing(db_url: str) -> None:
    await init_db()
    await close_db()
    await init_db()
    try:
        assert await recorded_migrations() == [BASELINE]
    finally:
        await close_db()


async def test_tables_made_by_generate_schemas_get_the_baseline_recorded_at_startup(
    db_url: str,
) -> None:
    await generate_schema(db_url)
    await fetch(
        db_url,
        "INSERT INTO models (provider, name, is_active, created_at, updated_at)"
        " VALUES ('openai', 'gpt-4o-mini', TRUE, '2024-01-01', '2024-01-01')",
    )

    await init_db()
    try:
        assert await recorded_migrations() == [BASELINE]
    finally:
        await close_db()
    assert await fetch(db_url, "SELECT provider, name FROM models") == [("openai", "gpt-4o-mini")]


async def test_a_database_behind_the_code_is_refused_at_startup_naming_the_upgrade(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await init_db()
    await close_db()
    throwaway_migrations(tmp_path, monkeypatch, {"0002_user_note": ADD_NOTE})

    with pytest.raises(
        SchemaBehind,
        match=r"^the database lacks migrations of this version \(0002_user_note\): stop the"
        r" bot, run `python -m bot db upgrade` \(or `make upgrade`\), then start it again$",
    ):
        await init_db()
    assert "note" not in {row[0] for row in await fetch(db_url, _user_columns(db_url))}


async def test_the_first_release_database_is_refused_at_startup_and_left_alone(
    db_url: str,
) -> None:
    await first_release(db_url, [(1, 42, "Ada")])

    with pytest.raises(
        SchemaBehind,
        match=r"^the database is from the bot's first release: stop the bot, run"
        r" `python -m bot db upgrade` \(or `make upgrade`\), then start it again$",
    ):
        await init_db()
    assert await fetch(db_url, "SELECT id, tg_id, name FROM users") == [(1, 42, "Ada")]
    assert sorted(row[0] for row in await fetch(db_url, _user_columns(db_url))) == [
        "id",
        "name",
        "tg_id",
    ]


async def test_a_database_from_a_newer_bot_is_refused_at_startup(db_url: str) -> None:
    await newer_bots_database(db_url)

    with pytest.raises(
        SchemaAhead,
        match=r"^the database is from a newer version of the bot \(it records migrations this"
        r" version does not have: 0002_from_the_future\): run that version, or restore the"
        r" backup taken before it upgraded$",
    ):
        await init_db()


async def test_a_database_of_another_application_is_refused_at_startup(db_url: str) -> None:
    await fetch(db_url, "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total INTEGER)")

    with pytest.raises(
        StorageError,
        match=r"^the database holds tables that match no version of this bot's schema"
        r" \(invoices\) and no record of its migrations: point DATABASE_URL at the bot's"
        r" database, or at an empty one$",
    ):
        await init_db()
    assert await fetch(db_url, "SELECT count(*) FROM invoices") == [(0,)]


def _user_columns(url: str) -> str:
    if config.sqlite_path(url) is not None:
        return "SELECT name FROM pragma_table_info('users')"
    return "SELECT column_name FROM information_schema.columns WHERE table_name = 'users'"
