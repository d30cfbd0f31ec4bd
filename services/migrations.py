"""Where a database's schema stands against the code's migrations, and moving it forward.

The migrations are Tortoise's own, in the ``migrations`` package, recorded in Tortoise's
``tortoise_migrations`` table. :func:`inspect_schema` puts a database in one state:

::

    empty          no table yet
    current        records every migration of the code and no other
    behind         records some of them (``pending`` are missing)
    ahead          records migrations the code does not have (``unknown``): a newer bot's
    unrecorded     no record, but the tables some migration produced (``matches``): made by
                   ``generate_schemas`` before migrations existed
    first_release  only the first release's ``users (id, tg_id, name)``
    foreign        tables that are none of the above

:func:`prepare_schema` is the policy at startup; ``services.upgrade`` handles the rest.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.fields.relational import ForeignKeyFieldInstance, ManyToManyFieldInstance
from tortoise.migrations.executor import MigrationExecutor, MigrationTarget
from tortoise.migrations.graph import MigrationKey
from tortoise.migrations.loader import MigrationLoader
from tortoise.migrations.migration import Migration
from tortoise.migrations.recorder import MigrationRecorder
from tortoise.migrations.schema_editor.base import BaseSchemaEditor
from tortoise.migrations.schema_generator.state import ModelState, State
from tortoise.migrations.schema_generator.state_apps import StateApps
from tortoise.transactions import in_transaction
from tortoise.utils import generate_schema_for_client

import config
from services import loggers
from services.errors import SchemaAhead, SchemaBehind, StorageError, UpgradeFailed

APP = "models"
RECORDS = "tortoise_migrations"
FIRST_RELEASE = {"users": frozenset({"id", "tg_id", "name"})}

Columns = dict[str, frozenset[str]]


class SchemaState(StrEnum):
    EMPTY = "empty"
    CURRENT = "current"
    BEHIND = "behind"
    AHEAD = "ahead"
    UNRECORDED = "unrecorded"
    FIRST_RELEASE = "first_release"
    FOREIGN = "foreign"


@dataclass(frozen=True)
class SchemaStatus:
    """A database's schema against the code's migrations (names in the order they apply)."""

    state: SchemaState
    applied: tuple[str, ...] = ()
    pending: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()
    matches: tuple[str, ...] = ()
    tables: frozenset[str] = field(default_factory=frozenset)


class Recorder(MigrationRecorder):
    """Tortoise's recorder, made safe inside the transaction an upgrade runs in."""

    async def ensure_schema(self, schema_editor: BaseSchemaEditor) -> None:
        # The stock recorder creates its table with executescript, which on SQLite first
        # commits the open transaction; one statement through execute_query does not.
        # TODO: borrows the editor's private SQL builder; can go when Tortoise's recorder
        # stops using executescript.
        sql = schema_editor._get_model_sql_data(self.model).table_sql
        await self.connection.execute_query(
            sql.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS", 1)
        )

    async def applied_migrations(self) -> list[MigrationKey]:
        # The stock recorder swallows the error of a missing table, which on PostgreSQL
        # leaves the transaction aborted; asking first leaves it usable.
        if RECORDS not in await list_tables(self.connection):
            return []
        return await super().applied_migrations()


class _NoRecords(MigrationRecorder):
    def __init__(self) -> None:
        super().__init__(None)

    async def applied_migrations(self) -> list[MigrationKey]:
        return []


def apps_config(connection_name: str) -> dict[str, dict[str, Any]]:
    """The apps section Tortoise's migration classes take, for one connection."""
    return {
        APP: {
            "models": config.MODEL_MODULES,
            "default_connection": connection_name,
            "migrations": config.MIGRATIONS_MODULE,
        }
    }


async def code_migrations(connection_name: str) -> list[Migration]:
    """The code's migrations, loaded from disk, in the order they apply."""
    loader = MigrationLoader(apps_config(connection_name), _NoRecords())
    await loader.build_graph()
    keys: list[MigrationKey] = []
    for leaf in loader.graph.leaf_nodes(APP):
        keys += [key for key in loader.graph.forwards_plan(leaf) if key not in keys]
    return [loader.disk_migrations[key] for key in keys]


