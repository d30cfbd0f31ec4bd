"""One backend's run: seed, time every workload on every side, check the answers."""

from __future__ import annotations

import gc
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.capture import statements_of
from bench.ledger import Ledger, sums_by_group
from bench.sides import Message, ProjectSide, capture_statements, plain
from bench.stats import Progress, Result
from bench.targets import Target
from models import LLMModel
from services.db import close_db
from services.users import get_or_create_user


@dataclass(frozen=True)
class Sizes:
    messages: int = 2_000
    writers: int = 50
    readers: int = 50
    read_passes: int = 4
    ledger_users: int = 500
    ledgers: tuple[int, ...] = (100_000, 1_000_000)
    registrations: int = 1_000


QUICK = Sizes(200, 10, 10, 2, 50, (2_000, 10_000), 100)


@dataclass
class BackendRun:
    backend: str
    version: str = ""
    results: list[Result] = field(default_factory=list)
    loads: list[dict[str, Any]] = field(default_factory=list)
    exactness: list[dict[str, Any]] = field(default_factory=list)
    known_user_statements: int = 0


async def run_backend(
    target: Target, sizes: Sizes, rounds: int, progress: Progress, profile: Path | None
) -> BackendRun:
    run = BackendRun(target.name, await target.version())
    try:
        sql = await _write_phase(target, run, sizes, rounds, progress, profile)
        await _ledger_phase(target, run, sizes, rounds, progress, profile, sql)
    finally:
        await close_db()
        await target.cleanup()
    return run


async def _write_phase(
    target: Target,
    run: BackendRun,
    sizes: Sizes,
    rounds: int,
    progress: Progress,
    profile: Path | None,
) -> Any:
    await target.open_project(await target.create("write"))
    model = await LLMModel.create(
        provider="openai", name="gpt-4o-mini", input_price=Decimal("0.15"), output_price="0.6"
    )
    writers = [
        (await get_or_create_user(10_000 + i, f"writer {i}")).id for i in range(sizes.writers)
    ]
    sql = await capture_statements(model.id, writers[0])
    sides = [ProjectSide(model.id), *await target.open_sides(sql, model.id)]

    messages = [
        Message(
            writers[i % len(writers)],
            f"message {i}: " + "x" * (i % 200),
            50 + i % 900,
            10 + i % 400,
            300 + i % 2000,
        )
        for i in range(sizes.messages)
    ]
    detail = f"{sizes.messages} messages, {sizes.writers} users"
    result = Result(target.name, "write", sizes.messages, detail)
    await _rounds(
        result,
        sides,
        rounds,
        progress,
        lambda s, r: s.write(messages[:100] if r < 0 else messages),
    )
    run.results.append(result)
    await _profile(profile, result, lambda: sides[0].write(messages[:500]))

    await _registration(target.name, run, sides, sizes, rounds, progress)
    run.known_user_statements = len(await statements_of(get_or_create_user(10_000, "writer 0")))
    await target.close_sides()
    await close_db()
    return sql


async def _registration(
    backend: str, run: BackendRun, sides: list[Any], sizes: Sizes, rounds: int, progress: Progress
) -> None:
    n = sizes.registrations
    detail = f"{n} users"
    new, known = (
        Result(backend, "registration new", n, detail),
        Result(backend, "registration known", n, detail),
    )
    batches: dict[tuple[str, int], list[int]] = {}

    def fresh(side: Any, r: int) -> Awaitable[Any]:
        index = [s.name for s in sides].index(side.name)
        ids = [10**12 + index * 10**9 + (r + 1) * 10**6 + i for i in range(n if r >= 0 else 50)]
        batches[(side.name, r)] = ids
        return side.register(ids)

    await _rounds(new, sides, rounds, progress, fresh)
    await _rounds(known, sides, rounds, progress, lambda s, r: s.register(batches[(s.name, r)]))
    run.results.extend([new, known])


async def _ledger_phase(
    target: Target,
    run: BackendRun,
    sizes: Sizes,
    rounds: int,
    progress: Progress,
    profile: Path | None,
    sql: Any,
) -> None:
    url = await target.create("ledger")
    await target.open_project(url)
    await close_db()
    ledger = Ledger(users=sizes.ledger_users, exchanges=0)

    for index, size in enumerate(sizes.ledgers):
        progress(f"[{target.name}] loading the ledger up to {size:,} exchanges")
        before = ledger.seconds
        await target.load(ledger, size - ledger.exchanges, ledger.exchanges + 1)
        run.loads.append(
            {"exchanges": size, "seconds": ledger.seconds - before, "method": ledger.method}
        )
        await target.open_project(url)
        sides = [ProjectSide(1), *await target.open_sides(sql, 1)]
        if index == 0:
            await _history(target.name, run, sides, sizes, rounds, progress, profile, size)
        await _report(target.name, run, sides, rounds, progress, profile, ledger)
        await target.close_sides()
        await close_db()


