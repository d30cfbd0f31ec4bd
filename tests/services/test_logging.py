import asyncio
from decimal import Decimal

import pytest

from config import settings
from models import LLMModel, Request, Response, ResponseStatus, User
from services.errors import EmptyPrompt, InvalidValue, NotFound, PromptTooLong
from services.logging import cost_of, log_request, log_response

TELEGRAM_TEXTS = [
    "Hello 👋 can you explain 🧬?",
    "مرحبا، كيف حالك؟ ושלום",
    "Cafe\u0301 na\u0308ive",
    "x" * 4096,
]


async def test_request_and_response_are_linked(user: User, llm_model: LLMModel) -> None:
    request_id = await log_request(user.id, "What is 2+2?", llm_model, chat_id=10, message_id=1)
    response = await log_response(
        request_id, "4", tokens_in=12, tokens_out=1, latency_ms=350, ttft_ms=120
    )

    stored = await Response.get(id=response.id).prefetch_related("request")
    assert stored.request.id == request_id
    assert stored.request.prompt == "What is 2+2?"
    assert (stored.provider, stored.content, stored.status) == ("openai", "4", ResponseStatus.OK)
    assert (stored.tokens_in, stored.tokens_out, stored.latency_ms, stored.ttft_ms) == (
        12,
        1,
        350,
        120,
    )


async def test_cost_is_exact_from_catalogue_prices(user: User, llm_model: LLMModel) -> None:
    request_id = await log_request(user.id, "hi", llm_model.id)
    await log_response(request_id, "hello", tokens_in=1_234_567, tokens_out=7)

    stored = await Response.get(request_id=request_id)
    # 1,234,567 x 0.15 / 1e6 + 7 x 0.6 / 1e6 = 0.18518505 + 0.0000042
    assert stored.cost == Decimal("0.18518925")


async def test_cost_is_empty_not_zero_when_price_unknown(user: User, db: object) -> None:
    unpriced = await LLMModel.create(provider="local", name="llama")
    request_id = await log_request(user.id, "hi", unpriced)
    await log_response(request_id, "hello", tokens_in=10, tokens_out=5)

    assert (await Response.get(request_id=request_id)).cost is None


async def test_cost_is_empty_when_tokens_unknown(user: User, llm_model: LLMModel) -> None:
    request_id = await log_request(user.id, "hi", llm_model)
    await log_response(request_id, "hello")

    assert (await Response.get(request_id=request_id)).cost is None


def test_cost_of_zero_tokens_needs_no_price() -> None:
    assert cost_of(1_000_000, 0, Decimal("2.5"), None) == Decimal("2.5")
    assert cost_of(0, 0, None, None) == Decimal(0)


async def test_response_to_missing_request_is_rejected(db: object) -> None:
    with pytest.raises(NotFound, match="no request with id 999"):
        await log_response(999, "orphan")
    assert await Response.all().count() == 0


@pytest.mark.parametrize("bad_id", [0, -1, 2**63, "7"])
async def test_response_to_impossible_request_id_is_not_found(db: object, bad_id: object) -> None:
    with pytest.raises(NotFound, match="no request with id"):
        await log_response(bad_id, "orphan")  # type: ignore[arg-type]


async def test_request_of_unknown_user_is_rejected(llm_model: LLMModel) -> None:
    with pytest.raises(NotFound, match="no user with id 4040"):
        await log_request(4040, "hi", llm_model)
    assert await Request.all().count() == 0


async def test_request_for_unknown_model_is_rejected(user: User) -> None:
    with pytest.raises(NotFound, match="no model with id 31337"):
        await log_request(user.id, "hi", 31337)
    assert await Request.all().count() == 0


@pytest.mark.parametrize("prompt", ["", "   ", "\n\t "])
async def test_empty_prompt_is_rejected_and_nothing_written(
    user: User, llm_model: LLMModel, prompt: str
) -> None:
    with pytest.raises(EmptyPrompt, match="the prompt is empty"):
        await log_request(user.id, prompt, llm_model)
    assert await Request.all().count() == 0


async def test_prompt_over_the_limit_is_rejected_naming_it(
    user: User, llm_model: LLMModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "max_prompt_chars", 100)

    with pytest.raises(PromptTooLong, match="has 101 characters; the limit is 100"):
        await log_request(user.id, "y" * 101, llm_model)
    assert await Request.all().count() == 0


async def test_telegram_texts_round_trip_unchanged(user: User, llm_model: LLMModel) -> None:
    for i, text in enumerate(TELEGRAM_TEXTS):
        request_id = await log_request(user.id, text, llm_model, chat_id=1, message_id=i)
        await log_response(request_id, text[::-1])

        assert (await Request.get(id=request_id)).prompt == text
        assert (await Response.get(request_id=request_id)).content == text[::-1]


async def test_lone_surrogate_and_nul_are_repaired_alike_on_every_backend(
    user: User, llm_model: LLMModel
) -> None:
    request_id = await log_request(user.id, "a\ud800b\x00c", llm_model)
    await log_response(request_id, "\x00\udc00")

    assert (await Request.get(id=request_id)).prompt == "a\ufffdb\ufffdc"
    assert (await Response.get(request_id=request_id)).content == "\ufffd\ufffd"


async def test_redelivered_message_returns_the_first_request(
    user: User, llm_model: LLMModel
) -> None:
    first = await log_request(user.id, "hi", llm_model, chat_id=-100123, message_id=77)
    again = await log_request(user.id, "hi", llm_model, chat_id=-100123, message_id=77)

    assert again == first
    assert await Request.all().count() == 1


async def test_unknown_status_is_rejected(user: User, llm_model: LLMModel) -> None:
    request_id = await log_request(user.id, "hi", llm_model)

    with pytest.raises(InvalidValue, match="invalid status: 'done' is not one of ok, error"):
        await log_response(request_id, "x", status="done")
    assert await Response.all().count() == 0


async def test_error_response_keeps_its_kind(user: User, llm_model: LLMModel) -> None:
    request_id = await log_request(user.id, "hi", llm_model)
    await log_response(request_id, "", status="error", error="timeout", latency_ms=60000)

    stored = await Response.get(request_id=request_id)
    assert (stored.status, stored.error, stored.content) == (ResponseStatus.ERROR, "timeout", "")


async def test_negative_token_count_is_rejected(user: User, llm_model: LLMModel) -> None:
    request_id = await log_request(user.id, "hi", llm_model)

    with pytest.raises(InvalidValue, match="invalid tokens_out: -3 is not a count"):
        await log_response(request_id, "x", tokens_out=-3)


async def test_concurrent_redeliveries_of_one_message_store_it_once(
    user: User, llm_model: LLMModel
) -> None:
    ids = await asyncio.gather(
        *(log_request(user.id, "hi", llm_model, chat_id=5, message_id=6) for _ in range(20))
    )

    assert set(ids) == {ids[0]}
    assert await Request.all().count() == 1
