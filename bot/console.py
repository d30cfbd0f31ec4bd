"""A chat in the terminal, through the same dispatcher as Telegram and with no network.

Each line typed becomes a Telegram ``Update`` from a fixed local user; the bot's calls to
the Bot API go to :class:`ConsoleSession`, which prints messages instead of sending them
and answers the way Telegram would.
"""

from __future__ import annotations

import asyncio
import getpass
import io
import itertools
import json
import sys
import threading
import time
from collections.abc import AsyncGenerator, Callable
from typing import Any, TextIO, cast

from aiogram import Bot, Dispatcher
from aiogram.client.session.base import BaseSession
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageText,
    GetMe,
    SendChatAction,
    SendMessage,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import Update

from services import loggers

# Telegram gives no user or chat the id 0, so the console user never meets a real one.
CONSOLE_USER_ID = 0
# Not a secret: aiogram wants a token of the right shape, and the console sends it nowhere.
CONSOLE_TOKEN = "1:console"  # noqa: S105
QUIT = "/quit"


class ConsoleSession(BaseSession):
    """A Bot API "server" in the process: messages go to ``write``, nothing to a network."""

    def __init__(self, write: Callable[[str], None]) -> None:
        super().__init__()
        self._write = write
        self._message_ids = itertools.count(1)

    # The signatures below are aiogram's; the timeouts mean nothing without a network.
    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109
    ) -> TelegramType:
        status, body = self._answer(method)
        # Telegram's JSON, parsed by aiogram itself: the caller gets what polling would.
        response = self.check_response(bot, method, status, json.dumps(body))
        return cast(TelegramType, response.result)

    async def close(self) -> None:
        return None

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        raise NotImplementedError("the console has no files to download")
        yield b""  # pragma: no cover

    def _answer(self, method: TelegramMethod[Any]) -> tuple[int, dict[str, Any]]:
        if isinstance(method, SendMessage | EditMessageText):
            self._write(method.text)
            return 200, {"ok": True, "result": self._message(method)}
        if isinstance(method, SendChatAction | AnswerCallbackQuery):
            return 200, {"ok": True, "result": True}
        if isinstance(method, GetMe):
            bot = {"id": 1, "is_bot": True, "first_name": "ledgerbot", "username": "ledgerbot"}
            return 200, {"ok": True, "result": bot}
        description = f"Bad Request: the console cannot {method.__api_method__}"
        return 400, {"ok": False, "error_code": 400, "description": description}

    def _message(self, method: SendMessage | EditMessageText) -> dict[str, Any]:
        message_id = getattr(method, "message_id", None) or next(self._message_ids)
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": method.chat_id, "type": "private"},
            "text": method.text,
        }


def console_update(text: str, update_id: int, name: str, user_id: int = CONSOLE_USER_ID) -> Update:
    """A private text message from the console user, shaped as Telegram sends one."""
    # Message ids are microseconds since the epoch: the ledger counts a repeated (chat,
    # message) pair as a redelivery, so a second session must never reuse the first's ids.
    message_id = time.time_ns() // 1000
    return Update.model_validate(
        {
            "update_id": update_id,
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": user_id, "type": "private", "first_name": name},
                "from": {"id": user_id, "is_bot": False, "first_name": name},
                "text": text,
            },
        }
    )


async def run_console(
    dispatcher: Dispatcher, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout
) -> int:
    """Chat on the terminal until ``/quit`` or the end of input; returns the exit status."""

    def write(text: str) -> None:
        stdout.write(f"bot> {text}\n")
        stdout.flush()

    bot = Bot(CONSOLE_TOKEN, session=ConsoleSession(write))
    name = _local_name()
    echo_input = not stdin.isatty()
    stdout.write(f"Console chat as {name}. Type a question; {QUIT} or Ctrl-D leaves.\n")

    # Bytes that are not UTF-8 become U+FFFD rather than ending the chat.
    if isinstance(stdin, io.TextIOWrapper):
        stdin.reconfigure(errors="replace")
    lines = _lines(stdin)
    for update_id in itertools.count(1):
        stdout.write("you> ")
        stdout.flush()
        line = await lines.get()
        if line is None or line.strip() == QUIT:
            stdout.write("\n" if line is None else (f"{line}\n" if echo_input else ""))
            break
        if echo_input:
            stdout.write(f"{line}\n")
        await _feed(dispatcher, bot, console_update(line, update_id, name))
    await bot.session.close()
    return 0


async def _feed(dispatcher: Dispatcher, bot: Bot, update: Update) -> None:
    try:
        await dispatcher.feed_update(bot, update)
    except Exception:
        # The error router answers every failure it knows; this is for the rest.
        loggers.bot.exception("console update %s failed", update.update_id)
        print("bot> Something went wrong on my side; the log says what.", flush=True)


def _lines(stdin: TextIO) -> asyncio.Queue[str | None]:
    # A daemon thread reads, so that Ctrl-C never waits for a line that will not come;
    # None marks the end of input.
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def read() -> None:
        try:
            for line in stdin:
                loop.call_soon_threadsafe(queue.put_nowait, line.rstrip("\r\n"))
        finally:
            # Whatever stops the reading, the chat ends instead of waiting for ever.
            loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=read, name="console-input", daemon=True).start()
    return queue


def _local_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "console"
