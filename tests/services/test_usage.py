from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from models import LLMModel, Request, Response, User
from services.errors import InvalidValue
from services.usage import DayUsage, usage_per_day

TWELVE_PLACES = Decimal("0.000000000001")
# Costs whose binary floating point sum is not their decimal sum, in both notations
# str(Decimal) writes (and so both forms SQLite keeps as text).
AWKWARD_COSTS = [
    Decimal("0.1"),
    Decimal("0.2"),
    Decimal("0.000000000001"),
    Decimal("1.5E-7"),
    Decimal("7.50000E-7"),
    Decimal("0E-12"),
    Decimal("0.333333333333"),
    Decimal("9999.999999999999"),
    Decimal("12"),
]


def at(day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2025, 3, day, hour, minute, tzinfo=UTC)


async def exchange(
    user: User,
    model: LLMModel,
    created_at: datetime,
    cost: Decimal | None = None,
    tokens: tuple[int | None, int | None] = (None, None),
) -> Request:
    request = await Request.create(user=user, model=model, prompt="q", created_at=created_at)
    await Response.create(
        request=request, provider="p", tokens_in=tokens[0], tokens_out=tokens[1], cost=cost
    )
    return request


async def test_days_are_dates_and_sums_are_exact_decimals_on_every_backend(
    user: User, llm_model: LLMModel
) -> None:
    await exchange(user, llm_model, at(1, 9), Decimal("0.1"), (10, 20))
    await exchange(user, llm_model, at(1, 18), Decimal("0.2"), (1, 2))
    await exchange(user, llm_model, at(2), Decimal("0.000015"), (100, 0))

    rows = await usage_per_day()

    assert rows == [
        DayUsage(user.id, date(2025, 3, 1), 2, 11, 22, Decimal("0.3")),
        DayUsage(user.id, date(2025, 3, 2), 1, 100, 0, Decimal("0.000015")),
    ]
    assert [type(row.day) for row in rows] == [date, date]
    assert [str(row.cost) for row in rows] == ["0.300000000000", "0.000015000000"]


async def test_many_awkward_costs_sum_to_the_last_digit(user: User, llm_model: LLMModel) -> None:
    costs = AWKWARD_COSTS * 40
    for i, cost in enumerate(costs):
        await exchange(user, llm_model, at(5, minute=i % 60), cost, (i, 1))

    [row] = await usage_per_day()

    assert row.cost == sum(costs, Decimal(0))
    assert str(row.cost) == "400505.333369333320"
    assert (row.requests, row.tokens_in, row.tokens_out) == (360, sum(range(360)), 360)


async def test_days_are_utc_days_whatever_zone_a_time_was_written_in(
    user: User, llm_model: LLMModel
) -> None:
    plus_five = timezone(timedelta(hours=5))
    await exchange(user, llm_model, at(1, 23, 30))
    # 02:00 at UTC+5 on 2 March is 21:00 UTC on 1 March.
    await exchange(user, llm_model, datetime(2025, 3, 2, 2, 0, tzinfo=plus_five))
    await exchange(user, llm_model, at(2, 0, 30))

    rows = await usage_per_day()

    assert [(row.day, row.requests) for row in rows] == [
        (date(2025, 3, 1), 2),
        (date(2025, 3, 2), 1),
    ]


async def test_a_day_with_no_cost_known_has_none_not_zero(user: User, llm_model: LLMModel) -> None:
    await exchange(user, llm_model, at(3))
    await Request.create(user=user, model=llm_model, prompt="unanswered", created_at=at(3))

    rows = await usage_per_day()

    assert rows == [DayUsage(user.id, date(2025, 3, 3), 2, None, None, None)]


async def test_known_costs_are_summed_when_some_are_unknown(
    user: User, llm_model: LLMModel
) -> None:
    await exchange(user, llm_model, at(3), None, (5, None))
    await exchange(user, llm_model, at(3), Decimal("0.25"), (5, 7))

    rows = await usage_per_day()

    assert rows == [DayUsage(user.id, date(2025, 3, 3), 2, 10, 7, Decimal("0.25"))]


async def test_a_request_with_two_responses_counts_once(user: User, llm_model: LLMModel) -> None:
    request = await exchange(user, llm_model, at(4), Decimal("0.5"), (1, 1))
    await Response.create(request=request, provider="p", tokens_in=2, tokens_out=2, cost=1)

    rows = await usage_per_day()

    assert rows == [DayUsage(user.id, date(2025, 3, 4), 1, 3, 3, Decimal("1.5"))]


async def test_users_come_in_id_order_and_one_can_be_asked_for(
    user: User, llm_model: LLMModel
) -> None:
    other = await User.create(tg_id=8, name="Bob")
    await exchange(other, llm_model, at(1), Decimal(1), (1, 1))
    await exchange(user, llm_model, at(2), Decimal(2), (2, 2))

    everyone = await usage_per_day()
    only_bob = await usage_per_day(user_id=other.id)

    assert [(row.user_id, row.day) for row in everyone] == [
        (user.id, date(2025, 3, 2)),
        (other.id, date(2025, 3, 1)),
    ]
    assert only_bob == [DayUsage(other.id, date(2025, 3, 1), 1, 1, 1, Decimal(1))]


async def test_since_is_inclusive_and_until_exclusive_in_any_zone(
    user: User, llm_model: LLMModel
) -> None:
    for day in (1, 2, 3, 4):
        await exchange(user, llm_model, at(day, 0, 0), Decimal(day))
    minus_three = timezone(timedelta(hours=-3))

    # 21:00 on 1 March at UTC-3 is midnight of 2 March in UTC.
    rows = await usage_per_day(
        since=datetime(2025, 3, 1, 21, 0, tzinfo=minus_three), until=date(2025, 3, 4)
    )

    assert [(row.day, row.cost) for row in rows] == [
        (date(2025, 3, 2), Decimal(2)),
        (date(2025, 3, 3), Decimal(3)),
    ]


async def test_naive_datetime_is_rejected(db: object) -> None:
    with pytest.raises(InvalidValue, match="invalid since: a naive datetime has no day"):
        await usage_per_day(since=datetime(2025, 3, 1))


async def test_empty_ledger_has_no_usage(db: object) -> None:
    assert await usage_per_day() == []
