"""Plain text: the question goes to the user's model and the answer comes back live."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.types import Message

from bot.streaming import LiveReply, ReplyOptions
from models import User
from services.chat import ask
from services.llm import Providers


async def on_text(
    message: Message, bot: Bot, user: User, providers: Providers, reply_options: ReplyOptions
) -> None:
    async with LiveReply(bot, message.chat.id, reply_options) as reply:
        answer = await ask(
            providers,
            user,
            message.text or "",
            chat_id=message.chat.id,
            message_id=message.message_id,
            on_text=reply.on_text,
        )
        await reply.finish(answer.text)


async def on_edited(message: Message) -> None:
    await message.answer(
        "I answer new messages only: send the corrected question as a new message."
    )


def build_router() -> Router:
    """Text messages and their edits."""
    router = Router(name="chat")
    router.message.register(on_text, F.text.is_not(None))
    router.edited_message.register(on_edited)
    return router
