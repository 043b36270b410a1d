"""Header cards of the queue monitor, filled from the engine's QueueStatus."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QVBoxLayout, QWidget

from agentic_desktop.domain.jobs import QueueStatus
from agentic_desktop.ui.monitor.format import duration_text


class StatCard(QFrame):
    def __init__(self, title: str, tip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("StatCard")
        self.setToolTip(tip)
        self.title = QLabel(title.upper())
        self.title.setObjectName("StatTitle")
        self.value = QLabel("—")
        self.value.setObjectName("StatValue")
        self.value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note = QLabel("")
        self.note.setObjectName("StatNote")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(self.value)
        layout.addWidget(self.note)

    def set(self, value: str, note: str = "") -> None:
        self.value.setText(value)
        self.note.setText(note)


class StatusCards(QWidget):
    """Pending, running, completed today, failed today, average duration and queue wait,
    and today's runs against the daily limit (with a bar that turns red near the limit)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cards = {
            "pending": StatCard("Pending", "Jobs waiting for a worker (retrying ones in the note)"),
            "running": StatCard("Running", "Jobs a worker is executing now"),
            "completed": StatCard("Completed today", "Jobs that completed since midnight"),
            "failed": StatCard("Failed today", "Jobs that failed or timed out since midnight"),
            "duration": StatCard("Avg duration", "Average run time of today's finished jobs"),
            "wait": StatCard("Avg queue wait", "Average time from due to started, today"),
            "runs": StatCard("Runs today", "Runs started today against the daily limit "
                             "(Settings → Limits)"),
        }
        self.limit_bar = QProgressBar()
        self.limit_bar.setObjectName("LimitBar")
        self.limit_bar.setTextVisible(False)
        self.limit_bar.setFixedHeight(4)
        runs_layout = self.cards["runs"].layout()
        assert isinstance(runs_layout, QVBoxLayout)
        runs_layout.addWidget(self.limit_bar)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(8)
        for card in self.cards.values():
            row.addWidget(card, 1)
        self.status: QueueStatus | None = None

    def show_status(self, status: QueueStatus) -> None:
        self.status = status
        c = self.cards
        c["pending"].set(str(status.pending + status.retrying),
                         f"{status.retrying} retrying" if status.retrying else "waiting")
        c["running"].set(str(status.running), "now")
        c["completed"].set(str(status.completed_today),
                           f"{status.throughput_per_min * 60:.0f} in the last hour")
        c["failed"].set(str(status.failed_today), "incl. timed out")
        c["duration"].set(duration_text(status.avg_duration_ms), "today")
        c["wait"].set(duration_text(status.avg_wait_ms), "due → started")
        limit = max(status.max_runs_per_day, 1)
        c["runs"].set(f"{status.runs_today} / {status.max_runs_per_day}",
                      f"{max(status.max_runs_per_day - status.runs_today, 0)} left today")
        self.limit_bar.setRange(0, limit)
        self.limit_bar.setValue(min(status.runs_today, limit))
        near = status.runs_today >= 0.9 * limit
        self.limit_bar.setProperty("near", near)
        self.limit_bar.style().unpolish(self.limit_bar)
        self.limit_bar.style().polish(self.limit_bar)
