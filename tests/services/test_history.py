from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from models import LLMModel, Request, Response, ResponseStatus, User
from services.errors import InvalidValue
from services.history import Exchange, recent_exchanges

NOON = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


async def ask(user: User, model: LLMModel, prompt: str, created_at: datetime) -> Request:
    return await Request.create(user=user, model=model, prompt=prompt, created_at=created_at)


async def test_exchange_carries_the_request_and_its_response(
    user: User, llm_model: LLMModel
) -> None:
    request = await ask(user, llm_model, "2+2?", NOON)
    await Response.create(
        request=request,
        provider="p",
        content="4",
        tokens_in=3,
        tokens_out=1,
        cost=Decimal("1.5E-7"),
    )

    exchanges = await recent_exchanges(user.id)

    assert exchanges == [
        Exchange(request.id, "2+2?", NOON, "4", ResponseStatus.OK, 3, 1, Decimal("1.5E-7"))
    ]
    assert exchanges[0].created_at.utcoffset() == timedelta(0)
    # Twelve places on every backend, whatever form the cost was written in.
    assert str(exchanges[0].cost) == "1.50000E-7"


async def test_unanswered_request_has_no_response_fields(user: User, llm_model: LLMModel) -> None:
    request = await ask(user, llm_model, "hello?", NOON)

    exchanges = await recent_exchanges(user.id)

    assert exchanges == [Exchange(request.id, "hello?", NOON, None, None, None, None, None)]


async def test_newest_come_first_and_equal_times_newest_id_first(
    user: User, llm_model: LLMModel
) -> None:
    older = await ask(user, llm_model, "older", NOON - timedelta(microseconds=1))
    same = [await ask(user, llm_model, f"same {i}", NOON) for i in range(4)]
    newer = await ask(user, llm_model, "newer", NOON + timedelta(seconds=1))

    exchanges = await recent_exchanges(user.id)

    assert [e.request_id for e in exchanges] == [
        newer.id,
        *[r.id for r in reversed(same)],
        older.id,
    ]


async def test_only_the_last_few_of_this_user_come_back(user: User, llm_model: LLMModel) -> None:
    other = await User.create(tg_id=8, name="Bob")
    await ask(other, llm_model, "not yours", NOON + timedelta(hours=1))
    for minute in range(30):
        await ask(user, llm_model, f"m{minute}", NOON + timedelta(minutes=minute))

    exchanges = await recent_exchanges(user.id, limit=3)

    assert [e.prompt for e in exchanges] == ["m29", "m28", "m27"]


async def test_default_is_the_last_twenty(user: User, llm_model: LLMModel) -> None:
    for minute in range(25):
        await ask(user, llm_model, f"m{minute}", NOON + timedelta(minutes=minute))

    exchanges = await recent_exchanges(user.id)

    assert [e.prompt for e in exchanges] == [f"m{minute}" for minute in range(24, 4, -1)]


async def test_user_without_requests_has_no_history(user: User) -> None:
    assert await recent_exchanges(user.id) == []


@pytest.mark.parametrize("limit", [0, -1, 1001, True])
async def test_limit_out_of_range_is_rejected(db: object, limit: int) -> None:
    with pytest.raises(InvalidValue, match=f"invalid limit: {limit!r} is not between 1 and 1000"):
        await recent_exchanges(1, limit=limit)
