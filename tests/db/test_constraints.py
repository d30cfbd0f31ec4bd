"""What the database itself refuses or cascades, whatever the code above it does."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from tortoise.exceptions import IntegrityError

from models import LLMModel, Request, Response, User
from services.db import get_db


async def test_raw_insert_of_response_to_missing_request_is_refused(
    db: object, backend: str
) -> None:
    async with get_db() as conn:
        placeholder = "?" if backend == "sqlite" else "$1"
        with pytest.raises(IntegrityError):
            await conn.execute_query(
                "INSERT INTO responses (request_id, provider, content, status, created_at, "
                f"updated_at) VALUES ({placeholder}, 'p', '', 'ok', "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
                [424242],
            )
    assert await Response.all().count() == 0


async def test_deleting_a_user_removes_their_requests_and_responses(
    user: User, llm_model: LLMModel
) -> None:
    other = await User.create(tg_id=7, name="Bob")
    for owner in (user, user, other):
        request = await Request.create(user=owner, model=llm_model, prompt="hi")
        await Response.create(request=request, provider="openai", content="hello")

    await user.delete()

    assert await Request.all().count() == 1
    assert await Response.all().count() == 1
    assert await Request.filter(user_id=other.id).count() == 1


async def test_deleting_a_model_with_requests_is_refused(user: User, llm_model: LLMModel) -> None:
    await Request.create(user=user, model=llm_model, prompt="hi")

    with pytest.raises(IntegrityError):
        await llm_model.delete()
    assert await LLMModel.filter(id=llm_model.id).exists()


async def test_deleting_a_chosen_model_clears_the_choice(db: object) -> None:
    model = await LLMModel.create(provider="local", name="tiny")
    user = await User.create(tg_id=1, name="Ada", model=model)

    await model.delete()

    await user.refresh_from_db()
    assert user.model_id is None  # type: ignore[attr-defined]


async def test_telegram_id_above_2_pow_31_round_trips(db: object) -> None:
    big = 2**53 + 12345  # beyond 2^31 and beyond a double's exact integers
    await User.create(tg_id=big, name="Big")

    fetched = await User.get(tg_id=big)
    assert fetched.tg_id == big


async def test_timestamps_come_back_aware_utc(user: User) -> None:
    fetched = await User.get(id=user.id)

    assert fetched.created_at.tzinfo is not None
    assert fetched.created_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert abs((datetime.now(UTC) - fetched.created_at).total_seconds()) < 60


async def test_prices_come_back_as_exact_decimals(db: object) -> None:
    await LLMModel.create(
        provider="x", name="m", input_price=Decimal("0.000150"), output_price=Decimal("12.5")
    )

    fetched = await LLMModel.get(provider="x", name="m")
    assert fetched.input_price == Decimal("0.00015")
    assert isinstance(fetched.input_price, Decimal)
    assert fetched.output_price == Decimal("12.5")


async def test_model_names_are_unique_per_provider_and_case_sensitive(db: object) -> None:
    await LLMModel.create(provider="openai", name="gpt-4o")
    await LLMModel.create(provider="openai", name="GPT-4o")
    await LLMModel.create(provider="azure", name="gpt-4o")

    with pytest.raises(IntegrityError):
        await LLMModel.create(provider="openai", name="gpt-4o")
    assert await LLMModel.all().count() == 3


async def test_same_telegram_message_cannot_be_stored_twice(
    user: User, llm_model: LLMModel
) -> None:
    await Request.create(user=user, model=llm_model, prompt="a", chat_id=5, message_id=9)

    with pytest.raises(IntegrityError):
        await Request.create(user=user, model=llm_model, prompt="a", chat_id=5, message_id=9)
    # Requests without Telegram ids (the console, tests) never clash.
    await Request.create(user=user, model=llm_model, prompt="b")
    await Request.create(user=user, model=llm_model, prompt="c")
    assert await Request.all().count() == 3
