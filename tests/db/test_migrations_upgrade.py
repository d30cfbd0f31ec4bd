"""``services.upgrade``: every database the bot may meet, brought to the current schema."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import config
from services.db import close_db, init_db
from services.errors import NotFound, UpgradeRefused
from services.logging import log_request
from services.migrations import SchemaState
from services.upgrade import upgrade
from services.users import get_or_create_user
from tests.db.migration_helpers import (
    BASELINE,
    fetch,
    first_release,
    generate_schema,
    newer_bots_database,
)

RECORDS = "SELECT name FROM tortoise_migrations ORDER BY id"
USERS = "SELECT id, tg_id, name FROM users ORDER BY id"
LEGACY = [(1, 42, "Ada"), (2, 2_000_000_000, None), (9, 7, "Grace")]


def backups(url: str) -> list[Path]:
    path = config.sqlite_path(url)
    return sorted(path.parent.glob(f"{path.name}.backup-*")) if path else []


# An operator creates a PostgreSQL database; the test below covers an empty one.
@pytest.mark.parametrize("backend", ["sqlite"])
async def test_upgrade_creates_the_schema_on_a_new_database(fresh_url: str, backend: str) -> None:
    report = await upgrade()

    assert report.before.state is SchemaState.EMPTY
    assert report.applied == (BASELINE,)
    assert report.backup is None
    assert await fetch(fresh_url, RECORDS) == [(BASELINE,)]


async def test_upgrade_creates_the_schema_on_an_empty_database(db_url: str) -> None:
    report = await upgrade()

    assert report.applied == (BASELINE,)
    assert await fetch(db_url, RECORDS) == [(BASELINE,)]
    assert backups(db_url) == []


async def test_upgrade_on_an_up_to_date_database_does_nothing(db_url: str) -> None:
    await init_db()
    await close_db()

    report = await upgrade()

    assert report.before.state is SchemaState.CURRENT
    assert (report.applied, report.backup) == ((), None)
    assert backups(db_url) == []


async def test_upgrade_keeps_every_first_release_user_and_enforces_keys_after(
    db_url: str,
) -> None:
    await first_release(db_url, LEGACY)

    report = await upgrade()

    assert report.users_kept == 3
    assert await fetch(db_url, USERS) == [(1, 42, "Ada"), (2, 2_000_000_000, ""), (9, 7, "Grace")]
    assert await fetch(db_url, RECORDS) == [(BASELINE,)]
    await init_db()
    try:
        newcomer = await get_or_create_user(5_000_000_000, "Alan")
        with pytest.raises(NotFound, match=r"^no user with id 404$"):
            await log_request(404, "hello", 1)
    finally:
        await close_db()
    assert newcomer.id == 10


# A PostgreSQL database is backed up with pg_dump, by its operator.
@pytest.mark.parametrize("backend", ["sqlite"])
async def test_upgrade_of_a_sqlite_file_leaves_a_backup_of_it_as_it_was(
    db_url: str, backend: str
) -> None:
    await first_release(db_url, LEGACY)

    report = await upgrade()

    assert backups(db_url) == [report.backup]
    assert report.backup is not None
    assert await fetch(f"sqlite://{report.backup}", USERS) == LEGACY


async def test_upgrade_refuses_first_release_users_without_a_telegram_id(db_url: str) -> None:
    await first_release(db_url, [(1, 42, "Ada"), (2, None, "Bob"), (3, None, None)])

    with pytest.raises(
        UpgradeRefused,
        match=r"^2 users of the first release have no Telegram id \(tg_id\), or one that is"
        r" not an integer: ids 2, 3; fix or delete those rows, then run the upgrade again;"
        r" nothing was changed$",
    ):
        await upgrade()
    assert await fetch(db_url, USERS) == [(1, 42, "Ada"), (2, None, "Bob"), (3, None, None)]
    assert backups(db_url) == []


async def test_upgrade_refuses_first_release_users_sharing_a_telegram_id(db_url: str) -> None:
    await first_release(db_url, [(1, 42, "Ada"), (2, 42, "Ada again"), (3, 7, "Grace")])

    with pytest.raises(
        UpgradeRefused,
        match=r"^1 Telegram ids \(tg_id\) belong to more than one user of the first release:"
        r" 42; keep one row per tg_id, then run the upgrade again; nothing was changed$",
    ):
        await upgrade()
    assert len(await fetch(db_url, USERS)) == 3


async def test_upgrade_refuses_a_file_that_is_not_a_sqlite_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"shopping list: milk, eggs\n" * 200)

    with pytest.raises(
        UpgradeRefused,
        match=f"^{path} is not a SQLite database: check DATABASE_URL; nothing was changed$",
    ):
        await upgrade(f"sqlite://{path}")
    assert path.read_bytes() == b"shopping list: milk, eggs\n" * 200
    assert sorted(os.listdir(tmp_path)) == ["notes.txt"]


async def test_upgrade_refuses_a_database_from_a_newer_bot(db_url: str) -> None:
    await newer_bots_database(db_url)

    with pytest.raises(
        UpgradeRefused,
        match=r"^the database is from a newer version of the bot \(it records migrations this"
        r" version does not have: 0002_from_the_future\): run that version, or restore the"
        r" backup taken before it upgraded; nothing was changed$",
    ):
        await upgrade()
    assert await fetch(db_url, RECORDS) == [(BASELINE,), ("0002_from_the_future",)]
    assert backups(db_url) == []


async def test_upgrade_records_the_baseline_of_tables_made_without_migrations(
    db_url: str,
) -> None:
    await generate_schema(db_url)

    report = await upgrade()

    assert report.before.state is SchemaState.UNRECORDED
    assert (report.recorded, report.applied) == ((BASELINE,), ())
    assert await fetch(db_url, RECORDS) == [(BASELINE,)]


async def test_upgrade_through_a_four_slash_sqlite_url_changes_the_file_the_bot_opens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Regression: the upgrade rebuilt the URL through urlsplit, which made the absolute
    # path relative, so it upgraded a new file under the working folder instead.
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    target = tmp_path / "four.sqlite3"
    url = f"sqlite:///{target}"
    assert url.startswith("sqlite:////")

    await upgrade(url)
    await init_db(url)
    await close_db()

    assert target.is_file()
    assert list(workdir.rglob("*.sqlite3")) == []
