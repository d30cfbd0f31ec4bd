"""The statements Tortoise sends, captured from its client's DEBUG log.

The raw sides replay these very strings, so both sides run the same SQL by construction.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from typing import Any

_CLIENT_LOG = logging.getLogger("tortoise.db_client")
_INSERT_COLUMNS = re.compile(r"\(([^)]*)\) VALUES")


class _Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []
        self.params: list[Any] = []

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args
        if isinstance(args, tuple) and args and isinstance(args[0], str):
            self.statements.append(args[0])
            self.params.append(args[1] if len(args) > 1 else None)


@contextmanager
def recording() -> Iterator[_Recorder]:
    """Collect every statement the ORM sends inside the block, with its parameters."""
    recorder = _Recorder()
    level, propagate = _CLIENT_LOG.level, _CLIENT_LOG.propagate
    _CLIENT_LOG.setLevel(logging.DEBUG)
    _CLIENT_LOG.propagate = False
    _CLIENT_LOG.addHandler(recorder)
    try:
        yield recorder
    finally:
        _CLIENT_LOG.removeHandler(recorder)
        _CLIENT_LOG.setLevel(level)
        _CLIENT_LOG.propagate = propagate


async def statements_of(call: Awaitable[Any]) -> list[str]:
    """The statements one awaited call sends."""
    with recording() as recorder:
        await call
    return list(recorder.statements)


async def parameters_of(call: Awaitable[Any]) -> list[Any]:
    """The parameters of each statement one awaited call sends."""
    with recording() as recorder:
        await call
    return list(recorder.params)


def insert_columns(sql: str) -> list[str]:
    """The column names of an INSERT, in the order its placeholders take values."""
    match = _INSERT_COLUMNS.search(sql)
    if match is None:
        raise ValueError(f"not an INSERT with a column list: {sql[:60]}")
    return [name.strip().strip('"') for name in match.group(1).split(",")]
