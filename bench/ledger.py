"""A synthetic ledger, generated the same on every backend and bulk-loaded by the driver.

Rows are drawn from a seeded generator, so two backends load the same exchanges. Costs
come from ``services.logging.cost_of`` with awkward prices, so they take every form the
bot writes: twelve places, exponent notation for tiny costs, zero for free models, and
None for unknown prices. The exact cost per user and day is kept for the exactness check.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from services.logging import cost_of

SEED = 20240601
DAYS = 90
FIRST_DAY = datetime(2025, 1, 1, tzinfo=UTC)
CHUNK = 50_000
# Prices per million tokens: ordinary ones, six-place ones, a free model and an unknown one.
PRICES: list[tuple[Decimal | None, Decimal | None]] = [
    (Decimal("0.150000"), Decimal("0.600000")),
    (Decimal("2.500000"), Decimal("10.000000")),
    (Decimal("0.100001"), Decimal("0.333333")),
    (Decimal("0.000000"), Decimal("0.000000")),
    (None, None),
]


@dataclass
class Ledger:
    """What was loaded: sizes, timing and the exact totals per (user id, day)."""

    users: int
    exchanges: int
    seconds: float = 0.0
    method: str = ""
    costs: dict[tuple[int, date], Decimal | None] = field(default_factory=dict)


def cost_pool(rng: random.Random, size: int = 997) -> list[Decimal | None]:
    """Costs as the bot computes them, for rows to draw from."""
    pool = []
    for _ in range(size):
        price_in, price_out = rng.choice(PRICES)
        tokens_in, tokens_out = rng.randrange(1, 8000), rng.randrange(0, 2000)
        pool.append(cost_of(tokens_in, tokens_out, price_in, price_out))
    return pool


def exchanges(users: int, count: int, first_id: int = 1) -> Iterator[list[tuple]]:
    """Chunks of (id, user_id, created_at, tokens_in, tokens_out, cost, answered) rows.

    About one request in fifty has no response, as when the provider never answered.
    """
    rng = random.Random(SEED + first_id)
    pool = cost_pool(rng)
    span = DAYS * 86_400
    chunk: list[tuple] = []
    for request_id in range(first_id, first_id + count):
        at = FIRST_DAY + timedelta(seconds=rng.randrange(span), microseconds=rng.randrange(10**6))
        cost = pool[rng.randrange(len(pool))]
        answered = rng.random() >= 0.02
        user = rng.randrange(1, users + 1)
        chunk.append(
            (request_id, user, at, rng.randrange(8000), rng.randrange(2000), cost, answered)
        )
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def tally(ledger: Ledger, chunk: list[tuple]) -> None:
    """Add a chunk's costs to the exact totals per user and UTC day."""
    costs = ledger.costs
    for _, user, at, _, _, cost, answered in chunk:
        key = (user, at.date())
        if key not in costs:
            costs[key] = None
        if answered and cost is not None:
            known = costs[key]
            costs[key] = cost if known is None else known + cost


def sums_by_group(ledger: Ledger) -> dict[tuple[int, date], Decimal | None]:
    """The exact totals, each at twelve places like the report's."""
    places = Decimal("1E-12")
    return {k: None if v is None else v.quantize(places) for k, v in ledger.costs.items()}


class Stopwatch:
    """Seconds since it was made."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def __call__(self) -> float:
        return time.perf_counter() - self.start
