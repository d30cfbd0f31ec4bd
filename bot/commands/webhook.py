"""``python -m bot webhook``: serve Telegram by webhook, one of several replicas if need be."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from pydantic import SecretStr

from bot.dispatcher import build_dispatcher
from bot.startup import StartupFailed, running
from bot.telegram import STARTUP_ERRORS, build_bot, live_options, startup_problem
from bot.webhook import check_secret, serve
from config import settings
from services.llm import Providers


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "webhook",
        help="serve Telegram by webhook (needs TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET)",
    )
    parser.add_argument("--host", default=settings.webhook_host, help="address to listen on")
    parser.add_argument("--port", type=int, default=settings.webhook_port, help="port")
    parser.add_argument("--path", default=settings.webhook_path, help="path of the webhook")
    parser.set_defaults(handler=handle)


async def handle(args: argparse.Namespace) -> int:
    token, secret = settings.telegram_bot_token, settings.telegram_webhook_secret
    if token is None:
        return _refuse("TELEGRAM_BOT_TOKEN is not set")
    if (problem := check_secret(secret)) is not None or secret is None:
        return _refuse(problem or "TELEGRAM_WEBHOOK_SECRET is not set")

    try:
        async with running() as (_, providers):
            return await _serve(providers, token, secret, args)
    except StartupFailed:
        return 1


async def _serve(
    providers: Providers, token: SecretStr, secret: SecretStr, args: argparse.Namespace
) -> int:
    try:
        await serve(
            build_dispatcher(providers, live_options()),
            build_bot(token, settings.telegram_api_base),
            secret=secret,
            host=args.host,
            port=args.port,
            path=args.path,
            public_url=settings.webhook_url,
        )
    except STARTUP_ERRORS as exc:
        return _refuse(startup_problem(exc), status=1)
    except OSError as exc:
        return _refuse(f"cannot listen on {args.host}:{args.port}: {exc.strerror}", status=1)
    return 0


def _refuse(problem: str, status: int = 2) -> int:
    print(f"error: {problem}", file=sys.stderr)
    return status
