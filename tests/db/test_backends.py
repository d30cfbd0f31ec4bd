"""Where SQLite and PostgreSQL could differ, and the proof that they do not."""

from __future__ import annotations

import pytest
from tortoise.contrib.test import tortoise_test_context

import config
from models import LLMModel, Request, User
from services.db import close_db, get_db, init_db
from services.logging import log_request
from tests.conftest import drop_database, new_database_url


@pytest.mark.parametrize("backend", ["postgres"])
async def test_postgres_columns_have_exact_types(db_url: str, backend: str) -> None:
    await init_db()
    try:
        async with get_db() as conn:
            rows = await conn.execute_query_dict(
                "SELECT table_name, column_name, data_type, numeric_precision, numeric_scale "
                "FROM information_schema.columns WHERE table_schema = 'public'"
            )
    finally:
        await close_db()
    types = {(r["table_name"], r["column_name"]): r for r in rows}

    assert types["users", "tg_id"]["data_type"] == "bigint"
    assert types["requests", "chat_id"]["data_type"] == "bigint"
    assert types["requests", "id"]["data_type"] == "bigint"
    assert types["users", "created_at"]["data_type"] == "timestamp with time zone"
    cost = types["responses", "cost"]
    assert (cost["data_type"], cost["numeric_precision"], cost["numeric_scale"]) == (
        "numeric",
        24,
        12,
    )
    price = types["models", "input_price"]
    assert (price["data_type"], price["numeric_precision"], price["numeric_scale"]) == (
        "numeric",
        18,
        6,
    )


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_sqlite_then_postgres_in_one_process_both_insert(
    backend: str, tmp_path: object, postgres_unreachable: str | None, fresh_url: str
) -> None:
    # Regression: Tortoise caches each model's INSERT per connection name, so SQLite's "?"
    # placeholders once reached PostgreSQL when both were opened under one name.
    urls = [fresh_url, new_database_url("postgres", tmp_path, postgres_unreachable)]
    try:
        for url in urls:
            async with tortoise_test_context(
                config.MODEL_MODULES, db_url=url, connection_label=config.backend(url)
            ):
                user = await User.create(tg_id=1, name="Ada")
                model = await LLMModel.create(provider="p", name="m")
                await log_request(user.id, "hi", model)
                assert await Request.all().count() == 1
    finally:
        await drop_database(urls[1].rsplit("/", 1)[1])
