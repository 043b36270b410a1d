"""Execution history: the lazily paged executions table, filters, the detail pane with its
per-node timeline, performance charts and CSV export (issue 5)."""