async def inspect_schema(conn: BaseDBAsyncClient) -> SchemaStatus:
    """Where the database behind ``conn`` stands; reads only."""
    tables = frozenset(await list_tables(conn))
    migrations = await code_migrations(conn.connection_name)
    names = [migration.name for migration in migrations]
    if RECORDS in tables:
        applied = await recorded(conn)
        unknown = tuple(name for name in applied if name not in names)
        pending = tuple(name for name in names if name not in applied)
        state = SchemaState.BEHIND if pending else SchemaState.CURRENT
        if unknown:
            state = SchemaState.AHEAD
        return SchemaStatus(state, tuple(applied), pending, unknown, tables=tables)

    if not tables:
        return SchemaStatus(SchemaState.EMPTY, pending=tuple(names))
    found = await table_columns(conn, tables)
    if found == FIRST_RELEASE:
        return SchemaStatus(SchemaState.FIRST_RELEASE, pending=tuple(names), tables=tables)
    matches = await _matching_prefix(found, migrations, conn.connection_name)
    if matches:
        pending = tuple(names[len(matches) :])
        return SchemaStatus(SchemaState.UNRECORDED, (), pending, matches=matches, tables=tables)
    return SchemaStatus(SchemaState.FOREIGN, tables=tables)


async def prepare_schema(conn: BaseDBAsyncClient) -> SchemaStatus:
    """Make the database usable at startup, or say why it is not.

    An empty database gets the schema from ``generate_schemas`` and every migration
    recorded; one made that way without records gets the migrations it matches recorded.

    Raises:
        SchemaBehind: Migrations are missing, or it is the first release's database.
        SchemaAhead: It records migrations this code does not have.
        StorageError: Its tables are not this bot's.
    """
    # TODO: two processes starting at once on an empty database may both create the
    # schema and race; replicas are started after `db upgrade` (README). This can go once
    # creation runs under a lock (pg_advisory_lock on PostgreSQL).
    status = await inspect_schema(conn)
    if status.state is SchemaState.EMPTY:
        # A new database gets its schema straight from the models; the migrations that
        # describe the same schema are then recorded as applied, below. A crash between the
        # two steps leaves tables without records, which the next start records the same way.
        await generate_schema_for_client(conn, safe=True)
        loggers.db.info("created the schema from the models")
        status = await inspect_schema(conn)
    if status.state is SchemaState.UNRECORDED:
        async with in_transaction(conn.connection_name) as txn:
            await record_applied(txn, status.matches)
        loggers.db.info("recorded migrations already in place: %s", ", ".join(status.matches))
        status = await inspect_schema(conn)
    raise_unless_current(status)
    return status


def raise_unless_current(status: SchemaStatus) -> None:
    """Raise the error that says what to do about a database not at the code's schema."""
    error = schema_error(status)
    if error is not None:
        raise error


def schema_error(status: SchemaStatus) -> StorageError | None:
    """The error for a database not at the code's schema; None for one that is."""
    if status.state is SchemaState.CURRENT:
        return None
    if status.state in (SchemaState.BEHIND, SchemaState.FIRST_RELEASE):
        return SchemaBehind(status.pending, status.state is SchemaState.FIRST_RELEASE)
    if status.state is SchemaState.AHEAD:
        return SchemaAhead(status.unknown)
    return StorageError(
        "the database holds tables that match no version of this bot's schema"
        f" ({', '.join(sorted(status.tables))}) and no record of its migrations:"
        " point DATABASE_URL at the bot's database, or at an empty one"
    )


