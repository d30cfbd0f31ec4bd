"""Usage per user and UTC day: requests, tokens and exact cost, alike on every backend.

The backends disagree on three things this module neutralises:

- A day computed in SQL is a string on SQLite and a ``date`` on PostgreSQL; both become
  ``datetime.date``.
- SQLite keeps a ``DecimalField`` as text and its ``SUM`` goes through binary floating
  point, so the sum of ``0.1`` and ``0.2`` would not be ``0.3``. There each cost is turned
  into an integer count of 10^-12 units inside the query (fixed and exponent notation
  alike, the two forms ``str(Decimal)`` writes), summed as a 64-bit integer, and scaled
  back into a ``Decimal``. PostgreSQL sums ``numeric`` exactly as it is.
- Each sum comes back with twelve decimal places on both.

Requests are counted from ``requests`` alone and tokens and cost summed over their
responses, in one statement of two grouped halves, so a request without an answer counts
and one with two answers counts once.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any, NamedTuple

from tortoise.exceptions import BaseORMException

from models import Request
from models.response import COST_PLACES
from services.errors import InvalidValue, StorageError

# Text of a cost as an integer number of 10^-12: "1.5" and "1.5E-7" both, digits of the
# mantissa times the power of ten the exponent and the decimal point leave.
# TODO: a day's cost above 9,223,372 (2^63 units) overflows SQLite's integer SUM, which
# fails the report rather than round it, and digits past the twelfth place (which
# cost_of never writes) are dropped; both go if costs are stored as integer units.
_SQLITE_COST_UNITS = """CASE
    WHEN instr(s.cost, 'E') THEN
        CAST(replace(substr(s.cost, 1, instr(s.cost, 'E') - 1), '.', '') AS INTEGER)
        * CAST(substr('1000000000000000000', 1,
            13 + CAST(substr(s.cost, instr(s.cost, 'E') + 1) AS INTEGER)
            - CASE WHEN instr(s.cost, '.')
                THEN instr(s.cost, 'E') - instr(s.cost, '.') - 1 ELSE 0 END) AS INTEGER)
    WHEN instr(s.cost, '.') THEN
        CAST(substr(s.cost, 1, instr(s.cost, '.') - 1) AS INTEGER) * 1000000000000
        + CAST(substr(substr(s.cost, instr(s.cost, '.') + 1) || '000000000000', 1, 12)
            AS INTEGER)
    ELSE CAST(s.cost AS INTEGER) * 1000000000000
END"""

_DAY = {
    "sqlite": "date(q.created_at)",
    "postgres": "(q.created_at AT TIME ZONE 'UTC')::date",
}
_COST = {"sqlite": f"SUM({_SQLITE_COST_UNITS})", "postgres": "SUM(s.cost)"}
_NO_COST = {"sqlite": "NULL", "postgres": "NULL::numeric"}
_NO_COUNT = {"sqlite": "NULL", "postgres": "NULL::bigint"}


class DayUsage(NamedTuple):
    """What one user used on one UTC day; a sum is None when nothing was known to add.

    A named tuple rather than a dataclass: a report over a million exchanges builds tens
    of thousands of rows, and a tuple is built several times faster.
    """

    user_id: int
    day: date
    requests: int
    tokens_in: int | None
    tokens_out: int | None
    cost: Decimal | None


async def usage_per_day(
    user_id: int | None = None,
    since: date | datetime | None = None,
    until: date | datetime | None = None,
) -> list[DayUsage]:
    """Usage per user and UTC day, ordered by user then day.

    The cost is the exact sum of the known costs, or None when no response of that day
    has one.

    Args:
        user_id: One user's usage only (``users.id``); everyone's by default.
        since: First instant counted (inclusive); a date means its UTC midnight.
        until: First instant no longer counted (exclusive); a date means its UTC midnight.

    Raises:
        InvalidValue: A naive datetime, whose day would depend on the server's zone.
        StorageError: The database failed, or a day's cost overflowed 64-bit units on
            SQLite (more than 9,223,372 in money).
    """
    start, end = _instant("since", since), _instant("until", until)
    conn = Request._meta.db
    dialect = conn.capabilities.dialect
    sql, params = usage_sql(dialect, user_id, start, end)

    try:
        _, rows = await conn.execute_query(sql, params)
    except BaseORMException as exc:
        raise StorageError(f"cannot compute usage: {exc}") from exc
    convert = _from_sqlite if dialect == "sqlite" else _from_postgres
    return [convert(row) for row in rows]


def usage_sql(
    dialect: str,
    user_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[str, list[Any]]:
    """The statement :func:`usage_per_day` runs, with its parameters, for a dialect.

    Rows are (user_id, day, requests, tokens_in, tokens_out, cost), where the day is text
    and the cost an integer of 10^-12 units on SQLite.
    """
    conditions, params = _conditions(dialect, user_id, since, until)
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    day, cost = _DAY[dialect], _COST[dialect]
    no_cost, no_count = _NO_COST[dialect], _NO_COUNT[dialect]
    # The responses half reads responses in order and finds each request by primary key,
    # which SQLite does much faster than looking each response up from its request.
    join = "CROSS JOIN" if dialect == "sqlite" else "JOIN"
    # Only constants of this module are spliced in; every value is a bound parameter.
    sql = f"""SELECT user_id, day, MAX(requests), MAX(tokens_in), MAX(tokens_out), MAX(cost)
FROM (
    SELECT q.user_id AS user_id, {day} AS day, COUNT(*) AS requests,
        {no_count} AS tokens_in, {no_count} AS tokens_out, {no_cost} AS cost
    FROM requests q {where}
    GROUP BY 1, 2
    UNION ALL
    SELECT q.user_id, {day}, {no_count}, SUM(s.tokens_in), SUM(s.tokens_out), {cost}
    FROM responses s {join} requests q ON q.id = s.request_id {where}
    GROUP BY 1, 2
) AS halves
GROUP BY user_id, day
ORDER BY user_id, day"""  # noqa: S608
    # SQLite numbers its "?" in order, so the second half needs the values again.
    return sql, params * 2 if dialect == "sqlite" else params


def _conditions(
    dialect: str, user_id: int | None, since: datetime | None, until: datetime | None
) -> tuple[list[str], list[Any]]:
    conditions: list[str] = []
    params: list[Any] = []
    values: tuple[tuple[str, object], ...] = (
        ("q.user_id =", user_id),
        ("q.created_at >=", since),
        ("q.created_at <", until),
    )
    for clause, value in values:
        if value is None:
            continue
        # TODO: SQLite compares timestamps as text, which orders them only while all are
        # stored in UTC (everything the services write is); it can go with a numeric
        # timestamp column.
        if isinstance(value, datetime) and dialect == "sqlite":
            value = value.isoformat(" ")
        params.append(value)
        placeholder = "?" if dialect == "sqlite" else f"${len(params)}"
        conditions.append(f"{clause} {placeholder}")
    return conditions, params


def _instant(name: str, value: date | datetime | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            raise InvalidValue(name, "a naive datetime has no day: give it a time zone")
        return value.astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(), UTC)
    raise InvalidValue(name, f"{value!r} is neither a date nor a datetime")


def _from_sqlite(row: Any) -> DayUsage:
    units = row[5]
    cost = None if units is None else Decimal(units).scaleb(-COST_PLACES)
    return DayUsage(row[0], date.fromisoformat(row[1]), row[2], row[3], row[4], cost)


def _from_postgres(row: Any) -> DayUsage:
    # asyncpg already gives int, date and Decimal at twelve places.
    return DayUsage._make(row)
