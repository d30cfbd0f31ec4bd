"""Fixtures for tests that run the bot: hermetic settings and the loopback fakes.

Conftest files import them by name.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from pydantic import SecretStr

import config
from bot.console import CONSOLE_TOKEN, ConsoleSession, console_update
from bot.dispatcher import build_dispatcher
from bot.streaming import ReplyOptions
from services.llm import Providers
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.telegram import FakeTelegram

TEST_KEY = SecretStr("sk-test-0123456789abcdef")
DEFAULT_MODEL = "gpt-4o-mini"


@pytest.fixture(autouse=True)
def hermetic_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """No token, key or base URL from a developer's environment or ``.env`` reaches a test."""
    for name in ("telegram_bot_token", "telegram_api_base", "openai_api_key", "openai_base_url"):
        monkeypatch.setattr(config.settings, name, None)
    monkeypatch.setattr(config.settings, "openai_model", DEFAULT_MODEL)


@pytest.fixture
async def fake_openai() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as server:
        yield server


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


def remote_settings(url: str, *, timeout_s: float = 5.0, max_retries: int = 2) -> config.Settings:
    """Settings for an OpenAI-compatible server at ``url``, nothing read from outside."""
    return config.Settings(
        _env_file=None,  # type: ignore[call-arg]
        openai_base_url=url,
        openai_api_key=TEST_KEY,
        openai_model=DEFAULT_MODEL,
        llm_timeout_s=timeout_s,
        llm_max_retries=max_retries,
    )


class Chat:
    """A private chat with the bot through its dispatcher; what the bot shows is recorded."""

    def __init__(self, providers: Providers, *, live: bool = False) -> None:
        self.shown: list[str] = []
        self.bot = Bot(CONSOLE_TOKEN, session=ConsoleSession(self.shown.append))
        options = ReplyOptions(live=live, edit_interval_s=0)
        self.dispatcher = build_dispatcher(providers, options)
        self._update_ids = itertools.count(1)

    async def say(self, text: str, tg_id: int = 5_000_000_001, name: str = "Ada") -> list[str]:
        """Send ``text`` as user ``tg_id``; returns what the bot showed in answer."""
        before = len(self.shown)
        update = console_update(text, next(self._update_ids), name, user_id=tg_id)
        await self.dispatcher.feed_update(self.bot, update)
        return self.shown[before:]
