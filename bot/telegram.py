"""Serving Telegram by long polling, against the official Bot API or a self-hosted one."""

from __future__ import annotations

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from pydantic import SecretStr


def build_bot(token: SecretStr, api_base: str | None = None) -> Bot:
    """A bot that talks to ``api_base`` (a ``telegram-bot-api`` server) or to Telegram."""
    session = AiohttpSession()
    if api_base:
        session = AiohttpSession(api=TelegramAPIServer.from_base(api_base))
    return Bot(token.get_secret_value(), session=session)


async def poll(
    dispatcher: Dispatcher, bot: Bot, *, polling_timeout: int = 10, handle_signals: bool = True
) -> None:
    """Answer updates until stopped (SIGINT/SIGTERM, or ``dispatcher.stop_polling()``).

    Each update is handled in its own task, so a message sent while an answer is still
    streaming is answered too.
    """
    # getUpdates is refused while a webhook is set; polling is what this process does.
    await bot.delete_webhook()
    await dispatcher.start_polling(
        bot,
        polling_timeout=polling_timeout,
        handle_as_tasks=True,
        handle_signals=handle_signals,
    )
