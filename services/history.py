"""A user's recent exchanges: each prompt with the answer it got, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tortoise.exceptions import BaseORMException

from models import Request, ResponseStatus
from models.response import COST_PLACES
from services.errors import InvalidValue, StorageError
from services.prepared import PreparedQuery

MAX_LIMIT = 1000

# One query: the request columns, then its response's (all None when there is none).
_COLUMNS = (
    "id",
    "prompt",
    "created_at",
    "responses__content",
    "responses__status",
    "responses__tokens_in",
    "responses__tokens_out",
    "responses__cost",
)
_PLACES = Decimal(1).scaleb(-COST_PLACES)
_STATUSES = {status.value: status for status in ResponseStatus}
# TODO: a request with several responses (the bot writes one) fills several of the
# `limit` rows, one per response; a query that ranks responses per request can replace
# the plain join once the schema marks the newest answer.
_RECENT = PreparedQuery(
    Request,
    lambda user_id, limit: (
        Request.filter(user_id=user_id)
        .order_by("-created_at", "-id")
        .limit(limit)
        .values_list(*_COLUMNS)
    ),
    arity=2,
)


@dataclass(frozen=True, slots=True)
class Exchange:
    """One prompt and what it got back; the response fields are None if it got nothing."""

    request_id: int
    prompt: str
    created_at: datetime
    content: str | None
    status: ResponseStatus | None
    tokens_in: int | None
    tokens_out: int | None
    cost: Decimal | None


async def recent_exchanges(user_id: int, limit: int = 20) -> list[Exchange]:
    """The user's last ``limit`` exchanges, newest first.

    Requests stored in the same instant come newest id first, so the order is the same on
    every backend and every call.

    Args:
        user_id: The user's id (``users.id``, not the Telegram id).
        limit: How many exchanges, 1 to ``MAX_LIMIT``.

    Raises:
        InvalidValue: ``limit`` is out of range.
        StorageError: The database failed.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 < limit <= MAX_LIMIT:
        raise InvalidValue("limit", f"{limit!r} is not between 1 and {MAX_LIMIT}")

    try:
        rows = await _RECENT.rows(user_id, limit)
    except BaseORMException as exc:
        raise StorageError(f"cannot read the history of user {user_id}: {exc}") from exc
    return [_exchange(row) for row in rows]


def _exchange(row: Any) -> Exchange:
    # The driver's values, typed alike on every backend: SQLite hands back text for the
    # time and the cost, PostgreSQL a datetime and a Decimal at twelve places already.
    created_at, status, cost = row[2], row[4], row[7]
    if isinstance(created_at, str):
        created_at = datetime.fromisoformat(created_at)
    if cost is not None:
        cost = Decimal(cost).quantize(_PLACES)
    return Exchange(
        row[0],
        row[1],
        created_at.astimezone(UTC),
        row[3],
        None if status is None else _STATUSES[status],
        row[5],
        row[6],
        cost,
    )
