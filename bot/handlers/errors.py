"""The one place where a failed update becomes a reply the user understands."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent, Update

from services import loggers
from services.errors import AnswerInProgress, InvalidInput, NotFound, ProviderError

SOMETHING_WENT_WRONG = "Something went wrong on my side. Please try again in a minute."


async def on_known_error(event: ErrorEvent, bot: Bot) -> None:
    # Their messages are written for the user: what happened and what to do.
    await _tell(bot, event.update, _sentence(str(event.exception)))


async def on_duplicate(event: ErrorEvent) -> None:
    # The first copy of this message is being answered; a second answer would be noise.
    loggers.bot.info("update %s: a copy of a message being answered", event.update.update_id)


async def on_unexpected_error(event: ErrorEvent, bot: Bot) -> None:
    loggers.bot.error(
        "update %s failed: %s",
        event.update.update_id,
        type(event.exception).__name__,
        exc_info=event.exception,
    )
    await _tell(bot, event.update, SOMETHING_WENT_WRONG)


async def _tell(bot: Bot, update: Update, text: str) -> None:
    chat_id = _chat_id(update)
    if chat_id is not None:
        await bot.send_message(chat_id, text, parse_mode=None)


def _chat_id(update: Update) -> int | None:
    if update.message is not None:
        return update.message.chat.id
    if update.edited_message is not None:
        return update.edited_message.chat.id
    if update.callback_query is not None and update.callback_query.message is not None:
        return update.callback_query.message.chat.id
    return None


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def build_router() -> Router:
    """Known errors first, then everything else."""
    router = Router(name="errors")
    router.errors.register(on_duplicate, ExceptionTypeFilter(AnswerInProgress))
    router.errors.register(
        on_known_error, ExceptionTypeFilter(ProviderError, InvalidInput, NotFound)
    )
    router.errors.register(on_unexpected_error)
    return router
