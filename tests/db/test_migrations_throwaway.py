"""Rows survive migrations: a throw-away one that alters tables, and one that fails."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from models import LLMModel
from services.db import close_db, init_db
from services.errors import UpgradeFailed
from services.logging import log_request, log_response
from services.upgrade import upgrade
from services.users import get_or_create_user
from tests.db.migration_helpers import BASELINE, fetch, throwaway_migrations

# SQLite has no ALTER COLUMN: making a column nullable or changing its default rebuilds the
# table, and users is the parent of every request.
ALTER_USERS = """
from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0001_baseline")]
    operations = [
        ops.AddField(model_name="User", name="note", field=fields.TextField(null=True)),
        ops.AlterField(
            model_name="User", name="name", field=fields.TextField(null=True, default="")
        ),
        ops.AlterField(
            model_name="User",
            name="language_code",
            field=fields.CharField(max_length=35, null=True, db_default="en"),
        ),
    ]
"""

BROKEN = """
from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0002_user_note")]
    operations = [ops.RunSQL("UPDATE no_such_table SET x = 1")]
"""

ADD_NOTE = """
from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0001_baseline")]
    operations = [
        ops.AddField(model_name="User", name="note", field=fields.TextField(null=True)),
    ]
"""

USERS = "SELECT id, tg_id, name, username, language_code, created_at FROM users ORDER BY id"
REQUESTS = "SELECT id, user_id, model_id, prompt, chat_id, message_id FROM requests ORDER BY id"
RESPONSES = "SELECT id, request_id, content, status, tokens_in, cost FROM responses ORDER BY id"
RECORDS = "SELECT name FROM tortoise_migrations ORDER BY id"


async def ledger_at_baseline() -> None:
    """A database at the baseline holding two users, their requests and an answer."""
    await init_db()
    model = await LLMModel.create(
        provider="openai", name="gpt-4o-mini", input_price=Decimal("0.15"), output_price=None
    )
    for tg_id, name in ((2**31 + 7, "Ada"), (9_000_000_000_000, "Линус")):
        user = await get_or_create_user(tg_id, name, username=name.lower(), language_code="uk")
        request_id = await log_request(user.id, f"hello from {name}", model, chat_id=tg_id)
        await log_response(request_id, "hi", tokens_in=3, tokens_out=0)
    await close_db()


async def everything(url: str) -> list[list[tuple[object, ...]]]:
    return [await fetch(url, sql) for sql in (USERS, REQUESTS, RESPONSES)]


async def columns_of_users(url: str) -> list[str]:
    if url.startswith("sqlite"):
        rows = await fetch(url, "SELECT name FROM pragma_table_info('users') ORDER BY name")
    else:
        rows = await fetch(
            url,
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_name = 'users' ORDER BY column_name",
        )
    return [row[0] for row in rows]


async def test_rows_survive_a_migration_that_adds_a_column_and_alters_two(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await ledger_at_baseline()
    before = await everything(db_url)
    throwaway_migrations(tmp_path, monkeypatch, {"0002_alter_users": ALTER_USERS})

    report = await upgrade()

    assert report.applied == ("0002_alter_users",)
    assert await everything(db_url) == before
    assert len(before[1]) == 2
    assert await fetch(db_url, RECORDS) == [(BASELINE,), ("0002_alter_users",)]
    assert "note" in await columns_of_users(db_url)


async def test_the_altered_columns_take_their_new_null_flag_and_default(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await init_db()
    await close_db()
    throwaway_migrations(tmp_path, monkeypatch, {"0002_alter_users": ALTER_USERS})
    await upgrade()

    await fetch(
        db_url,
        "INSERT INTO users (tg_id, name, created_at, updated_at)"
        " VALUES (1, NULL, '2024-01-01', '2024-01-01')",
    )
    assert await fetch(db_url, "SELECT name, language_code, note FROM users") == [
        (None, "en", None)
    ]


async def test_the_bot_works_on_the_database_after_a_table_rebuild(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await ledger_at_baseline()
    throwaway_migrations(tmp_path, monkeypatch, {"0002_alter_users": ALTER_USERS})
    await upgrade()

    await init_db()
    try:
        user = await get_or_create_user(2**31 + 7, "Ada", username="ada", language_code="uk")
        request_id = await log_request(user.id, "still there?", 1)
        response = await log_response(request_id, "yes", tokens_in=4, tokens_out=1)
    finally:
        await close_db()
    assert response.cost is None
    assert await fetch(db_url, "SELECT count(*) FROM requests WHERE user_id = 1") == [(2,)]


async def test_a_migration_failing_half_way_leaves_data_and_records_as_they_were(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await ledger_at_baseline()
    before = await everything(db_url)
    columns = await columns_of_users(db_url)
    throwaway_migrations(
        tmp_path, monkeypatch, {"0002_user_note": ADD_NOTE, "0003_broken": BROKEN}
    )

    with pytest.raises(
        UpgradeFailed,
        match=r"^migration 0003_broken failed: .*no_such_table.*; the database was left as it"
        r" was$",
    ):
        await upgrade()

    assert await everything(db_url) == before
    assert await columns_of_users(db_url) == columns
    assert await fetch(db_url, RECORDS) == [(BASELINE,)]


ORPHANS = """
from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0001_baseline")]
    operations = [ops.RunSQL("DELETE FROM models")]
"""


# PostgreSQL refuses the DELETE itself (ON DELETE RESTRICT); SQLite, whose keys the upgrade
# turns off, must catch it before the commit.
@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_migration_leaving_rows_without_their_parent_is_rolled_back(
    db_url: str, backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await ledger_at_baseline()
    before = await everything(db_url)
    throwaway_migrations(tmp_path, monkeypatch, {"0002_orphans": ORPHANS})

    with pytest.raises(
        UpgradeFailed,
        match=r"^the foreign key check failed: 2 rows of requests would point at rows that do"
        r" not exist; the database was left as it was$",
    ):
        await upgrade()

    assert await everything(db_url) == before
    assert await fetch(db_url, "SELECT count(*) FROM models") == [(1,)]
    assert await fetch(db_url, RECORDS) == [(BASELINE,)]
