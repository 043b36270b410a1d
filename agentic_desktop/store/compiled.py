"""The store's hot paths: SQLAlchemy Core statements compiled ONCE, run on the pooled DBAPI
connection (DESIGN.md §9: the ORM roughly doubles the cost of a queue cycle).

The statements are still written in Core against the mapped tables (one schema, no SQL strings
to keep in sync), but per call nothing is built, compiled, cached, evented or wrapped: a dict of
parameters goes to `sqlite3` and a tuple comes back. Only the queue cycle uses this (enqueue,
claim, heartbeat, finish, release, started_since, execution start/finish); everything else stays
on `Database.read()/write()`.

Errors are sqlite3's own (sqlite3.IntegrityError, sqlite3.OperationalError), not wrapped in
SQLAlchemy's. Values are stored exactly as SQLAlchemy stores them, so both paths read each
other's rows: datetimes as naive UTC text `YYYY-MM-DD HH:MM:SS.ffffff` (the SQLite dialect's
format, which also keeps text comparison = time order), aware UTC in Python.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Engine
from sqlalchemy.dialects import sqlite
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

_DIALECT = sqlite.dialect(paramstyle="named")


class Compiled:
    """One Core statement compiled for SQLite with named parameters. Constants written into
    the statement (`status == "running"`) become bound values kept in `constants`; an
    expanding IN (`in_([...])` of plain values) is refused: write its values with
    `literal_column` so the SQL is final at compile time."""

    __slots__ = ("sql", "constants")

    def __init__(self, statement: ClauseElement) -> None:
        compiled = cast(SQLCompiler, statement.compile(dialect=_DIALECT))
        if compiled.post_compile_params:
            raise ValueError("statement has expanding parameters; use literal values")
        self.sql = str(compiled)
        self.constants = {name: value for name, value in compiled.params.items()
                          if not compiled.binds[name].required}

    def params(self, values: Mapping[str, Any]) -> dict[str, Any]:
        return {**self.constants, **values} if self.constants else dict(values)


def run(con: sqlite3.Connection, stmt: Compiled, values: Mapping[str, Any]) -> list[Any]:
    """Execute and fetch every row (a RETURNING statement must be stepped to its end before
    the transaction can commit)."""
    return con.execute(stmt.sql, stmt.params(values)).fetchall()


def run_many(con: sqlite3.Connection, stmt: Compiled,
             rows: Iterable[Mapping[str, Any]]) -> None:
    """executemany: one prepared statement stepped once per row."""
    con.executemany(stmt.sql, [stmt.params(r) for r in rows])


_write_locks: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()
_locks_guard = threading.Lock()


def _write_lock(engine: Engine) -> threading.Lock:
    lock = _write_locks.get(engine)
    if lock is None:
        with _locks_guard:
            lock = _write_locks.setdefault(engine, threading.Lock())
    return lock


@contextmanager
def write(engine: Engine) -> Iterator[sqlite3.Connection]:
    """One BEGIN IMMEDIATE transaction on a pooled connection: committed on success, rolled
    back on any exception. The connection comes from the engine's pool, so it has the store's
    pragmas (WAL, synchronous=FULL, busy_timeout, foreign keys) and autocommit mode.

    These writers also queue on a lock of their own: SQLite's busy handler polls with sleeps
    of 1, 2, 5, 10 … ms, so ten workers contending for the write lock through busy_timeout
    alone spend most of their time asleep. busy_timeout still covers every other writer (ORM
    sessions, another process)."""
    with _write_lock(engine):
        with _transaction(engine) as con:
            yield con


@contextmanager
def _transaction(engine: Engine) -> Iterator[sqlite3.Connection]:
    pooled = engine.raw_connection()
    try:
        con: sqlite3.Connection = pooled.driver_connection  # type: ignore[assignment]
        con.execute("BEGIN IMMEDIATE")
        try:
            yield con
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
    finally:
        pooled.close()


@contextmanager
def read(engine: Engine) -> Iterator[sqlite3.Connection]:
    """A pooled connection in autocommit mode: each statement is its own read snapshot."""
    pooled = engine.raw_connection()
    try:
        yield pooled.driver_connection  # type: ignore[misc]
    finally:
        pooled.close()


def ts(moment: datetime | None) -> str | None:
    """An aware datetime as the dialect stores it (naive UTC text with microseconds)."""
    if moment is None:
        return None
    tz = moment.tzinfo
    if tz is None:
        raise ValueError(f"naive datetime {moment!r}: pass an aware UTC datetime")
    if tz is not UTC:
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None).isoformat(" ", "microseconds")


def dt(text: str | None) -> datetime | None:
    """Stored text back to an aware UTC datetime."""
    return None if text is None else datetime.fromisoformat(text).replace(tzinfo=UTC)


def utc(text: str) -> datetime:
    """`dt` for a NOT NULL column."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)
