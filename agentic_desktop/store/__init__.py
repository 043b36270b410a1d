"""Local persistence: the only package that imports SQLAlchemy/Alembic (DESIGN.md §3).

Wiring (app.py):

    db = open_database(data_dir)
    workflows = SqlWorkflowRepository(db)
    executions = SqlExecutionRepository(db)
    candles = SqlCandleRepository(db)
    ledger = SqlPaperLedger(db)
"""

from agentic_desktop.store.db import Database, open_database
from agentic_desktop.store.ledger import SqlPaperLedger
from agentic_desktop.store.repositories import (
    SqlCandleRepository,
    SqlExecutionRepository,
    SqlWorkflowRepository,
)

__all__ = [
    "Database",
    "SqlCandleRepository",
    "SqlExecutionRepository",
    "SqlPaperLedger",
    "SqlWorkflowRepository",
    "open_database",
]
