"""Sending text to Telegram within its limits.

A message holds at most 4096 characters, counted by Telegram in UTF-16 code units (an
emoji outside the Basic Multilingual Plane counts twice). Longer text is split at the last
line break, else the last space, that fits; a word longer than a whole message is cut.
"""

from __future__ import annotations

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import Message

MESSAGE_LIMIT = 4096
# Telegram's answer when markup does not parse, e.g. "Bad Request: can't parse entities:
# Unsupported start tag".
UNPARSABLE = "can't parse entities"


def utf16_len(text: str) -> int:
    """The length of ``text`` as Telegram counts it."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """``text`` cut into pieces of at most ``limit`` UTF-16 units, on line or word breaks.

    The break itself (newline or space) is dropped, so the pieces read as the text did.
    Empty text gives no pieces.
    """
    pieces: list[str] = []
    while utf16_len(text) > limit:
        end = _fitting_end(text, limit)
        cut = text.rfind("\n", 0, end + 1)
        if cut <= 0:
            cut = text.rfind(" ", 0, end + 1)
        if cut <= 0:
            pieces.append(text[:end])
            text = text[end:]
        else:
            pieces.append(text[:cut])
            text = text[cut + 1 :]
    if text:
        pieces.append(text)
    return pieces


async def send_text(bot: Bot, chat_id: int, text: str, parse_mode: str | None) -> Message:
    """Send ``text``, as plain text if Telegram cannot parse it as ``parse_mode``."""
    try:
        return await bot.send_message(chat_id, text, parse_mode=parse_mode)
    except TelegramBadRequest as exc:
        if parse_mode is None or UNPARSABLE not in exc.message:
            raise
    return await bot.send_message(chat_id, text, parse_mode=None)


async def edit_text(
    bot: Bot, chat_id: int, message_id: int, text: str, parse_mode: str | None
) -> None:
    """Replace a message's text, as plain text if Telegram cannot parse it."""
    try:
        await bot.edit_message_text(
            text=text, chat_id=chat_id, message_id=message_id, parse_mode=parse_mode
        )
        return
    except TelegramBadRequest as exc:
        if parse_mode is None or UNPARSABLE not in exc.message:
            raise
    await bot.edit_message_text(text=text, chat_id=chat_id, message_id=message_id, parse_mode=None)


def _fitting_end(text: str, limit: int) -> int:
    # The longest prefix within the limit, never ending between a surrogate pair's halves.
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)
