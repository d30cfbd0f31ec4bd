"""``python -m bot db upgrade`` as an operator runs it, on the first release's file."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import pytest

from bot.commands.db import status_lines
from models import LLMModel, User
from services.db import close_db, init_db
from services.logging import log_request, log_response
from services.migrations import SchemaState, SchemaStatus
from services.users import get_or_create_user
from tests.db.migration_helpers import ROOT, fetch, first_release

USERS = "SELECT id, tg_id, name FROM users ORDER BY id"


def first_release_users() -> list[tuple[int, int, str | None]]:
    """1,000 users as the first release stored them: big ids, big Telegram ids, no names."""
    users = []
    for n in range(1, 1001):
        user_id = n if n <= 500 else 2**31 + n * 1_000
        tg_id = 2**32 + n * 7_919 if n % 2 else n
        name = None if n % 10 == 0 else f"user {n} ✓ مرحبا"
        users.append((user_id, tg_id, name))
    return users


async def run_bot(url: str, *args: str) -> tuple[int, str, str]:
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    return int(process.returncode or 0), out.decode(), err.decode()


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_one_command_upgrades_a_thousand_first_release_users_and_the_bot_chats_on(
    db_url: str, backend: str
) -> None:
    users = first_release_users()
    await first_release(db_url, users)
    path = db_url.split("?")[0].removeprefix("sqlite://")

    code, out, err = await run_bot(db_url, "db", "upgrade")

    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert re.fullmatch(
        rf"backup of the database before the upgrade: {re.escape(path)}\.backup-\d{{8}}T\d{{6}}Z",
        lines[0],
    )
    assert lines[1:] == [
        "converted the first release's users table: 1000 users kept",
        "applied 0001_baseline",
        f"{path}: up to date",
    ]
    assert await fetch(db_url, USERS) == [(i, tg, name or "") for i, tg, name in users]

    await init_db()
    try:
        model = await LLMModel.create(provider="openai", name="gpt-4o-mini")
        user = await get_or_create_user(2**32 + 999 * 7_919, "user 999 ✓ مرحبا")
        request_id = await log_request(user.id, "hello again", model, chat_id=1, message_id=2)
        response = await log_response(request_id, "welcome back", tokens_in=3, tokens_out=2)
        assert (user.id, await User.all().count()) == (2**31 + 999_000, 1000)
        assert (response.request_id, response.cost) == (request_id, None)
    finally:
        await close_db()


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_second_upgrade_says_the_database_is_up_to_date(db_url: str, backend: str) -> None:
    await first_release(db_url, [(1, 2**40, "Ada")])
    await run_bot(db_url, "db", "upgrade")
    path = db_url.split("?")[0].removeprefix("sqlite://")

    assert await run_bot(db_url, "db", "upgrade") == (
        0,
        f"{path}: already up to date (0001_baseline); nothing to do\n",
        "",
    )


async def test_upgrade_of_a_file_that_is_no_database_fails_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("shopping list\n")

    assert await run_bot(f"sqlite://{path}", "db", "upgrade") == (
        1,
        "",
        f"error: {path} is not a SQLite database: check DATABASE_URL; nothing was changed\n",
    )


async def test_status_names_the_upgrade_for_a_first_release_file(db_url: str) -> None:
    await first_release(db_url, [(1, 42, "Ada")])

    code, out, _ = await run_bot(db_url, "db", "status")

    assert (code, out.splitlines()[1:]) == (
        0,
        ["pending: 0001_baseline", "to upgrade: python -m bot db upgrade"],
    )
    assert out.splitlines()[0].endswith(": first release")


def test_status_of_a_newer_or_foreign_database_does_not_advise_the_upgrade() -> None:
    # Regression: status advised `db upgrade`, which refuses both.
    newer = SchemaStatus(SchemaState.AHEAD, ("0001_baseline", "0009_future"))
    foreign = SchemaStatus(SchemaState.FOREIGN, tables=frozenset({"invoices"}))

    assert status_lines(newer, "db")[-1] == "a newer version of the bot wrote it: run that version"
    assert status_lines(foreign, "db") == [
        "db: foreign",
        "these are not the bot's tables: point DATABASE_URL at its database",
    ]
