"""Showing an answer while it is written: "typing", then one message edited as text grows.

Edits are spaced by at least the configured interval (Telegram allows about one message
per second in a chat); the final text is always sent in full, split over as many messages
as the 4096-character limit needs.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from types import TracebackType

from aiogram import Bot
from aiogram.enums import ChatAction
from aiogram.exceptions import TelegramAPIError, TelegramRetryAfter

from bot.replies import edit_text, send_text, split_text
from services import loggers
from services.llm import OnText

# Telegram shows "typing" for five seconds or until the bot's next message.
TYPING_REFRESH_S = 4.5
EMPTY_ANSWER = "(The model answered with no text.)"


@dataclass(frozen=True)
class ReplyOptions:
    """How answers are shown.

    Attributes:
        live: Show the answer while it streams; the console shows only the final text.
        edit_interval_s: The least time between two edits of the streamed message.
        parse_mode: Telegram markup to try first; None sends plain text.
    """

    live: bool = True
    edit_interval_s: float = 1.0
    parse_mode: str | None = None


class LiveReply:
    """One answer in one chat, as it grows and when it is done."""

    def __init__(self, bot: Bot, chat_id: int, options: ReplyOptions) -> None:
        self._bot = bot
        self._chat_id = chat_id
        self._options = options
        self._message_id: int | None = None
        self._shown = ""
        self._last_edit = 0.0
        # Telegram asked for a pause (429 with retry_after): live edits wait until then.
        self._quiet_until = 0.0
        self._typing: asyncio.Task[None] | None = None

    async def __aenter__(self) -> LiveReply:
        if self._options.live and await self._type():
            self._typing = asyncio.create_task(self._keep_typing())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._stop_typing()

    @property
    def on_text(self) -> OnText | None:
        """What to call as the answer grows; None when only the final text is shown."""
        return self.update if self._options.live else None

    async def update(self, text: str) -> None:
        """Show the text so far, unless the last edit is too recent."""
        if not self._options.live:
            return
        await self._stop_typing()
        now = asyncio.get_running_loop().time()
        if now < self._quiet_until:
            return
        if self._message_id is not None and now - self._last_edit < self._options.edit_interval_s:
            return

        # TODO: only the first message is live; what overflows it appears when the answer
        # ends. Stream into the continuation messages too if long answers feel stuck.
        head = split_text(text)[:1]
        if not head or head[0] == self._shown:
            return
        try:
            if self._message_id is None:
                await self._send_first(head[0])
            else:
                await self._edit(head[0])
        except TelegramRetryAfter as exc:
            # A live edit can be skipped; the final text is sent whatever happens.
            loggers.bot.info("chat %s: pausing edits for %s s", self._chat_id, exc.retry_after)
            self._quiet_until = now + exc.retry_after

    async def finish(self, text: str) -> None:
        """Show the whole answer: the streamed message completed, then any continuation."""
        await self._stop_typing()
        pieces = split_text(text) or [EMPTY_ANSWER]
        if self._message_id is None:
            await _patiently(lambda: self._send_first(pieces[0]))
        elif pieces[0] != self._shown:
            await _patiently(lambda: self._edit(pieces[0]))
        for piece in pieces[1:]:
            await _patiently(
                partial(send_text, self._bot, self._chat_id, piece, self._options.parse_mode)
            )

    async def _send_first(self, text: str) -> None:
        message = await send_text(self._bot, self._chat_id, text, self._options.parse_mode)
        self._message_id = message.message_id
        self._shown = text
        self._last_edit = asyncio.get_running_loop().time()

    async def _edit(self, text: str) -> None:
        assert self._message_id is not None
        await edit_text(self._bot, self._chat_id, self._message_id, text, self._options.parse_mode)
        self._shown = text
        self._last_edit = asyncio.get_running_loop().time()

    async def _keep_typing(self) -> None:
        while True:
            await asyncio.sleep(TYPING_REFRESH_S)
            if not await self._type():
                return

    async def _type(self) -> bool:
        try:
            await self._bot.send_chat_action(self._chat_id, ChatAction.TYPING)
        except TelegramAPIError as exc:
            # "typing" is a courtesy: the answer goes on without it.
            loggers.bot.info("chat action failed in chat %s: %s", self._chat_id, exc)
            return False
        return True

    async def _stop_typing(self) -> None:
        if self._typing is None:
            return
        self._typing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._typing
        self._typing = None


async def _patiently(call: Callable[[], Awaitable[object]]) -> None:
    # Telegram's flood control names the wait; the final text is worth one more try.
    try:
        await call()
    except TelegramRetryAfter as exc:
        loggers.bot.info("flood control: retrying in %s s", exc.retry_after)
        await asyncio.sleep(exc.retry_after)
        await call()
