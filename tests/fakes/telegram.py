"""A loopback Bot API server that aiogram talks to as it would to Telegram.

It serves ``/bot<token>/<method>`` for the methods the bot uses (``getMe``,
``getUpdates`` with long polling, ``sendMessage``, ``editMessageText``,
``sendChatAction``, ``answerCallbackQuery``, webhook management), records every call,
and hands out the updates a test queues. :class:`Updates` builds them in the shape
Telegram sends.

Markup is checked the way Telegram refuses it: with ``parse_mode=HTML``, a ``<`` that
opens no tag Telegram knows gets 400 "can't parse entities".

Run it alone with ``python -m tests.fakes.telegram [--port N]``; ``POST /fake/updates``
(a JSON list of updates) queues updates and ``GET /fake/calls`` lists the calls so far.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

HOST = "127.0.0.1"
TOKEN = "123456789:AAFakeTokenForLoopbackTestsOnly"
BOT_USER = {
    "id": 123456789,
    "is_bot": True,
    "first_name": "Ledger",
    "username": "ledger_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
HTML_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre"}
HTML_TAG = re.compile(r"</?([a-zA-Z-]+)[^<>]*>")
# Telegram's long polling answers at once when updates wait, else after ``timeout``.
MAX_POLL_S = 2.0


@dataclass(frozen=True)
class Call:
    """One Bot API call as the server received it (values as sent, strings)."""

    method: str
    params: dict[str, str]

    @property
    def text(self) -> str:
        return self.params.get("text", "")

    @property
    def chat_id(self) -> int:
        return int(self.params["chat_id"])


class FakeTelegram:
    """The server. ``api_base`` goes into ``TELEGRAM_API_BASE``; ``token`` is the bot's."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self._pending: list[dict[str, Any]] = []
        self._changed = asyncio.Condition()
        self._message_ids = itertools.count(10_000)
        # Every message the bot sent, by id: (chat id, text as the last edit left it).
        self.messages: dict[int, tuple[int, str]] = {}
        # Flood control: how many more calls of a method get 429 with retry_after 1.
        self.flood: dict[str, int] = {}
        self._runner: web.AppRunner | None = None
        self._closing = False
        self.api_base = ""

    async def start(self, port: int = 0) -> str:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._method)
        app.router.add_post("/fake/updates", self._queue_from_http)
        app.router.add_get("/fake/calls", self._calls_as_json)
        self._runner = web.AppRunner(app, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, HOST, port)
        await site.start()
        self.api_base = f"http://{HOST}:{self._runner.addresses[0][1]}"
        return self.api_base

    async def stop(self) -> None:
        self._closing = True
        async with self._changed:
            self._changed.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def queue(self, *updates: dict[str, Any]) -> None:
        """Make updates available to the next ``getUpdates``, all in one answer."""
        async with self._changed:
            self._pending.extend(updates)
            self._changed.notify_all()

    async def wait_for(self, condition: Callable[[list[Call]], bool], limit_s: float = 10) -> bool:
        """Wait until the calls so far satisfy ``condition``; False if ``limit_s`` passed."""
        try:
            async with asyncio.timeout(limit_s), self._changed:
                await self._changed.wait_for(lambda: condition(self.calls))
        except TimeoutError:
            return False
        return True

    async def shows(self, chat_id: int, expected: list[str], limit_s: float = 10) -> list[str]:
        """What the chat shows once it shows ``expected``, or after waiting in vain."""
        await self.wait_for(lambda calls: self.texts(chat_id) == expected, limit_s)
        return self.texts(chat_id)

    def sent(self, chat_id: int | None = None) -> list[Call]:
        """``sendMessage`` calls, to one chat if given."""
        return [
            c
            for c in self.calls
            if c.method == "sendMessage" and (chat_id is None or c.chat_id == chat_id)
        ]

    def called(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def texts(self, chat_id: int) -> list[str]:
        """What a chat shows of the bot's messages, in the order they were sent."""
        return [text for chat, text in self.messages.values() if chat == chat_id]

    async def _method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _refuse(401, "Unauthorized")
        method = request.match_info["method"]
        params = {key: str(value) for key, value in (await request.post()).items()}
        if method == "getUpdates":
            return await self._get_updates(params)

        answer = self._answer(method, params)
        async with self._changed:
            self.calls.append(Call(method, params))
            self._changed.notify_all()
        return answer if isinstance(answer, web.Response) else _ok(answer)

    def _answer(self, method: str, params: dict[str, str]) -> Any:
        if method == "getMe":
            return BOT_USER
        if self.flood.get(method):
            self.flood[method] -= 1
            return _refuse(429, "Too Many Requests: retry after 1", retry_after=1)
        if method in {"sendMessage", "editMessageText"}:
            if not _parses(params.get("text", ""), params.get("parse_mode")):
                return _refuse(400, "Bad Request: can't parse entities: Unsupported start tag")
            return self._message(params)
        if method in {
            "sendChatAction",
            "answerCallbackQuery",
            "deleteWebhook",
            "setWebhook",
            "close",
            "logOut",
        }:
            return True
        return _refuse(404, "Not Found: method not found")

    async def _get_updates(self, params: dict[str, str]) -> web.Response:
        offset = int(params.get("offset", 0))
        wait = min(float(params.get("timeout", 0)), MAX_POLL_S)
        async with self._changed:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
            if not self._pending and not self._closing:
                try:
                    async with asyncio.timeout(wait):
                        await self._changed.wait_for(lambda: bool(self._pending) or self._closing)
                except TimeoutError:
                    pass
            return _ok(list(self._pending))

    def _message(self, params: dict[str, str]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        message_id = int(params.get("message_id") or next(self._message_ids))
        self.messages[message_id] = (chat_id, params.get("text", ""))
        return {
            "message_id": message_id,
            "from": BOT_USER,
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
            "date": int(time.time()),
            "text": params.get("text", ""),
        }

    async def _queue_from_http(self, request: web.Request) -> web.Response:
        await self.queue(*await request.json())
        return _ok(True)

    async def _calls_as_json(self, request: web.Request) -> web.Response:
        return _ok([{"method": c.method, "params": c.params} for c in self.calls])


class Updates:
    """Updates as Telegram shapes them, with ids that only grow."""

    def __init__(self) -> None:
        self._update_ids = itertools.count(700_000_001)
        self._message_ids = itertools.count(1)

    @staticmethod
    def person(
        user_id: int, first_name: str, username: str | None = None, language: str = "en"
    ) -> dict[str, Any]:
        person: dict[str, Any] = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name,
            "language_code": language,
        }
        if username:
            person["username"] = username
        return person

    def text(self, sender: dict[str, Any], text: str) -> dict[str, Any]:
        message = self._private(sender)
        message["text"] = text
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"offset": 0, "length": len(command), "type": "bot_command"}]
        return {"update_id": next(self._update_ids), "message": message}

    def edited(self, original: dict[str, Any], text: str) -> dict[str, Any]:
        message = {**original["message"], "text": text, "edit_date": int(time.time())}
        return {"update_id": next(self._update_ids), "edited_message": message}

    def album(self, sender: dict[str, Any], photos: int) -> list[dict[str, Any]]:
        group = str(13_000_000_000_000_000 + next(self._message_ids))
        updates = []
        for index in range(photos):
            message = self._private(sender)
            message["media_group_id"] = group
            message["photo"] = [
                {
                    "file_id": f"AgACAgIAAxkBAAI{index}small",
                    "file_unique_id": f"AQAD{index}s",
                    "file_size": 1_204,
                    "width": 90,
                    "height": 60,
                },
                {
                    "file_id": f"AgACAgIAAxkBAAI{index}large",
                    "file_unique_id": f"AQAD{index}l",
                    "file_size": 80_512,
                    "width": 1280,
                    "height": 853,
                },
            ]
            updates.append({"update_id": next(self._update_ids), "message": message})
        return updates

    def channel_post(self, channel_id: int, title: str, text: str) -> dict[str, Any]:
        channel = {"id": channel_id, "title": title, "type": "channel"}
        post = {
            "message_id": next(self._message_ids),
            "sender_chat": channel,
            "chat": channel,
            "date": int(time.time()),
            "text": text,
        }
        return {"update_id": next(self._update_ids), "channel_post": post}

    def button(self, sender: dict[str, Any], call: Call, data: str) -> dict[str, Any]:
        """A press on an inline button of the message the bot sent in ``call``."""
        message = {
            "message_id": 10_000,
            "from": BOT_USER,
            "chat": {"id": call.chat_id, "type": "private", "first_name": sender["first_name"]},
            "date": int(time.time()),
            "text": call.text,
            "reply_markup": json.loads(call.params["reply_markup"]),
        }
        query = {
            "id": str(4_382_000_000_000_000_000 + next(self._message_ids)),
            "from": sender,
            "message": message,
            "chat_instance": "-5316597813917264419",
            "data": data,
        }
        return {"update_id": next(self._update_ids), "callback_query": query}

    def _private(self, sender: dict[str, Any]) -> dict[str, Any]:
        chat = {"id": sender["id"], "type": "private", "first_name": sender["first_name"]}
        if "username" in sender:
            chat["username"] = sender["username"]
        return {
            "message_id": next(self._message_ids),
            "from": sender,
            "chat": chat,
            "date": int(time.time()),
        }


def _parses(text: str, parse_mode: str | None) -> bool:
    if parse_mode != "HTML":
        return True
    tags = {match.group(1).lower() for match in HTML_TAG.finditer(text)}
    return tags <= HTML_TAGS and text.count("<") == len(HTML_TAG.findall(text))


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _refuse(status: int, description: str, retry_after: int | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=status)


async def _serve(port: int) -> None:
    server = FakeTelegram()
    print(f"fake Bot API at {await server.start(port)} (token {server.token})", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="A loopback Telegram Bot API server.")
    parser.add_argument("--port", type=int, default=0)
    asyncio.run(_serve(parser.parse_args().port))