async def _history(
    backend: str,
    run: BackendRun,
    sides: list[Any],
    sizes: Sizes,
    rounds: int,
    progress: Progress,
    profile: Path | None,
    size: int,
) -> None:
    readers = list(range(1, sizes.readers + 1)) * sizes.read_passes
    detail = f"last 20 of {sizes.readers} users x {sizes.read_passes}, {size:,} exchanges"
    result = Result(backend, "history", len(readers), detail)
    answers = await _rounds(result, sides, rounds, progress, lambda s, _: s.history(readers))
    run.results.append(result)
    run.exactness.append({"workload": "history", "sides_disagreeing": _disagreeing(answers)})
    await _profile(profile, result, lambda: sides[0].history(readers))


async def _report(
    backend: str,
    run: BackendRun,
    sides: list[Any],
    rounds: int,
    progress: Progress,
    profile: Path | None,
    ledger: Ledger,
) -> None:
    label = _size_label(ledger.exchanges)
    detail = f"{ledger.exchanges:,} exchanges, {ledger.users} users"
    result = Result(backend, f"report {label}", 1, detail)
    answers = await _rounds(result, sides, rounds, progress, lambda s, _: s.report())
    run.results.append(result)

    expected = sums_by_group(ledger)
    got = {(row.user_id, row.day): row.cost for row in answers["project"]}
    inexact = sum(1 for key in expected.keys() | got.keys() if expected.get(key) != got.get(key))
    check = {
        "workload": result.workload,
        "groups": len(expected),
        "inexact_groups": inexact,
        "sides_disagreeing": _disagreeing(answers),
    }
    floor = next((side for side in sides if side.name == "sqlite3"), None)
    if floor is not None:
        check["plain_sum_inexact_groups"] = _plain_sum_misses(floor.conn, expected)
    run.exactness.append(check)
    await _profile(profile, result, sides[0].report)


def _plain_sum_misses(conn: Any, expected: dict[tuple[int, date], Decimal | None]) -> int:
    """Groups whose cost SQLite's own SUM gets wrong: it adds the texts as doubles."""
    rows = conn.execute(
        "SELECT q.user_id, date(q.created_at), SUM(s.cost) FROM responses s "
        "CROSS JOIN requests q ON q.id = s.request_id GROUP BY 1, 2"
    ).fetchall()
    return sum(
        1
        for user, day, total in rows
        if total is not None and Decimal(repr(total)) != expected[(user, date.fromisoformat(day))]
    )


def _disagreeing(answers: dict[str, Any]) -> list[str]:
    expected = plain(answers["project"])
    return [name for name, answer in answers.items() if plain(answer) != expected]


def _size_label(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    return f"{n // 1000}k" if n % 1000 == 0 else str(n)


async def _rounds(
    result: Result,
    sides: list[Any],
    rounds: int,
    progress: Progress,
    work: Callable[[Any, int], Awaitable[Any]],
) -> dict[str, Any]:
    """Time ``work`` on every side for each round, starting with a different side each
    round so none always runs first; return each side's first answer.

    Round -1 is a warm-up, untimed: caches, prepared statements and the first page reads
    are paid there, by every side alike.
    """
    answers: dict[str, Any] = {}
    for side in sides:
        progress(f"[{result.backend}] {result.workload}: warm-up, {side.name}")
        await work(side, -1)
    for r in range(rounds):
        order = sides[r % len(sides) :] + sides[: r % len(sides)]
        for side in order:
            progress(f"[{result.backend}] {result.workload}: round {r + 1}/{rounds}, {side.name}")
            gc.collect()
            start = time.perf_counter()
            answer = await work(side, r)
            elapsed = time.perf_counter() - start
            result.times.setdefault(side.name, []).append(elapsed)
            answers.setdefault(side.name, answer)
    return answers


async def _profile(
    folder: Path | None, result: Result, work: Callable[[], Awaitable[Any]]
) -> None:
    if folder is None:
        return
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005, async_mode="enabled")
    profiler.start()
    await work()
    profiler.stop()
    name = f"{result.backend}-{result.workload.replace(' ', '-')}.txt"
    _save(folder / name, profiler.output_text(unicode=True, show_all=True))


def _save(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