async def apply_migrations(txn: BaseDBAsyncClient) -> list[str]:
    """Apply every pending migration on ``txn``, which must be an open transaction.

    Each migration runs in a savepoint of that transaction and is recorded in it, so the
    caller's rollback undoes all of them together.

    Returns:
        The names of the migrations applied, in order.

    Raises:
        UpgradeFailed: A migration failed.
    """
    # TODO: Tortoise 1.1.9 rebuilds a SQLite table without its multi-column unique
    # constraints and indexes (requests would lose its (chat_id, message_id) guard against
    # redelivery). A migration that alters such a table makes the test comparing migrations
    # with generate_schemas fail, and must put them back itself (RunSQL); this can go when
    # Tortoise's table rebuild recreates them.
    executor = _executor(txn)
    for step in await executor.plan():
        _require_atomic(step.migration)

    started: list[str] = []
    done: list[str] = []

    def progress(event: str, _app: str, name: str) -> None:
        (started if event == "apply_start" else done).append(name)

    try:
        await executor.migrate(direction="forward", progress=progress)
    # A migration is code of any kind (RunPython), so any error can come out of it.
    except Exception as exc:
        raise UpgradeFailed(f"migration {started[-1] if started else '(none)'}", exc) from exc
    return done


async def record_applied(txn: BaseDBAsyncClient, names: Sequence[str]) -> None:
    """Record migrations up to the last of ``names`` as applied without running them."""
    target = MigrationTarget(app_label=APP, name=names[-1])
    await _executor(txn).migrate([target], fake=True, direction="forward")


async def recorded(conn: BaseDBAsyncClient) -> list[str]:
    """The names of the migrations the database records as applied, oldest first."""
    # Table and column names are constants; the one value is a bound parameter.
    where = f'WHERE "app" = {_param(conn, 1)} ORDER BY "id"'
    sql = f'SELECT "name" FROM "{RECORDS}" {where}'  # noqa: S608
    rows = await conn.execute_query_dict(sql, [APP])
    return [row["name"] for row in rows]


async def list_tables(conn: BaseDBAsyncClient) -> list[str]:
    """The tables of the database (of the current schema on PostgreSQL)."""
    if conn.capabilities.dialect == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    else:
        sql = (
            "SELECT table_name AS name FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        )
    return [row["name"] for row in await conn.execute_query_dict(sql)]


async def table_columns(conn: BaseDBAsyncClient, tables: frozenset[str]) -> Columns:
    """The column names of each table."""
    found: Columns = {}
    for table in tables:
        if conn.capabilities.dialect == "sqlite":
            rows = await conn.execute_query_dict(f'PRAGMA table_info("{table}")')
        else:
            rows = await conn.execute_query_dict(
                "SELECT column_name AS name FROM information_schema.columns"
                " WHERE table_schema = current_schema() AND table_name = $1",
                [table],
            )
        found[table] = frozenset(row["name"] for row in rows)
    return found


def _executor(txn: BaseDBAsyncClient) -> MigrationExecutor:
    executor = MigrationExecutor(txn, apps_config(txn.connection_name))
    executor.recorder = executor.loader.recorder = Recorder(txn)
    return executor


def _param(conn: BaseDBAsyncClient, position: int) -> str:
    return "?" if conn.capabilities.dialect == "sqlite" else f"${position}"


def _require_atomic(migration: Migration) -> None:
    # A non-atomic migration runs executescript on SQLite, which commits the surrounding
    # transaction half way; better to refuse it than to lose the all-or-nothing upgrade.
    if not migration.atomic:
        raise UpgradeFailed(
            f"migration {migration.name}", "it sets atomic = False, which the upgrade refuses"
        )


async def _matching_prefix(
    found: Columns, migrations: list[Migration], connection_name: str
) -> tuple[str, ...]:
    # TODO: compares table and column names only, so a migration that changes just a type,
    # a null flag or an index is not told apart from the one before it and the newer one
    # is recorded. Fine while no database without records predates such a migration.
    state = State(models={}, apps=StateApps(default_connections={APP: connection_name}))
    best: tuple[str, ...] = ()
    for index, migration in enumerate(migrations):
        await migration.apply(state, dry_run=True)
        if _state_columns(state.models.values()) == found:
            best = tuple(m.name for m in migrations[: index + 1])
    return best


def _state_columns(models: Iterable[ModelState]) -> Columns:
    columns: Columns = {}
    for model in models:
        columns[model.table] = frozenset(
            _column(name, field)
            for name, field in model.fields.items()
            if not isinstance(field, ManyToManyFieldInstance)
        )
    return columns


def _column(name: str, field: Any) -> str:
    if field.source_field:
        return str(field.source_field)
    return f"{name}_id" if isinstance(field, ForeignKeyFieldInstance) else name
