"""Each router through the real dispatcher, offline (echo), on both backends."""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from aiogram.types import Update
from tortoise.context import TortoiseContext

import config
from bot.handlers.help import HELP
from bot.handlers.unsupported import CANNOT_READ
from bot.replies import MESSAGE_LIMIT, utf16_len
from models import LLMModel, Request, Response, User
from services.catalog import seed_catalog
from services.llm import Providers
from tests.fakes.fixtures import Chat

ADA_ID = 5_000_000_001


@pytest.fixture
async def chat(db: TortoiseContext) -> AsyncIterator[Chat]:
    await seed_catalog()
    providers = Providers(config.settings)
    yield Chat(providers)
    await providers.aclose()


async def test_start_greets_and_registers_the_user(chat: Chat) -> None:
    shown = await chat.say("/start", name="Ada")

    assert shown == [
        "Hello, Ada! Ask me anything: I pass your question to an AI model and keep a record "
        "of each exchange.\nYour model is echo/echo. /model changes it, /help lists what I "
        "understand."
    ]
    user = await User.get(tg_id=ADA_ID)
    assert user.name == "Ada"
    assert await Request.all().count() == 0


async def test_help_lists_what_the_bot_understands(chat: Chat) -> None:
    assert await chat.say("/help") == [HELP]


async def test_unknown_command_points_to_help(chat: Chat) -> None:
    assert await chat.say("/frobnicate") == [
        "I don't know that command. /help lists the ones I understand."
    ]
    assert await Request.all().count() == 0


async def test_model_lists_what_can_be_chosen_offline(chat: Chat) -> None:
    assert await chat.say("/model") == [
        "Your model is echo/echo. Choose another, or send /model NAME:\n• echo: free"
    ]


async def test_model_named_in_the_command_is_chosen(chat: Chat) -> None:
    assert await chat.say("/model echo") == ["Your model is now echo/echo."]
    user = await User.get(tg_id=ADA_ID).prefetch_related("model")
    assert str(user.model) == "echo/echo"


async def test_model_that_cannot_answer_offline_is_refused(chat: Chat) -> None:
    assert await chat.say("/model gpt-4o") == [
        "Invalid model: 'gpt-4o' is not one you can choose: /model lists them"
    ]


async def test_prompt_over_the_limit_is_refused_naming_the_limit(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(config.settings, "max_prompt_chars", 20)

    shown = await chat.say("Tell me everything about everything")

    assert shown == ["The prompt has 35 characters; the limit is 20: send a shorter one"]
    assert await Request.all().count() == 0
    assert await Response.all().count() == 0


async def test_blank_prompt_is_refused(chat: Chat) -> None:
    assert await chat.say("   ") == ["The prompt is empty: send some text"]
    assert await Request.all().count() == 0


async def test_sticker_is_not_sent_to_any_model(chat: Chat) -> None:
    update_ids = itertools.count(900)
    sticker = {
        "file_id": "CAACAgIAAxkBAAEBsticker",
        "file_unique_id": "AgADsticker",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "emoji": "👍",
    }
    update = Update.model_validate(
        {
            "update_id": next(update_ids),
            "message": {
                "message_id": 42,
                "date": int(time.time()),
                "chat": {"id": ADA_ID, "type": "private", "first_name": "Ada"},
                "from": {"id": ADA_ID, "is_bot": False, "first_name": "Ada"},
                "sticker": sticker,
            },
        }
    )

    await chat.dispatcher.feed_update(chat.bot, update)

    assert chat.shown == [CANNOT_READ]
    assert await Request.all().count() == 0
    assert await User.filter(tg_id=ADA_ID).exists()


async def test_model_with_a_name_too_long_for_a_reply_is_echoed_shortened(chat: Chat) -> None:
    assert await chat.say("/model " + "x" * 4050) == [
        f"Invalid model: '{'x' * 63}…' is not one you can choose: /model lists them"
    ]


async def test_model_list_of_long_names_and_prices_fits_one_message(chat: Chat) -> None:
    for n in range(40):
        await LLMModel.create(
            provider="echo",
            name=f"{n:02}" + "n" * 198,
            input_price=Decimal("999999999999.999999"),
            output_price=Decimal("999999999999.999999"),
        )

    [shown] = await chat.say("/model")

    lines = shown.split("\n")
    assert utf16_len(shown) <= MESSAGE_LIMIT
    assert len(lines) == 24
    assert lines[1] == (
        f"• 00{'n' * 97}…: $999999999999.999999 in, $999999999999.999999 out per million tokens"
    )
