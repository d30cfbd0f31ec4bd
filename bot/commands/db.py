"""``python -m bot db upgrade | status``: the operator's view of the database schema."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import config
from services.db import describe
from services.errors import UPGRADE_COMMAND, LedgerError
from services.migrations import SchemaState, SchemaStatus
from services.upgrade import UpgradeReport, schema_status, upgrade

R = TypeVar("R")


def register(commands: Any) -> None:
    parser = commands.add_parser("db", help="upgrade the database schema, or show where it is")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser(
        "upgrade", help="bring the database to this version's schema (backs up a SQLite file)"
    ).set_defaults(handler=handle_upgrade)
    actions.add_parser(
        "status", help="show the migrations applied and pending; changes nothing"
    ).set_defaults(handler=handle_status)


async def handle_upgrade(args: argparse.Namespace) -> int:
    return await _report(upgrade_lines, upgrade)


async def handle_status(args: argparse.Namespace) -> int:
    return await _report(status_lines, schema_status)


async def _report(lines: Callable[[R, str], list[str]], action: Callable[[], Awaitable[R]]) -> int:
    # Each command prints what it found or did, one fact a line, or one error line.
    try:
        result = await action()
    except LedgerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for line in lines(result, describe(config.db_url())):
        print(line)
    return 0


def upgrade_lines(report: UpgradeReport, where: str) -> list[str]:
    """What ``db upgrade`` tells the operator, one fact a line."""
    state = report.before.state
    if state is SchemaState.CURRENT:
        return [f"{where}: already up to date ({', '.join(report.before.applied)}); nothing to do"]
    lines = []
    if report.backup is not None:
        lines.append(f"backup of the database before the upgrade: {report.backup}")
    if state is SchemaState.EMPTY:
        lines.append(f"{where}: created the schema")
    if report.recorded:
        lines.append(f"recorded as applied, tables already in place: {', '.join(report.recorded)}")
    if state is SchemaState.FIRST_RELEASE:
        lines.append(f"converted the first release's users table: {report.users_kept} users kept")
    lines += [f"applied {name}" for name in report.applied]
    lines.append(f"{where}: up to date")
    return lines


def status_lines(status: SchemaStatus, where: str) -> list[str]:
    """What ``db status`` tells the operator."""
    lines = [f"{where}: {status.state.value.replace('_', ' ')}"]
    if status.applied:
        lines.append(f"applied: {', '.join(status.applied)}")
    if status.pending:
        lines.append(f"pending: {', '.join(status.pending)}")
    if status.unknown:
        lines.append(f"unknown to this version: {', '.join(status.unknown)}")
    if status.state is SchemaState.AHEAD:
        lines.append("a newer version of the bot wrote it: run that version")
    elif status.state is SchemaState.FOREIGN:
        lines.append("these are not the bot's tables: point DATABASE_URL at its database")
    elif status.state is not SchemaState.CURRENT:
        lines.append(f"to upgrade: {UPGRADE_COMMAND}")
    return lines
