"""``python -m bot run`` (the default): Telegram with a token, the console chat without."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from bot.console import run_console
from bot.dispatcher import build_dispatcher
from bot.startup import StartupFailed, running
from bot.streaming import ReplyOptions
from bot.telegram import STARTUP_ERRORS, build_bot, live_options, poll, startup_problem
from config import settings
from services.db import describe
from services.llm import Providers


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "run", help="run the bot: on Telegram with TELEGRAM_BOT_TOKEN, else a console chat"
    )
    parser.set_defaults(handler=handle)


async def handle(args: argparse.Namespace) -> int:
    console = settings.telegram_bot_token is None
    # Log lines would break up a console conversation; LOG_LEVEL set explicitly still wins.
    if console and "log_level" not in settings.model_fields_set:
        logging.getLogger().setLevel(logging.WARNING)
    try:
        async with running() as (url, providers):
            if console:
                return await _console(providers, describe(url))
            try:
                await _telegram(providers)
            except STARTUP_ERRORS as exc:
                print(f"error: {startup_problem(exc)}", file=sys.stderr)
                return 1
            return 0
    except StartupFailed:
        return 1


async def _console(providers: Providers, where: str) -> int:
    print(f"ledger: {where}")
    options = ReplyOptions(live=False, parse_mode=None)
    return await run_console(build_dispatcher(providers, options))


async def _telegram(providers: Providers) -> None:
    assert settings.telegram_bot_token is not None
    bot = build_bot(settings.telegram_bot_token, settings.telegram_api_base)
    await poll(build_dispatcher(providers, live_options()), bot)
