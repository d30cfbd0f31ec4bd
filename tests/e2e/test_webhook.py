"""Webhook mode: updates posted by Telegram, several replicas sharing one database."""

from __future__ import annotations

import asyncio
import itertools
import signal
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from pydantic import SecretStr
from tortoise.context import TortoiseContext

from bot.dispatcher import build_dispatcher
from bot.streaming import ReplyOptions
from bot.telegram import build_bot
from bot.webhook import build_app, check_secret
from config import settings
from models import Request, Response, ResponseStatus, User
from services.catalog import seed_catalog
from services.db import close_db, init_db
from services.llm import Providers
from tests.e2e.test_console import spawn
from tests.fakes.telegram import FakeTelegram, Updates

SECRET = "loopback-webhook-secret_1"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ADA = Updates.person(5_000_000_001, "Ada", "ada")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def post(url: str, update: dict[str, Any], secret: str | None = SECRET) -> int:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json=update, headers=headers) as answer,
    ):
        return answer.status


async def shown_texts(fake: FakeTelegram, expected: set[str], limit_s: float) -> set[str]:
    """The final texts of the bot's messages, once ``expected`` are all there or time is up."""
    deadline = time.monotonic() + limit_s
    while True:
        texts = {text for _, text in fake.messages.values()}
        if expected <= texts or time.monotonic() > deadline:
            return texts
        await asyncio.sleep(0.1)


@pytest.fixture
async def webhook(db: TortoiseContext, fake_telegram: FakeTelegram) -> AsyncIterator[str]:
    """The webhook app of one process, serving on a loopback port; yields its URL."""
    await seed_catalog()
    providers = Providers(settings)
    dispatcher = build_dispatcher(providers, ReplyOptions(live=True, edit_interval_s=0))
    bot = build_bot(SecretStr(fake_telegram.token), fake_telegram.api_base)
    runner = web.AppRunner(build_app(dispatcher, bot, SecretStr(SECRET), "/telegram"))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}/telegram"
    await runner.cleanup()
    await bot.session.close()
    await providers.aclose()


async def test_update_with_the_secret_is_answered_and_recorded(
    webhook: str, fake_telegram: FakeTelegram
) -> None:
    status = await post(webhook, Updates().text(ADA, "Hello over the webhook"))

    texts = await shown_texts(fake_telegram, {"You said: Hello over the webhook"}, 20)
    assert status == 200
    assert texts == {"You said: Hello over the webhook"}
    response = await Response.get().prefetch_related("request")
    assert (response.request.prompt, response.status) == (
        "Hello over the webhook",
        ResponseStatus.OK,
    )


@pytest.mark.parametrize("secret", [None, "wrong-secret"])
async def test_update_without_the_right_secret_is_refused_and_not_recorded(
    webhook: str, fake_telegram: FakeTelegram, secret: str | None
) -> None:
    status = await post(webhook, Updates().text(ADA, "Let me in"), secret=secret)

    assert status == 401
    await asyncio.sleep(0.2)
    assert fake_telegram.sent() == []
    assert await User.all().count() == 0
    assert await Request.all().count() == 0


@pytest.mark.parametrize(
    ("secret", "problem"),
    [
        (None, "TELEGRAM_WEBHOOK_SECRET is not set: without it anyone could post updates"),
        ("has spaces", "TELEGRAM_WEBHOOK_SECRET must be 1 to 256 letters, digits, '_' or '-'"),
        ("x" * 257, "TELEGRAM_WEBHOOK_SECRET must be 1 to 256 letters, digits, '_' or '-'"),
        ("ok_Secret-9", None),
    ],
)
def test_webhook_secret_must_be_one_telegram_accepts(
    secret: str | None, problem: str | None
) -> None:
    assert check_secret(SecretStr(secret) if secret is not None else None) == problem


async def start_replica(db_url: str, cwd: Path, fake: FakeTelegram) -> tuple[Any, str]:
    port = free_port()
    process = await spawn(
        cwd,
        "webhook",
        "--port",
        str(port),
        DATABASE_URL=db_url,
        TELEGRAM_BOT_TOKEN=fake.token,
        TELEGRAM_API_BASE=fake.api_base,
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        TELEGRAM_EDIT_INTERVAL_S="0",
        LOG_LEVEL="WARNING",
    )
    return process, f"http://127.0.0.1:{port}"


async def wait_healthy(base: str, limit_s: float = 90) -> None:
    deadline = time.monotonic() + limit_s
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(f"{base}/healthz") as answer:
                    if answer.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError(f"no replica answered at {base}")


@pytest.mark.parametrize("backend", ["postgres"])
async def test_two_replicas_on_one_database_log_every_exchange_exactly_once(
    backend: str, db_url: str, tmp_path: Path, fake_telegram: FakeTelegram
) -> None:
    # Operators bring the database up to date before the replicas start, as the README says.
    await init_db(db_url)
    await seed_catalog()
    await close_db()
    replicas = [await start_replica(db_url, tmp_path, fake_telegram) for _ in range(2)]
    try:
        for _, base in replicas:
            await wait_healthy(base)
        people = [Updates.person(6_000_000_000 + n, f"User{n}") for n in range(10)]
        updates = Updates()
        burst = [
            updates.text(p, f"Question {i} from {p['first_name']}")
            for i in range(4)
            for p in people
        ]
        targets = itertools.cycle(f"{base}/telegram" for _, base in replicas)
        statuses = await asyncio.gather(*(post(next(targets), u) for u in burst))
        expected = {f"You said: {u['message']['text']}" for u in burst}
        first = await shown_texts(fake_telegram, expected, 60)

        # Telegram redelivers what it thinks was lost, to whichever replica: to the other one.
        redelivered = burst[:10]
        others = itertools.cycle(f"{base}/telegram" for _, base in reversed(replicas))
        again = await asyncio.gather(*(post(next(others), u) for u in redelivered))
        await asyncio.sleep(2)
    finally:
        for process, _ in replicas:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        outcomes = [await asyncio.wait_for(p.communicate(), 60) for p, _ in replicas]

    assert statuses == [200] * 40
    assert again == [200] * 10
    assert first >= expected
    # Every update was answered, the redelivered ones again, from the ledger.
    assert len(fake_telegram.called("sendMessage")) == 50
    assert [p.returncode for p, _ in replicas] == [0, 0], [err for _, err in outcomes]
    await init_db(db_url)
    try:
        requests = await Request.all().prefetch_related("responses", "user")
        users = await User.all().count()
    finally:
        await close_db()
    assert users == 10
    assert sorted(r.prompt for r in requests) == sorted(u["message"]["text"] for u in burst)
    assert all(len(r.responses) == 1 for r in requests)
    assert {r.responses[0].status for r in requests} == {ResponseStatus.OK}


@pytest.mark.parametrize("body", [b"not json", b"{}", b"[1, 2]", b'{"update_id": "x"}'])
async def test_body_that_is_no_update_is_refused_with_400_and_not_recorded(
    webhook: str, fake_telegram: FakeTelegram, body: bytes
) -> None:
    # Regression: aiogram answered 500 with a traceback, or 200 and failed later in a task.
    async with (
        aiohttp.ClientSession() as session,
        session.post(webhook, data=body, headers={SECRET_HEADER: SECRET}) as answer,
    ):
        status, text = answer.status, await answer.text()

    assert (status, text) == (400, "not a Telegram update")
    assert fake_telegram.sent() == []
    assert await Request.all().count() == 0
