"""The bot against an OpenAI-compatible server: what the user sees, what the ledger keeps."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from tortoise.context import TortoiseContext

from models import Request, Response, ResponseStatus
from services.catalog import seed_catalog
from services.llm import Providers
from services.llm.openai import MESSAGES
from tests.fakes.fixtures import TEST_KEY, Chat, remote_settings
from tests.fakes.openai_server import FakeOpenAI

QUESTION = "What is two plus two?"


@pytest.fixture
async def providers(db: TortoiseContext, fake_openai: FakeOpenAI) -> AsyncIterator[Providers]:
    await seed_catalog()
    providers = Providers(remote_settings(fake_openai.url, timeout_s=5, max_retries=2))
    yield providers
    await providers.aclose()


async def only_response() -> Response:
    responses = await Response.all().prefetch_related("request")
    assert len(responses) == 1
    return responses[0]


async def test_normal_answer_is_shown_and_priced(providers: Providers) -> None:
    shown = await Chat(providers).say(QUESTION)

    assert shown == [f"Answer: {QUESTION}"]
    response = await only_response()
    assert response.request.prompt == QUESTION
    assert (response.provider, response.status, response.content) == (
        "openai",
        ResponseStatus.OK,
        f"Answer: {QUESTION}",
    )
    # 5 words in at 0.15 per million, 6 words out at 0.60 per million.
    assert (response.tokens_in, response.tokens_out) == (5, 6)
    assert response.cost == Decimal("0.00000435")
    assert response.latency_ms is not None
    assert response.ttft_ms is None


async def test_streamed_answer_keeps_usage_and_time_to_first_token(
    providers: Providers, fake_openai: FakeOpenAI
) -> None:
    shown = await Chat(providers, live=True).say(QUESTION)

    assert shown[0] == "Answer:"
    assert shown[-1] == f"Answer: {QUESTION}"
    assert fake_openai.requests[0]["body"]["stream_options"] == {"include_usage": True}
    response = await only_response()
    assert (response.status, response.tokens_in, response.tokens_out) == (ResponseStatus.OK, 5, 6)
    assert response.cost == Decimal("0.00000435")
    assert response.ttft_ms is not None
    assert response.latency_ms is not None
    assert response.ttft_ms <= response.latency_ms


async def test_rate_limit_is_retried_and_then_answered(
    providers: Providers, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script = ["rate_limited"]

    shown = await Chat(providers).say(QUESTION)

    assert shown == [f"Answer: {QUESTION}"]
    assert len(fake_openai.requests) == 2
    assert (await only_response()).status == ResponseStatus.OK


async def test_server_failing_every_time_is_reported_and_recorded(
    providers: Providers, fake_openai: FakeOpenAI
) -> None:
    fake_openai.default = "server_error"

    shown = await Chat(providers).say(QUESTION)

    assert shown == ["The model's server failed to answer. Try again in a minute."]
    # The first try and two retries.
    assert len(fake_openai.requests) == 3
    response = await only_response()
    assert (response.status, response.error, response.content) == (
        ResponseStatus.ERROR,
        "unavailable",
        "",
    )
    assert (response.tokens_in, response.tokens_out, response.cost) == (None, None, None)


async def test_stream_cut_midway_keeps_the_partial_answer(
    providers: Providers, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script = ["cut"]

    shown = await Chat(providers, live=True).say(QUESTION)

    assert shown == ["Answer:", "Answer: What", MESSAGES["interrupted"]]
    response = await only_response()
    assert (response.status, response.error, response.content) == (
        ResponseStatus.ERROR,
        "interrupted",
        "Answer: What",
    )
    assert response.ttft_ms is not None


async def test_timeout_is_reported_and_recorded(
    db: TortoiseContext, fake_openai: FakeOpenAI
) -> None:
    await seed_catalog()
    fake_openai.default = "stall"
    providers = Providers(remote_settings(fake_openai.url, timeout_s=0.2, max_retries=0))

    shown = await Chat(providers).say(QUESTION)
    await providers.aclose()

    assert shown == ["The model took too long to answer. Try again, or ask something shorter."]
    response = await only_response()
    assert (response.status, response.error) == (ResponseStatus.ERROR, "timeout")
    assert await Request.all().count() == 1


async def test_refused_key_stays_out_of_replies_logs_and_ledger(
    providers: Providers, fake_openai: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    fake_openai.default = "unauthorized"
    caplog.set_level(logging.DEBUG)

    shown = await Chat(providers).say(QUESTION)

    assert shown == ["The bot's key for the model was refused. Please tell the bot's operator."]
    assert fake_openai.requests[0]["authorization"] == f"Bearer {TEST_KEY.get_secret_value()}"
    response = await only_response()
    assert response.error == "auth"
    secret = TEST_KEY.get_secret_value()
    assert secret not in caplog.text
    assert secret not in response.content
