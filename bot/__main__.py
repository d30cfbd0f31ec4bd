"""``python -m bot [COMMAND]``: the bot and its operator commands.

With no command the bot runs: on Telegram when a token is set, as a console chat when
not. Each module in ``bot/commands/`` adds one command; ``--help`` lists them.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import pkgutil
import sys

from pydantic import ValidationError

import bot.commands

# Commands that run once and report, as opposed to serving chats.
OPERATOR_COMMANDS = {"catalog", "db"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="The LLM chat bot and its operator commands; with no command, run the bot.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(bot.commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"bot.commands.{info.name}")
        module.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    # Settings are read when config is first imported: a bad value is the operator's to fix,
    # so it gets one line naming the setting (never its value, which may be a secret).
    try:
        from config import settings
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, error['loc'])).upper()}: {error['msg']}" for error in exc.errors()
        )
        print(f"error: invalid setting: {problems}", file=sys.stderr)
        return 2
    level = logging.getLevelName(settings.log_level.upper())
    if not isinstance(level, int):
        print(
            "error: invalid setting: LOG_LEVEL: use DEBUG, INFO, WARNING or ERROR", file=sys.stderr
        )
        return 2

    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # At DEBUG Tortoise logs SQL with its bound values (prompts, replies) and a third of
    # the database password; those lines stay off whatever LOG_LEVEL says.
    if logging.getLogger().level < logging.INFO:
        for noisy in ("tortoise", "aiosqlite", "asyncio"):
            logging.getLogger(noisy).setLevel(logging.INFO)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["run", *(argv or sys.argv[1:])])
    if args.command in OPERATOR_COMMANDS and "log_level" not in settings.model_fields_set:
        # An operator command prints what it did; INFO lines would only repeat it.
        logging.getLogger().setLevel(logging.WARNING)
    try:
        return int(asyncio.run(args.handler(args)))
    except KeyboardInterrupt:
        # Ctrl-C in the console: the database was closed on the way out; no traceback.
        return 130


if __name__ == "__main__":
    sys.exit(main())
