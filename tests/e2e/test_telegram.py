"""The bot on Telegram end to end: long polling against a loopback Bot API server.

Updates are shaped as Telegram sends them; the bot is the real aiogram ``Bot`` with an
``AiohttpSession`` pointed at the fake through the ``TELEGRAM_API_BASE`` mechanism, as it
would be at a self-hosted ``telegram-bot-api``.
"""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiogram import Dispatcher
from pydantic import SecretStr
from tortoise.context import TortoiseContext

import config
from bot.dispatcher import build_dispatcher
from bot.handlers.unsupported import CANNOT_READ
from bot.replies import MESSAGE_LIMIT
from bot.streaming import ReplyOptions
from bot.telegram import build_bot, poll
from models import LLMModel, Request, Response, ResponseStatus, User
from services.catalog import seed_catalog
from services.db import close_db, init_db
from services.llm import Providers
from tests.e2e.test_console import spawn
from tests.fakes.fixtures import remote_settings
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.telegram import FakeTelegram, Updates

ADA = Updates.person(5_000_000_001, "Ada", "ada")
BOB = Updates.person(5_000_000_002, "Bob")


class Running:
    """The bot polling the fake Bot API, and updates to send it."""

    def __init__(self, dispatcher: Dispatcher, task: asyncio.Task[None], providers: Providers):
        self.updates = Updates()
        self._dispatcher = dispatcher
        self._task = task
        self._providers = providers
        self._stopped = False

    async def stop(self) -> None:
        """Stop polling and let the answers under way finish, as a shutdown does."""
        if self._stopped:
            return
        self._stopped = True
        await self._dispatcher.stop_polling()
        await self._task
        await self._providers.aclose()


StartBot = Callable[..., Awaitable[Running]]


@pytest.fixture
async def start_bot(
    db: TortoiseContext, fake_telegram: FakeTelegram, fake_openai: FakeOpenAI
) -> AsyncIterator[StartBot]:
    """Starts the bot polling the fake: with echo, or with ``remote=True`` the fake model."""
    await seed_catalog()
    started: list[Running] = []

    async def start(*, remote: bool = False, **options: Any) -> Running:
        settings = remote_settings(fake_openai.url) if remote else config.settings
        providers = Providers(settings)
        dispatcher = build_dispatcher(providers, ReplyOptions(**options))
        bot = build_bot(SecretStr(fake_telegram.token), fake_telegram.api_base)
        task = asyncio.create_task(poll(dispatcher, bot, polling_timeout=1, handle_signals=False))
        started.append(Running(dispatcher, task, providers))
        return started[-1]

    yield start
    fake_openai.release.set()
    for running in started:
        await running.stop()


