"""CSV export of the filtered executions. Runs in a worker thread: it pages through the
repository (keyset, 2,000 rows a read) and streams rows to the file, so a 100,000-row export
neither blocks the GUI nor holds the history in memory."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from agentic_desktop.engine.ports import ExecutionFilter, ExecutionRepository, ExecutionSummary
from agentic_desktop.ui.history.model import duration_ms

CSV_COLUMNS = ("execution_id", "started_at_utc", "finished_at_utc", "workflow_id", "workflow",
               "trigger", "status", "duration_ms", "total_nodes", "successful_nodes",
               "failed_nodes", "memory_used_mb", "job_id", "error")
EXPORT_PAGE = 2000


def csv_row(r: ExecutionSummary) -> list[object]:
    ms = duration_ms(r)
    return [r.execution_id, r.started_at.isoformat(),
            r.finished_at.isoformat() if r.finished_at else "", r.workflow_id or "",
            r.workflow_name, r.trigger, r.status, "" if ms is None else round(ms, 3),
            r.total_nodes, r.successful_nodes, r.failed_nodes,
            "" if r.memory_used_mb is None else round(r.memory_used_mb, 2), r.job_id or "",
            r.error or ""]


def write_csv(repo: ExecutionRepository, filters: ExecutionFilter, path: Path) -> int:
    """Write every execution matching `filters`, newest first; returns the row count. Writes
    to a temporary file first, so a failed export never leaves a half-written CSV behind."""
    partial = path.with_name(path.name + ".part")
    written = 0
    try:
        with partial.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(CSV_COLUMNS)
            before: int | None = None
            while True:
                rows = repo.page(filters, limit=EXPORT_PAGE, before_id=before)
                writer.writerows(csv_row(r) for r in rows)
                written += len(rows)
                if len(rows) < EXPORT_PAGE:
                    break
                before = rows[-1].execution_id
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return written
