"""Operator mistakes at startup: one line saying what to fix, no traceback."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.e2e.test_console import spawn
from tests.fakes.telegram import FakeTelegram


async def start(tmp_path: Path, *args: str, **env: str) -> tuple[int, str]:
    settings = {"DATABASE_URL": f"sqlite://{tmp_path}/ledger.sqlite3", "LOG_LEVEL": "WARNING"}
    process = await spawn(tmp_path, *args, **{**settings, **env})
    _, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, err.decode()


async def test_token_that_is_no_bot_token_is_named(tmp_path: Path) -> None:
    # Regression: aiogram's TokenValidationError reached the operator as a traceback.
    assert await start(tmp_path, TELEGRAM_BOT_TOKEN="not a token") == (
        1,
        "error: TELEGRAM_BOT_TOKEN is not a bot token (they look like 123456:ABC-DEF...)\n",
    )


async def test_token_telegram_refuses_is_named(
    tmp_path: Path, fake_telegram: FakeTelegram
) -> None:
    assert await start(
        tmp_path,
        TELEGRAM_BOT_TOKEN="42:WrongTokenForTheFake",
        TELEGRAM_API_BASE=fake_telegram.api_base,
    ) == (1, "error: Telegram refused TELEGRAM_BOT_TOKEN: check the token with @BotFather\n")


@pytest.mark.parametrize(
    ("setting", "value", "problem"),
    [
        ("MAX_PROMPT_CHARS", "abc", "MAX_PROMPT_CHARS: Input should be a valid integer"),
        ("LOG_LEVEL", "chatty", "LOG_LEVEL: use DEBUG, INFO, WARNING or ERROR"),
    ],
)
async def test_invalid_setting_is_named_without_its_value(
    tmp_path: Path, setting: str, value: str, problem: str
) -> None:
    status, err = await start(tmp_path, "--help", **{setting: value})

    assert status == 2
    assert err.startswith(f"error: invalid setting: {problem}")
    assert value not in err
    assert "Traceback" not in err


async def test_webhook_without_a_secret_refuses_to_start(tmp_path: Path) -> None:
    assert await start(tmp_path, "webhook", TELEGRAM_BOT_TOKEN="42:AnyToken") == (
        2,
        "error: TELEGRAM_WEBHOOK_SECRET is not set: without it anyone could post updates\n",
    )


async def test_operator_command_prints_its_report_and_no_log_lines(tmp_path: Path) -> None:
    # Regression: INFO lines of the database layer were mixed into `db upgrade`'s report.
    process = await spawn(
        tmp_path, "db", "upgrade", DATABASE_URL=f"sqlite://{tmp_path}/ledger.sqlite3"
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)

    assert (process.returncode, err.decode()) == (0, "")
    assert out.decode().splitlines()[-1] == f"{tmp_path}/ledger.sqlite3: up to date"
