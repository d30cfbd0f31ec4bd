import re
from pathlib import Path

import pytest

from services.db import close_db, init_db
from services.errors import StorageError
from tests.conftest import postgres_url


async def test_file_that_is_not_a_database_gets_a_clear_error_and_is_untouched(
    tmp_path: Path,
) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"shopping list: milk, eggs\n" * 200)

    with pytest.raises(StorageError, match=f"cannot open the database at {path}: file is not a"):
        await init_db(f"sqlite://{path}")
    assert path.read_bytes() == b"shopping list: milk, eggs\n" * 200
    await close_db()


async def test_sqlite_file_and_its_folder_are_created_on_first_use(tmp_path: Path) -> None:
    path = tmp_path / "new" / "folder" / "ledger.sqlite3"

    await init_db(f"sqlite://{path}")
    await close_db()

    assert path.is_file()


async def test_missing_postgres_database_gets_a_clear_error(
    postgres_unreachable: str | None,
) -> None:
    if postgres_unreachable:
        pytest.skip(postgres_unreachable)
    with pytest.raises(StorageError, match="no_such_database_here"):
        await init_db(postgres_url("no_such_database_here"))
    await close_db()


async def test_unsupported_database_url_gets_a_clear_error() -> None:
    with pytest.raises(
        StorageError,
        match="DATABASE_URL is not usable: unsupported database URL scheme 'mysql': "
        "use sqlite:// or postgres://",
    ):
        await init_db("mysql://root@127.0.0.1/test")


async def test_read_only_sqlite_file_is_refused_at_startup(tmp_path: Path) -> None:
    # Regression: a read-only ledger was accepted, then every message failed.
    path = tmp_path / "ledger.sqlite3"
    await init_db(f"sqlite://{path}")
    await close_db()

    # query_only makes the connection read-only as a read-only file or mount would.
    with pytest.raises(StorageError, match=f"the database {path} is read-only"):
        await init_db(f"sqlite://{path}?query_only=ON")


async def test_sqlite_path_under_a_file_gets_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("not a folder", encoding="utf-8")

    expected = re.escape(f"cannot open the database at {tmp_path}/afile/x.sqlite3")
    with pytest.raises(StorageError, match=expected):
        await init_db(f"sqlite://{tmp_path}/afile/x.sqlite3")


async def test_postgres_url_with_a_bad_port_gets_a_clear_error() -> None:
    with pytest.raises(StorageError, match="DATABASE_URL is not usable"):
        await init_db("postgres://postgres@127.0.0.1:abc/test")


async def test_postgres_url_with_an_unknown_parameter_gets_a_clear_error(
    postgres_unreachable: str | None,
) -> None:
    if postgres_unreachable:
        pytest.skip(postgres_unreachable)
    with pytest.raises(StorageError, match="DATABASE_URL is not usable"):
        await init_db(postgres_url("test") + "?bogus=1")


async def test_sqlite_path_with_a_hash_is_refused_not_cut_short(tmp_path: Path) -> None:
    # Regression: "/a/h#x/ledger.sqlite3" quietly became the file "/a/h".
    folder = tmp_path / "h#x"

    with pytest.raises(StorageError, match="a SQLite path with '#' in it is not supported"):
        await init_db(f"sqlite://{folder}/ledger.sqlite3")
    assert not folder.exists()
    assert not (tmp_path / "h").exists()
