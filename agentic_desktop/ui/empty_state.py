"""Honest empty states for areas that other parts of the product will fill: a title and one
sentence saying what will appear here and why it is empty now. Never fake data."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget


class EmptyState(QWidget):
    def __init__(self, title: str, body: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel(title)
        self.title.setObjectName("EmptyTitle")
        self.body = QLabel(body)
        self.body.setObjectName("EmptyBody")
        self.body.setWordWrap(True)
        for label in (self.title, self.body):
            label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        # A fixed-width column: word-wrapped labels only get their full height when the
        # layout, not an alignment flag, decides their width.
        column = QWidget()
        column.setFixedWidth(520)
        inner = QVBoxLayout(column)
        inner.addWidget(self.title)
        inner.addSpacing(8)
        inner.addWidget(self.body)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(column)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addLayout(row)
        layout.addStretch(3)


# (navigation label, title, body) for the areas later issues fill.
PENDING_AREAS = (
    ("Schedules", "Nothing scheduled yet",
     "Schedules arrive with the scheduler: cron, interval, price and indicator triggers "
     "will be listed here once that part of the engine is switched on."),
    ("Queue", "The job queue is empty",
     "Queued, running and retrying jobs will appear here live once the durable job queue "
     "is running. Runs started with Run in the editor show in the editor's Run log."),
    ("History", "No execution history to show yet",
     "Past runs with their per-node results and metrics will be browsable here. Until then, "
     "each editor run is listed in the Run log dock."),
    ("Backtest", "Backtesting is not available yet",
     "Backtests will replay a workflow over stored candles with the same node code as live "
     "runs. This area stays empty until the backtester lands."),
    ("Analytics", "No analytics yet",
     "Equity curve, drawdown and per-workflow statistics will be computed from the paper "
     "account and run history once analytics lands."),
)
