"""The operator commands of ``python -m bot``, run in-process on each backend."""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path

import pytest

from bot.__main__ import build_parser
from bot.commands.catalog import handle_import, handle_list
from tests.services.test_catalog import LITELLM_MAP, needs_litellm_map


def test_help_lists_every_command(monkeypatch: pytest.MonkeyPatch) -> None:
    # argparse wraps help to the terminal's width.
    monkeypatch.setenv("COLUMNS", "100")
    listed = build_parser().format_help().split("positional arguments:")[1]

    assert "catalog   the catalogue of models and their prices" in listed
    assert "run       run the bot: on Telegram with TELEGRAM_BOT_TOKEN" in listed


async def test_catalog_list_shows_the_shipped_models(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await handle_list(argparse.Namespace()) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "echo/echo            0 in, 0 out per million tokens (as of 2026-12-04)"
    assert lines[2] == (
        "openai/gpt-4.1-nano  0.1 in, 0.4 out per million tokens (as of 2026-12-04), "
        "context 1,047,576"
    )
    assert lines[-1] == "6 active models"


@needs_litellm_map
async def test_catalog_import_prints_its_summary_and_the_list_grows(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = argparse.Namespace(file=LITELLM_MAP, as_of=date(2026, 12, 4))

    assert await handle_import(args) == 0
    assert await handle_list(argparse.Namespace()) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        f"{LITELLM_MAP}: 218 entries: 161 added, 0 updated, 5 unchanged; "
        "skipped 52 that are not chat models and 0 without a usable price"
    )
    assert lines[-1] == "167 active models"


async def test_catalog_import_of_a_missing_file_fails_with_a_message(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = argparse.Namespace(file=tmp_path / "nowhere.json", as_of=None)

    assert await handle_import(args) == 1
    assert "error: invalid price map: cannot read" in capsys.readouterr().err


async def test_catalog_import_of_unstorable_entries_counts_them_and_succeeds(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "prices.json"
    chat = {"mode": "chat", "input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06}
    path.write_text(
        json.dumps({"n" * 201: chat, "a\x00": chat, "big": {**chat, "max_tokens": 10**11}}),
        encoding="utf-8",
    )
    args = argparse.Namespace(file=path, as_of=date(2026, 12, 4))

    assert await handle_import(args) == 0

    assert capsys.readouterr().out == (
        f"{path}: 3 entries: 1 added, 0 updated, 0 unchanged; skipped 0 that are not chat "
        "models and 0 without a usable price; skipped 2 invalid: context window out of "
        "range (1), name too long (1)\n"
    )


async def test_catalog_import_of_a_deeply_nested_file_fails_with_one_line(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "prices.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")

    assert await handle_import(argparse.Namespace(file=path, as_of=None)) == 1

    assert capsys.readouterr().err == (f"error: invalid price map: {path} is nested too deeply\n")