async def test_private_text_is_answered_after_typing_and_recorded(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    bot = await start_bot(edit_interval_s=0)
    question = bot.updates.text(ADA, "Hello there, bot")
    await fake_telegram.queue(question)

    expected = ["You said: Hello there, bot"]
    assert await fake_telegram.shows(ADA["id"], expected) == expected
    await bot.stop()
    first_calls = [c.method for c in fake_telegram.calls if c.method != "getMe"]
    assert first_calls[:3] == ["deleteWebhook", "sendChatAction", "sendMessage"]
    assert fake_telegram.called("sendChatAction")[0].params["action"] == "typing"

    request = await Request.get(user__tg_id=ADA["id"]).prefetch_related("responses")
    assert (request.prompt, request.chat_id, request.message_id) == (
        "Hello there, bot",
        ADA["id"],
        question["message"]["message_id"],
    )
    [response] = request.responses
    assert (response.status, response.content) == (ResponseStatus.OK, "You said: Hello there, bot")
    assert (response.tokens_in, response.tokens_out) == (3, 5)
    assert response.ttft_ms is not None


async def test_reply_over_the_limit_is_split_on_a_line_break(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_openai: FakeOpenAI
) -> None:
    lines = [f"Line {n}: " + "lorem ipsum " * 6 for n in range(80)]
    long_answer = "\n".join(lines)
    fake_openai.reply = lambda prompt: long_answer
    # The first message takes as many whole lines as fit; the rest follows.
    fit = max(k for k in range(len(lines)) if len("\n".join(lines[:k])) <= MESSAGE_LIMIT)
    expected = ["\n".join(lines[:fit]), "\n".join(lines[fit:])]
    bot = await start_bot(remote=True, edit_interval_s=0.2)
    await fake_telegram.queue(bot.updates.text(ADA, "Write me a long poem"))

    assert await fake_telegram.shows(ADA["id"], expected) == expected
    await bot.stop()
    assert len(long_answer) > MESSAGE_LIMIT
    response = await Response.get()
    assert response.content == long_answer


async def test_model_chosen_by_button_persists_and_answers(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_openai: FakeOpenAI
) -> None:
    bot = await start_bot(remote=True)
    await fake_telegram.queue(bot.updates.text(ADA, "/model"))
    await fake_telegram.wait_for(lambda calls: bool(fake_telegram.sent(ADA["id"])))
    listing = fake_telegram.sent(ADA["id"])[0]
    buttons = [row[0] for row in json.loads(listing.params["reply_markup"])["inline_keyboard"]]
    gpt4o = await LLMModel.get(provider="openai", name="gpt-4o")
    [button] = [b for b in buttons if b["text"] == "openai/gpt-4o"]

    await fake_telegram.queue(bot.updates.button(ADA, listing, button["callback_data"]))
    await fake_telegram.wait_for(lambda calls: bool(fake_telegram.called("editMessageText")))
    await fake_telegram.queue(bot.updates.text(ADA, "Which model are you?"))
    expected = ["Your model is now openai/gpt-4o.", "Answer: Which model are you?"]

    assert await fake_telegram.shows(ADA["id"], expected) == expected
    await bot.stop()
    assert fake_telegram.called("answerCallbackQuery")[0].params["text"] == "Model: openai/gpt-4o"
    assert fake_openai.requests[-1]["body"]["model"] == "gpt-4o"
    user = await User.get(tg_id=ADA["id"]).prefetch_related("model")
    assert user.model is not None
    assert user.model.id == gpt4o.id
    assert (await Request.get()).model_id == gpt4o.id  # type: ignore[attr-defined]


async def test_photo_album_from_a_new_user_registers_them_once(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_openai: FakeOpenAI
) -> None:
    bot = await start_bot(remote=True)
    await fake_telegram.queue(*bot.updates.album(BOB, photos=4))
    await fake_telegram.shows(BOB["id"], [CANNOT_READ])
    # Once a later text is answered, every photo of the album has been handled too.
    await fake_telegram.queue(bot.updates.text(BOB, "Did you see them?"))

    expected = [CANNOT_READ, "Answer: Did you see them?"]

    assert await fake_telegram.shows(BOB["id"], expected) == expected
    await bot.stop()
    assert await User.filter(tg_id=BOB["id"]).count() == 1
    assert [r["body"]["messages"][-1]["content"] for r in fake_openai.requests] == [
        "Did you see them?"
    ]


async def test_edited_message_is_answered_but_not_asked_again(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    bot = await start_bot()
    original = bot.updates.text(ADA, "What is 2+2?")
    await fake_telegram.queue(original)
    await fake_telegram.shows(ADA["id"], ["You said: What is 2+2?"])

    await fake_telegram.queue(bot.updates.edited(original, "What is 3+3?"))
    expected = [
        "You said: What is 2+2?",
        "I answer new messages only: send the corrected question as a new message.",
    ]

    assert await fake_telegram.shows(ADA["id"], expected) == expected
    await bot.stop()
    assert await Request.all().values_list("prompt", flat=True) == ["What is 2+2?"]


async def test_channel_post_passes_through_untouched(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    bot = await start_bot()
    channel_id = -1_001_234_567_890
    await fake_telegram.queue(bot.updates.channel_post(channel_id, "News", "Breaking news"))
    await fake_telegram.queue(bot.updates.text(ADA, "hi"))

    assert await fake_telegram.shows(ADA["id"], ["You said: hi"]) == ["You said: hi"]
    await bot.stop()
    assert fake_telegram.sent(channel_id) == []
    assert await User.all().values_list("tg_id", flat=True) == [ADA["id"]]
    assert await Request.all().values_list("prompt", flat=True) == ["hi"]


async def test_message_sent_while_an_answer_runs_is_answered_too(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_openai: FakeOpenAI
) -> None:
    fake_openai.by_prompt = {"Think long": "hold"}
    bot = await start_bot(remote=True)
    await fake_telegram.queue(
        bot.updates.text(ADA, "Think long"), bot.updates.text(ADA, "Quick one")
    )

    assert await fake_telegram.shows(ADA["id"], ["Answer: Quick one"]) == ["Answer: Quick one"]
    fake_openai.release.set()
    both = ["Answer: Quick one", "Answer: Think long"]
    assert await fake_telegram.shows(ADA["id"], both) == both
    await bot.stop()
    answers = await Response.all().order_by("content").values_list("status", "content")
    assert answers == [
        (ResponseStatus.OK, "Answer: Quick one"),
        (ResponseStatus.OK, "Answer: Think long"),
    ]


async def test_markup_telegram_refuses_is_sent_as_plain_text(
    start_bot: StartBot, fake_telegram: FakeTelegram, fake_openai: FakeOpenAI
) -> None:
    fake_openai.reply = lambda prompt: "Use a <b>bold</b> claim: 1 < 2"
    bot = await start_bot(remote=True, parse_mode="HTML")
    await fake_telegram.queue(bot.updates.text(ADA, "Compare"))

    expected = ["Use a <b>bold</b> claim: 1 < 2"]

    assert await fake_telegram.shows(ADA["id"], expected) == expected
    await bot.stop()
    edits = [c for c in fake_telegram.called("editMessageText") if c.text == expected[0]]
    # Tried as HTML, refused ("1 < 2" opens no tag), then sent as plain text.
    assert [edit.params.get("parse_mode") for edit in edits] == ["HTML", None]


async def test_python_m_bot_with_a_token_serves_telegram_until_stopped(
    db_url: str, tmp_path: Path, fake_telegram: FakeTelegram
) -> None:
    process = await spawn(
        tmp_path,
        DATABASE_URL=db_url,
        TELEGRAM_BOT_TOKEN=fake_telegram.token,
        TELEGRAM_API_BASE=fake_telegram.api_base,
    )
    await fake_telegram.queue(Updates().text(ADA, "Are you there?"))
    expected = ["You said: Are you there?"]

    shown = await fake_telegram.shows(ADA["id"], expected, limit_s=60)
    process.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(process.communicate(), timeout=60)

    assert shown == expected
    assert process.returncode == 0
    assert fake_telegram.token not in err.decode()
    await init_db(db_url)
    try:
        response = await Response.get().prefetch_related("request")
    finally:
        await close_db()
    assert (response.request.prompt, response.status) == ("Are you there?", ResponseStatus.OK)


async def test_final_edit_refused_by_flood_control_is_sent_after_the_wait(
    start_bot: StartBot, fake_telegram: FakeTelegram
) -> None:
    # No live edit within a minute: the one edit is the final one, and it gets a 429.
    bot = await start_bot(edit_interval_s=60)
    fake_telegram.flood = {"editMessageText": 1}
    await fake_telegram.queue(bot.updates.text(ADA, "Patience please"))
    expected = ["You said: Patience please"]

    assert await fake_telegram.shows(ADA["id"], expected) == expected
    await bot.stop()
    edits = fake_telegram.called("editMessageText")
    assert [edit.text for edit in edits] == ["You said: Patience please"] * 2
    assert (await Response.get()).status == ResponseStatus.OK


async def test_answer_still_running_at_shutdown_is_recorded_as_cancelled(
    db: TortoiseContext, fake_telegram: FakeTelegram, fake_openai: FakeOpenAI
) -> None:
    # Regression: the database closed under an answer outliving the drain, which then
    # failed with a traceback and left its request without a response.
    await seed_catalog()
    fake_openai.by_prompt = {"Think forever": "hold"}
    providers = Providers(remote_settings(fake_openai.url))
    dispatcher = build_dispatcher(providers, ReplyOptions(edit_interval_s=0))
    bot = build_bot(SecretStr(fake_telegram.token), fake_telegram.api_base)
    polling = asyncio.create_task(
        poll(dispatcher, bot, polling_timeout=1, handle_signals=False, drain_s=0.2)
    )
    await fake_telegram.queue(Updates().text(ADA, "Think forever"))
    for _ in range(200):  # the provider is asked within 10 s
        if fake_openai.requests:
            break
        await asyncio.sleep(0.05)

    await dispatcher.stop_polling()
    await polling
    fake_openai.release.set()
    await providers.aclose()

    response = await Response.get().prefetch_related("request")
    assert (response.request.prompt, response.status, response.error) == (
        "Think forever",
        ResponseStatus.CANCELLED,
        "cancelled",
    )
