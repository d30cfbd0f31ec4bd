"""``/help``, and a word for commands the bot does not know."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import Message

HELP = (
    "Send me a question as text and I answer with the AI model you chose.\n"
    "/model lists the models; /model NAME picks one.\n"
    "/help shows this message.\n"
    "I read text only: photos, stickers, voice messages and files are not read yet."
)


async def on_help(message: Message) -> None:
    await message.answer(HELP)


async def on_unknown_command(message: Message) -> None:
    await message.answer("I don't know that command. /help lists the ones I understand.")


def build_router() -> Router:
    """``/help``, then any command no router before this one took."""
    router = Router(name="help")
    router.message.register(on_help, Command("help"))
    router.message.register(on_unknown_command, F.text.startswith("/"))
    return router
