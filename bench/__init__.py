"""Benchmarks of the ledger through the project's services against the raw drivers.

``python -m bench`` (or ``make bench``) runs every workload on SQLite and PostgreSQL, in
the same process and the same run, through the services and through ``aiosqlite``,
``asyncpg`` and plain ``sqlite3`` doing the same SQL. See ``python -m bench --help``.
"""
