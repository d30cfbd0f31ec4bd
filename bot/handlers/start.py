"""``/start``: greet a user, who is registered by then."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import CommandStart
from aiogram.types import Message

from models import User
from services.catalog import model_for
from services.llm import Providers


async def on_start(message: Message, user: User, providers: Providers) -> None:
    model = await model_for(user, providers)
    await message.answer(
        f"Hello, {user.name or 'there'}! Ask me anything: I pass your question to an AI "
        f"model and keep a record of each exchange.\n"
        f"Your model is {model}. /model changes it, /help lists what I understand."
    )


def build_router() -> Router:
    """The ``/start`` router."""
    router = Router(name="start")
    router.message.register(on_start, CommandStart())
    return router
