"""``python -m bot run`` (the default): prepare the database and say where it is."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from services.db import close_db, describe, init_db
from services.errors import LedgerError


def register(commands: Any) -> None:
    parser = commands.add_parser("run", help="run the bot (the default command)")
    parser.set_defaults(handler=handle)


async def handle(args: argparse.Namespace) -> int:
    try:
        url = await init_db()
    except LedgerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    await close_db()
    print(f"database ready at {describe(url)}")
    return 0
