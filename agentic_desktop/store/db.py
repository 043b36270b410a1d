"""Opening the SQLite database: pragmas, transactions, migrations (DESIGN.md §6).

One engine per process, one short session per call, so the loop thread and worker threads can
share it. Two kinds of transaction:

- `read()` emits a deferred `BEGIN`: WAL readers never wait for the writer.
- `write()` emits `BEGIN IMMEDIATE`: the write lock is taken up front, so two writers queue on
  `busy_timeout` instead of one failing with SQLITE_BUSY when it upgrades a read lock.

pysqlite's own transaction handling is switched off (`isolation_level = None`) because it does
not emit BEGIN before SELECTs and cannot emit BEGIN IMMEDIATE (the SQLAlchemy-documented recipe).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

from agentic_desktop.domain.errors import UserError

DB_FILENAME = "agentic.db"
BUSY_TIMEOUT_MS = 5000
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_BEGIN_OPTION = "agentic_sqlite_begin"
_REVISION_RE = re.compile(r"^(down_revision|revision)\s*(?::[^=]*)?=\s*['\"]([^'\"]+)['\"]",
                          re.MULTILINE)


class Database:
    """The opened store. Build repositories from it (see `store.__init__`)."""

    def __init__(self, engine: Engine, path: Path) -> None:
        self.engine = engine
        self.path = path
        self._reader = sessionmaker(bind=engine, expire_on_commit=False)
        self._writer = sessionmaker(
            bind=engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"}),
            expire_on_commit=False,
        )

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only unit of work (rolled back at the end)."""
        # The session autobegins on first use; closing it rolls back, ending the read snapshot.
        with self._reader() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction: commits on success, rolls back on any exception."""
        with self._writer() as session, session.begin():
            yield session

    def pragma(self, name: str) -> Any:
        with self.engine.connect() as conn:
            return conn.exec_driver_sql(f"PRAGMA {name}").scalar()

    def seed_account(self, starting_balance: float = 10000.0, currency: str = "USD") -> bool:
        """Create the paper account row if it is missing. Returns True when it was created."""
        from agentic_desktop.store.tables import AccountRow

        with self.write() as session:
            if session.get(AccountRow, 1) is not None:
                return False
            session.add(AccountRow(
                id=1, balance=starting_balance, currency=currency,
                starting_balance=starting_balance, peak_equity=starting_balance,
                commission_per_lot=0.0, commission_pct=0.0, slippage_pips=0.0,
                created_at=datetime.now(UTC),
            ))
            return True

    def close(self) -> None:
        self.engine.dispose()


def open_database(data_dir: Path, *, starting_balance: float = 10000.0,
                  currency: str = "USD") -> Database:
    """Open (creating if needed) `<data_dir>/agentic.db`, migrate it to the latest schema and
    make sure the paper account exists (created with `starting_balance`/`currency` only when
    missing)."""
    data_dir = Path(data_dir)
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(
            f"cannot create data dir {data_dir}: {exc.strerror}; "
            "pass a writable --data-dir or set AGENTIC_DESKTOP_HOME"
        ) from None
    path = data_dir / DB_FILENAME
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
    )
    _install_sqlite_hooks(engine)
    db = Database(engine, path)
    migrate(engine)
    db.seed_account(starting_balance, currency)
    return db


def _install_sqlite_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see module doc)
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            # FULL: a committed order or queue change survives a power cut (DESIGN.md §6).
            cursor.execute("PRAGMA synchronous=FULL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def alembic_config(engine: Engine | None = None) -> Any:
    """Alembic config built in code: no alembic.ini is needed at runtime."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def migrate(engine: Engine) -> None:
    """Upgrade to head inside one IMMEDIATE transaction, so two processes opening a fresh data
    dir at once serialise instead of both creating tables."""
    head = script_head()
    if head is not None and _current_revision(engine) == head:
        return  # already current: skip importing Alembic (~0.4 s of cold start)
    from alembic import command

    config = alembic_config(engine)
    with engine.connect().execution_options(**{_BEGIN_OPTION: "IMMEDIATE"}) as conn:
        with conn.begin():
            config.attributes["connection"] = conn
            command.upgrade(config, "head")


def _current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        exists = conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).first()
        if exists is None:
            return None
        row = conn.exec_driver_sql("SELECT version_num FROM alembic_version").first()
        return None if row is None else str(row[0])


def script_head() -> str | None:
    """The newest revision in migrations/versions, read from the files without importing
    Alembic. None when that is not clear-cut (then Alembic itself decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        found = dict((k, v) for k, v in _REVISION_RE.findall(path.read_text(encoding="utf-8")))
        if "revision" not in found:
            return None
        revisions.add(found["revision"])
        if "down_revision" in found:
            parents.add(found["down_revision"])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def schema_metadata() -> MetaData:
    """Metadata of every table the migrations create (all table modules imported)."""
    from agentic_desktop.store import job_tables  # noqa: F401  (registers its tables)
    from agentic_desktop.store.tables import Base

    return Base.metadata
