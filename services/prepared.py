"""Statements the ORM builds once per dialect and the services then run many times.

Building a query through Tortoise (a queryset, then pypika, then the SQL text) costs more
than the round trip of a short query on a local database, and the bot sends the same few
statements for every message. A :class:`PreparedQuery` lets Tortoise build the SQL once
per dialect, from the models, with marker values where the arguments go, and keeps the
text and where each argument lands; later calls only bind values and send it. The SQL is
still the ORM's own, so a model change changes it too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model

from services.errors import LedgerError

# Marker values stand in for the arguments while Tortoise builds the statement. They are
# positive (LIMIT refuses negative numbers) and far from any id or count the bot stores.
_MARKER_BASE = 4_611_686_018_427_000_000


class PreparedQuery:
    """A SELECT built by Tortoise once per dialect, run with new argument values.

    Args:
        model: The model whose connection runs the statement.
        build: Returns the query for the given arguments (a queryset, ``values_list``...).
        arity: How many arguments ``build`` takes.
    """

    def __init__(self, model: type[Model], build: Callable[..., Any], arity: int) -> None:
        self.model = model
        self.build = build
        self.arity = arity
        self._statements: dict[str, tuple[str, list[int | None], list[Any]]] = {}

    def bind(self, *args: Any) -> tuple[BaseDBAsyncClient, str, list[Any]]:
        """The connection, the SQL and its parameter values for these arguments."""
        conn = self.model._meta.db
        dialect = conn.capabilities.dialect
        if dialect not in self._statements:
            self._statements[dialect] = self._prepare()
        sql, slots, constants = self._statements[dialect]
        return (
            conn,
            sql,
            [c if s is None else args[s] for s, c in zip(slots, constants, strict=True)],
        )

    async def rows(self, *args: Any) -> Sequence[Any]:
        """The rows the statement returns for these arguments, as the driver gives them."""
        conn, sql, params = self.bind(*args)
        _, rows = await conn.execute_query(sql, params)
        return rows

    def _prepare(self) -> tuple[str, list[int | None], list[Any]]:
        markers = [_MARKER_BASE + i for i in range(self.arity)]
        query = self.build(*markers)
        query.sql()  # makes Tortoise choose the connection and build the pypika query
        sql, params = query.query.get_parameterized_sql()
        slots = [markers.index(p) if p in markers else None for p in params]
        if sorted(s for s in slots if s is not None) != list(range(self.arity)):
            raise LedgerError(f"each argument must appear once in the statement: {sql}")
        return sql, slots, list(params)


class PreparedInsert:
    """Tortoise's own INSERT for a model, run with values the service already has ready.

    The statement and its column order come from the executor Tortoise builds for the
    model, so they follow the model. The values skip the model instance: each must be of
    the type the driver binds (``str``, ``int``, ``Decimal``, aware ``datetime``, an enum's
    ``.value``), and a length the column takes, since no field validator runs.
    """

    def __init__(self, model: type[Model]) -> None:
        self.model = model
        self._statements: dict[str, tuple[str, list[str]]] = {}

    async def insert(self, values: dict[str, Any]) -> int:
        """Insert one row and return its generated id.

        Raises:
            tortoise.exceptions.IntegrityError: A constraint refused the row.
        """
        conn = self.model._meta.db
        dialect = conn.capabilities.dialect
        if dialect not in self._statements:
            executor = conn.executor_class(model=self.model, db=conn)
            self._statements[dialect] = (executor.insert_query, list(executor.regular_columns))
        sql, columns = self._statements[dialect]
        # SQLite answers with the new rowid, PostgreSQL with the RETURNING row.
        result = await conn.execute_insert(sql, [values[name] for name in columns])
        return int(result if isinstance(result, int) else result[0])
