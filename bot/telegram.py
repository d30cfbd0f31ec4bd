"""Serving Telegram by long polling, against the official Bot API or a self-hosted one."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError, TelegramUnauthorizedError
from aiogram.types import TelegramObject
from aiogram.utils.token import TokenValidationError
from pydantic import SecretStr

from bot.streaming import ReplyOptions
from config import settings
from services import loggers

# How long a stopping bot lets the answers under way finish.
DRAIN_S = 30.0
# How long cancelled answers get to record themselves as cancelled.
CANCEL_S = 5.0


# What Telegram may answer a bot that starts with a bad token or no way to reach it.
STARTUP_ERRORS = (TokenValidationError, TelegramAPIError, TelegramNetworkError)


def startup_problem(exc: BaseException) -> str:
    """What to tell the operator when Telegram refuses to start the bot."""
    if isinstance(exc, TokenValidationError):
        return "TELEGRAM_BOT_TOKEN is not a bot token (they look like 123456:ABC-DEF...)"
    if isinstance(exc, TelegramUnauthorizedError):
        return "Telegram refused TELEGRAM_BOT_TOKEN: check the token with @BotFather"
    if isinstance(exc, TelegramNetworkError):
        return "cannot reach the Bot API (TELEGRAM_API_BASE, or Telegram): check the network"
    return f"the Bot API refused to start the bot ({type(exc).__name__})"


def live_options() -> ReplyOptions:
    """How answers are shown on Telegram: streamed into one edited message."""
    return ReplyOptions(
        live=True,
        edit_interval_s=settings.telegram_edit_interval_s,
        parse_mode=settings.telegram_parse_mode,
    )


def build_bot(token: SecretStr, api_base: str | None = None) -> Bot:
    """A bot that talks to ``api_base`` (a ``telegram-bot-api`` server) or to Telegram."""
    session = AiohttpSession()
    if api_base:
        session = AiohttpSession(api=TelegramAPIServer.from_base(api_base))
    return Bot(token.get_secret_value(), session=session)


async def poll(
    dispatcher: Dispatcher,
    bot: Bot,
    *,
    polling_timeout: int = 10,
    handle_signals: bool = True,
    drain_s: float = DRAIN_S,
) -> None:
    """Answer updates until stopped (SIGINT/SIGTERM, or ``dispatcher.stop_polling()``).

    Each update is handled in its own task, so a message sent while an answer is still
    streaming is answered too. Once stopped, answers under way get ``drain_s`` seconds to
    finish before the connection closes.
    """
    in_flight = InFlight()
    dispatcher.update.outer_middleware(in_flight)
    try:
        # getUpdates is refused while a webhook is set; polling is what this process does.
        await bot.delete_webhook()
        await dispatcher.start_polling(
            bot,
            polling_timeout=polling_timeout,
            handle_as_tasks=True,
            handle_signals=handle_signals,
            close_bot_session=False,
        )
        await in_flight.drain(drain_s)
    finally:
        await bot.session.close()


class InFlight(BaseMiddleware):
    """Keeps the tasks handling updates, so that stopping can wait for them."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        task = asyncio.current_task()
        if task is None:
            return await handler(event, data)
        self._tasks.add(task)
        try:
            return await handler(event, data)
        finally:
            self._tasks.discard(task)

    async def drain(self, limit_s: float) -> None:
        """Wait for the updates under way, at most ``limit_s`` seconds."""
        if not self._tasks:
            return
        loggers.bot.info("waiting for %d answers under way", len(self._tasks))
        _, late = await asyncio.wait(set(self._tasks), timeout=limit_s)
        if late:
            # Cancelled while the database is still open, each records its request as
            # cancelled instead of failing later on a closed connection.
            loggers.bot.warning("cancelling %d answers still running at shutdown", len(late))
            for task in late:
                task.cancel()
            await asyncio.wait(late, timeout=CANCEL_S)
