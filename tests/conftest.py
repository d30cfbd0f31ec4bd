"""One suite, every backend: the ``db`` fixture runs each test on SQLite and PostgreSQL.

SQLite tests get a fresh file under pytest's temporary directory. PostgreSQL tests get a
database of their own, created for the test and dropped after it, on the server named by
``TEST_POSTGRES_URL`` (default: the local server every machine of the project runs). Where
no server answers, the PostgreSQL half skips with the reason; with ``REQUIRE_POSTGRES=1``
(set by CI) it fails instead.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from urllib.parse import urlsplit

import asyncpg
import pytest
from tortoise.context import TortoiseContext
from tortoise.contrib.test import tortoise_test_context

import config
from models import LLMModel, User

TEST_POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", "postgres"]
# Every database this run creates starts with this prefix, so the run can sweep its own.
RUN_PREFIX = f"ledger_test_{os.getpid()}_"


def postgres_url(database: str) -> str:
    return urlsplit(TEST_POSTGRES_URL)._replace(path=f"/{database}").geturl()


def _asyncpg_dsn(url: str) -> str:
    return urlsplit(url)._replace(scheme="postgresql").geturl()


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(_asyncpg_dsn(TEST_POSTGRES_URL), timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def drop_database(name: str) -> None:
    await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_unreachable() -> Iterator[str | None]:
    """None when the PostgreSQL server answers, else why not."""
    try:
        asyncio.run(_admin("SELECT 1"))
        reason = None
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        reason = f"no PostgreSQL at {TEST_POSTGRES_URL}: {exc.__class__.__name__}: {exc}"
    yield reason

    if reason is None:
        asyncio.run(_sweep())


async def _sweep() -> None:
    conn = await asyncpg.connect(_asyncpg_dsn(TEST_POSTGRES_URL), timeout=5)
    try:
        rows = await conn.fetch(
            "SELECT datname FROM pg_database WHERE datname LIKE $1", f"{RUN_PREFIX}%"
        )
        for row in rows:
            await conn.execute(f'DROP DATABASE IF EXISTS "{row["datname"]}" WITH (FORCE)')
    finally:
        await conn.close()


def new_database_url(backend: str, tmp_path: os.PathLike[str], unreachable: str | None) -> str:
    """A URL no other test uses: a new SQLite file, or a new PostgreSQL database name."""
    if backend == "sqlite":
        return f"sqlite://{tmp_path}/ledger-{uuid.uuid4().hex[:8]}.sqlite3"
    if unreachable:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"REQUIRE_POSTGRES=1 but {unreachable}")
        pytest.skip(unreachable)
    return postgres_url(f"{RUN_PREFIX}{uuid.uuid4().hex[:12]}")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def fresh_url(
    backend: str,
    tmp_path: os.PathLike[str],
    postgres_unreachable: str | None,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[str]:
    """The URL of a database that does not exist yet, set as ``config``'s URL."""
    url = new_database_url(backend, tmp_path, postgres_unreachable)
    monkeypatch.setattr(config.settings, "database_url", url)
    yield config.db_url()

    if backend == "postgres":
        await drop_database(urlsplit(url).path.lstrip("/"))


@pytest.fixture
async def db_url(fresh_url: str, backend: str) -> str:
    """The URL of an empty database that exists, as an operator would have created it."""
    if backend == "postgres":
        await _admin(f'CREATE DATABASE "{urlsplit(fresh_url).path.lstrip("/")}"')
    return fresh_url


@pytest.fixture
async def db(fresh_url: str) -> AsyncIterator[TortoiseContext]:
    """Tortoise opened on a new database with the schema generated."""
    async with tortoise_test_context(
        config.MODEL_MODULES, db_url=fresh_url, connection_label=config.backend(fresh_url)
    ) as ctx:
        yield ctx


@pytest.fixture
async def user(db: TortoiseContext) -> User:
    return await User.create(tg_id=5_000_000_001, name="Ada")


@pytest.fixture
async def llm_model(db: TortoiseContext) -> LLMModel:
    return await LLMModel.create(
        provider="openai",
        name="gpt-4o-mini",
        input_price=Decimal("0.15"),
        output_price=Decimal("0.6"),
        context_window=128_000,
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line per backend: how many database tests ran on it and how they ended."""
    counts: dict[str, dict[str, int]] = {name: {} for name in BACKENDS}
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            # A test passes or fails in its call; it is skipped or errors in any phase.
            if outcome in ("passed", "failed") and report.when != "call":
                continue
            params = report.nodeid.partition("[")[2]
            for backend in BACKENDS:
                if backend in params.rstrip("]").split("-"):
                    counts[backend][outcome] = counts[backend].get(outcome, 0) + 1
    if any(counts.values()):
        terminalreporter.write_sep("-", "database tests per backend")
        for backend, seen in counts.items():
            summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(seen.items()))
            terminalreporter.write_line(f"{backend}: {summary or 'none'}")
