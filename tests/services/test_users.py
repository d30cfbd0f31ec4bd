import asyncio
import logging
from collections.abc import Iterator

import pytest

from models import Request, User
from services.errors import InvalidValue
from services.users import forget_user, get_or_create_user


async def test_new_user_is_created_with_telegram_fields(db: object) -> None:
    user = await get_or_create_user(2**40, "Ada Lovelace", "ada", "en")

    stored = await User.get(tg_id=2**40)
    assert (stored.id, stored.name, stored.username, stored.language_code) == (
        user.id,
        "Ada Lovelace",
        "ada",
        "en",
    )


async def test_known_user_gets_changed_name_and_username_refreshed(db: object) -> None:
    first = await get_or_create_user(42, "Ada", "ada")
    second = await get_or_create_user(42, "Ada L.", "ada_l", "fr")

    stored = await User.get(tg_id=42)
    assert second.id == first.id
    assert (stored.name, stored.username, stored.language_code) == ("Ada L.", "ada_l", "fr")
    assert await User.all().count() == 1


async def test_fifty_concurrent_updates_of_a_new_user_leave_one_row(db: object) -> None:
    users = await asyncio.gather(*(get_or_create_user(777, "Album") for _ in range(50)))

    assert {u.id for u in users} == {users[0].id}
    assert await User.filter(tg_id=777).count() == 1


async def test_telegram_id_outside_64_bits_is_rejected(db: object) -> None:
    with pytest.raises(InvalidValue, match="invalid tg_id: a Telegram id fits in 64 bits"):
        await get_or_create_user(2**63, "Too big")
    assert await User.all().count() == 0


async def test_overlong_username_is_rejected_and_nothing_written(db: object) -> None:
    with pytest.raises(InvalidValue, match="invalid username: longer than 64 characters"):
        await get_or_create_user(1, "Ada", "a" * 65)
    assert await User.all().count() == 0


async def test_name_with_lone_surrogate_is_stored_repaired(db: object) -> None:
    await get_or_create_user(3, "bad\ud800name")

    assert (await User.get(tg_id=3)).name == "bad\N{REPLACEMENT CHARACTER}name"


async def test_forget_user_removes_them_and_their_history(user: User, llm_model: object) -> None:
    await Request.create(user=user, model=llm_model, prompt="hi")

    assert await forget_user(user.tg_id) is True
    assert await forget_user(user.tg_id) is False
    assert await User.all().count() == 0
    assert await Request.all().count() == 0


class QueryCounter(logging.Handler):
    """Counts the statements Tortoise sends: its client logs each one at DEBUG."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.args and isinstance(record.args, tuple) and isinstance(record.args[0], str):
            self.statements.append(record.args[0])


@pytest.fixture
def queries() -> Iterator[QueryCounter]:
    counter = QueryCounter()
    client_log = logging.getLogger("tortoise.db_client")
    level = client_log.level
    client_log.setLevel(logging.DEBUG)
    client_log.addHandler(counter)
    yield counter
    client_log.removeHandler(counter)
    client_log.setLevel(level)


async def test_known_unchanged_user_costs_one_round_trip(
    db: object, queries: QueryCounter
) -> None:
    await get_or_create_user(42, "Ada", "ada", "en")
    queries.statements.clear()

    await get_or_create_user(42, "Ada", "ada", "en")

    assert len(queries.statements) == 1
    assert queries.statements[0].startswith("SELECT ")


async def test_new_user_costs_a_lookup_and_an_insert(db: object, queries: QueryCounter) -> None:
    await get_or_create_user(43, "Bob")

    assert [s.split(" ", 1)[0] for s in queries.statements] == ["SELECT", "INSERT"]
