"""``python -m bot`` as a user runs it: no token, questions on standard input."""

from __future__ import annotations

import asyncio
import os
import sys
from decimal import Decimal
from pathlib import Path

import config
from models import Response, ResponseStatus
from services.db import close_db, init_db
from tests.fakes.fixtures import TEST_KEY
from tests.fakes.openai_server import FakeOpenAI

QUESTIONS = ["What is 2+2?", "Name a colour.", "Thanks, bye"]
# Settings a developer's shell may hold; the subprocess must see none of them.
OUTSIDE_SETTINGS = ("TELEGRAM_", "OPENAI_", "DATABASE_URL", "LOG_LEVEL", "MAX_PROMPT")


def clean_environment() -> dict[str, str]:
    """This process's environment without any of the bot's settings."""
    return {k: v for k, v in os.environ.items() if not k.startswith(OUTSIDE_SETTINGS)}


async def spawn(cwd: Path, *args: str, **env: str) -> asyncio.subprocess.Process:
    """``python -m bot ARGS`` in ``cwd`` (no ``.env`` there) with only the settings given."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env={**clean_environment(), **env},
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def run_bot(
    database_url: str, cwd: Path, stdin: str, **env: str
) -> tuple[int, list[str], str]:
    """Run ``python -m bot`` in ``cwd`` (no ``.env`` there); returns status, lines, stderr."""
    process = await spawn(cwd, DATABASE_URL=database_url, USER="ada", **env)
    out, err = await asyncio.wait_for(process.communicate(stdin.encode()), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode().splitlines(), err.decode()


async def ledger(database_url: str) -> list[Response]:
    await init_db(database_url)
    try:
        return await Response.all().order_by("id").prefetch_related("request__user")
    finally:
        await close_db()


async def test_console_answers_three_questions_and_records_them(
    db_url: str, tmp_path: Path
) -> None:
    stdin = "\n".join([*QUESTIONS, "/quit"]) + "\n"

    status, lines, err = await run_bot(db_url, tmp_path, stdin)

    assert status == 0, err
    assert lines[1:] == [
        "Console chat as ada. Type a question; /quit or Ctrl-D leaves.",
        "you> What is 2+2?",
        "bot> You said: What is 2+2?",
        "you> Name a colour.",
        "bot> You said: Name a colour.",
        "you> Thanks, bye",
        "bot> You said: Thanks, bye",
        "you> /quit",
    ]
    responses = await ledger(db_url)
    assert [r.request.prompt for r in responses] == QUESTIONS
    assert {r.request.user.tg_id for r in responses} == {0}
    assert [(r.status, r.provider) for r in responses] == [(ResponseStatus.OK, "echo")] * 3
    assert [(r.tokens_in, r.tokens_out) for r in responses] == [(3, 5), (3, 5), (2, 4)]
    assert all(r.latency_ms is not None for r in responses)


async def test_console_leaves_cleanly_at_end_of_input(tmp_path: Path) -> None:
    # How the console ends does not depend on the backend: SQLite alone answers this.
    status, lines, err = await run_bot(f"sqlite://{tmp_path}/ledger.sqlite3", tmp_path, "Hello")

    assert status == 0, err
    assert lines[-2:] == ["bot> You said: Hello", "you> "]
    # Regression: Tortoise's "shutdown" INFO line once leaked into the console's stderr.
    assert err == ""


async def test_console_through_openai_provider_fills_the_cost(db_url: str, tmp_path: Path) -> None:
    async with FakeOpenAI() as server:
        status, lines, err = await run_bot(
            db_url,
            tmp_path,
            "\n".join(QUESTIONS) + "\n",
            OPENAI_BASE_URL=server.url,
            OPENAI_API_KEY=TEST_KEY.get_secret_value(),
        )

    assert status == 0, err
    assert [line for line in lines if line.startswith("bot> ")] == [
        f"bot> Answer: {question}" for question in QUESTIONS
    ]
    responses = await ledger(db_url)
    assert [(r.status, r.provider, r.content) for r in responses] == [
        (ResponseStatus.OK, "openai", f"Answer: {q}") for q in QUESTIONS
    ]
    assert [(r.tokens_in, r.tokens_out) for r in responses] == [(3, 4), (3, 4), (2, 3)]
    # gpt-4o-mini at 0.15 in and 0.60 out per million tokens, from the shipped catalogue.
    assert [r.cost for r in responses] == [
        Decimal("0.00000285"),
        Decimal("0.00000285"),
        Decimal("0.0000021"),
    ]
    assert TEST_KEY.get_secret_value() not in err


async def test_console_reports_an_unusable_database(tmp_path: Path) -> None:
    not_a_database = tmp_path / "notes.txt"
    not_a_database.write_text("shopping list", encoding="utf-8")

    status, lines, err = await run_bot(config.db_url(f"sqlite://{not_a_database}"), tmp_path, "")

    assert status == 1
    assert lines == []
    assert f"error: cannot open the database at {not_a_database}" in err


async def test_console_reads_bytes_that_are_not_utf8_as_replacement_characters(
    tmp_path: Path,
) -> None:
    # Regression: under strict decoding the input thread died and the console hung.
    process = await spawn(
        tmp_path,
        DATABASE_URL=f"sqlite://{tmp_path}/ledger.sqlite3",
        PYTHONIOENCODING="utf-8:strict",
    )
    out, err = await asyncio.wait_for(process.communicate(b"bad \xff\n/quit\n"), timeout=60)

    assert process.returncode == 0, err.decode()
    assert "bot> You said: bad \N{REPLACEMENT CHARACTER}" in out.decode().splitlines()
