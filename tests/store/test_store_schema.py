"""The migrated schema matches the ORM, and the connection pragmas are really on."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from agentic_desktop.store import open_database
from agentic_desktop.store.db import schema_metadata, script_head

CORE_TABLES = {"workflows", "executions", "node_runs", "execution_metrics", "accounts",
               "orders", "fills", "positions", "candles"}


def test_migrating_an_empty_db_matches_the_orm_metadata(data_dir: Path) -> None:
    db = open_database(data_dir)
    metadata = schema_metadata()
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
        created = {r[0] for r in conn.exec_driver_sql(
            "select name from sqlite_master where type = 'table'")}
    assert created - {"alembic_version"} == set(metadata.tables)
    assert CORE_TABLES <= created
    db.close()


def test_pragmas_are_on_for_every_connection(data_dir: Path) -> None:
    db = open_database(data_dir)
    assert (data_dir / "agentic.db").exists()
    seen: list[tuple[object, ...]] = []

    def probe() -> None:  # a worker thread gets its own pooled connection
        seen.append((db.pragma("journal_mode"), db.pragma("foreign_keys"),
                     db.pragma("busy_timeout"), db.pragma("synchronous")))

    probe()
    t = threading.Thread(target=probe)
    t.start()
    t.join()
    assert seen == [("wal", 1, 5000, 2)] * 2  # synchronous 2 == FULL
    db.close()


def test_reopening_is_idempotent_and_keeps_the_account(data_dir: Path) -> None:
    db = open_database(data_dir, starting_balance=2500.0, currency="EUR")
    db.close()
    db = open_database(data_dir)  # defaults must not overwrite the existing account
    raw = sqlite3.connect(data_dir / "agentic.db")
    try:
        assert raw.execute("select version_num from alembic_version").fetchall() == [
            (script_head(),)]
        assert raw.execute("select balance, currency from accounts").fetchall() == [
            (2500.0, "EUR")]
    finally:
        raw.close()
    db.close()


def test_foreign_keys_are_enforced(data_dir: Path) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    db = open_database(data_dir)
    with pytest.raises(IntegrityError), db.write() as s:
        s.execute(text("insert into node_runs (execution_id, seq, node_id, node_type, status,"
                       " duration_ms, output_summary) values (999, 0, 'a', 't', 'ok', 0, '{}')"))
    db.close()


def test_the_fast_head_check_agrees_with_alembic() -> None:
    from alembic.script import ScriptDirectory

    from agentic_desktop.store.db import alembic_config

    assert ScriptDirectory.from_config(alembic_config()).get_heads() == [script_head()]


@pytest.mark.parametrize("old", ["base", "0001"])
def test_an_old_database_is_upgraded_at_open(data_dir: Path, old: str) -> None:
    from alembic import command

    from agentic_desktop.store.db import alembic_config

    db = open_database(data_dir)
    db.close()
    command.downgrade(alembic_config(db.engine), old)
    db = open_database(data_dir)
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn)
        assert context.get_current_revision() == script_head()
        assert compare_metadata(context, schema_metadata()) == []
    db.close()
