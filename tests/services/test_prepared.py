from datetime import UTC, datetime

import pytest

from models import Request, User
from services.errors import LedgerError
from services.prepared import PreparedInsert, PreparedQuery


def by_user(user_id: int, limit: int) -> object:
    return Request.filter(user_id=user_id).order_by("-id").limit(limit).values_list("id")


async def test_prepared_query_sends_the_orm_own_sql_with_the_new_values(db: object) -> None:
    prepared = PreparedQuery(Request, by_user, arity=2)

    _, sql, params = prepared.bind(7, 20)

    assert sql == by_user(7, 20).sql()  # type: ignore[attr-defined]
    assert params == [7, 20]


async def test_prepared_query_finds_the_rows_of_each_call(user: User, llm_model: object) -> None:
    first = await Request.create(user=user, model=llm_model, prompt="a")
    second = await Request.create(user=user, model=llm_model, prompt="b")
    prepared = PreparedQuery(Request, by_user, arity=2)

    assert [row[0] for row in await prepared.rows(user.id, 1)] == [second.id]
    assert [row[0] for row in await prepared.rows(user.id, 5)] == [second.id, first.id]
    assert list(await prepared.rows(user.id + 1, 5)) == []


async def test_an_argument_the_statement_does_not_use_is_refused(db: object) -> None:
    prepared = PreparedQuery(Request, lambda user_id, unused: Request.filter(user_id=user_id), 2)

    with pytest.raises(LedgerError, match="each argument must appear once in the statement"):
        prepared.bind(1, 2)


async def test_prepared_insert_returns_the_new_id(db: object) -> None:
    ids = [await PreparedInsert(User).insert(row) for row in (_user(1), _user(2))]

    assert ids == [u.id for u in await User.all().order_by("id")]
    assert len(set(ids)) == 2


def _user(tg_id: int) -> dict[str, object]:
    now = datetime.now(UTC)
    return {
        "tg_id": tg_id,
        "name": "x",
        "username": None,
        "language_code": None,
        "model_id": None,
        "created_at": now,
        "updated_at": now,
    }
