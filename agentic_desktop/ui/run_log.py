"""The Run log dock: validation problems before a run, then each node's result as it
finishes, then the run's outcome. Clicking a row that names a node selects that node."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from agentic_desktop.domain.errors import Problem
from agentic_desktop.domain.runs import ExecutionResult, NodeRun
from agentic_desktop.ui.editor.colors import STATUS_COLORS

NODE_ROLE = Qt.ItemDataRole.UserRole + 2


class RunLogWidget(QWidget):
    node_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Time", "Node", "Status", "Duration", "Details"])
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        header = self.tree.header()
        for col in range(4):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree)
        self.tree.itemClicked.connect(self._clicked)
        self.tree.itemActivated.connect(self._clicked)

    def rows(self) -> list[tuple[str, str, str, str]]:
        """(node, status, duration, details) of every row, for tests and screenshots."""
        return [(self.tree.topLevelItem(i).text(1), self.tree.topLevelItem(i).text(2),
                 self.tree.topLevelItem(i).text(3), self.tree.topLevelItem(i).text(4))
                for i in range(self.tree.topLevelItemCount())]

    def _add(self, node: str, status: str, duration: str, details: str,
             node_id: str | None = None) -> QTreeWidgetItem:
        item = QTreeWidgetItem([datetime.now().strftime("%H:%M:%S"), node, status, duration,
                                details])
        item.setToolTip(4, details)
        color = STATUS_COLORS.get(status)
        if color:
            item.setForeground(2, QBrush(QColor(color)))
        if node_id:
            item.setData(0, NODE_ROLE, node_id)
        self.tree.addTopLevelItem(item)
        self.tree.scrollToItem(item)
        return item

    def show_problems(self, workflow_name: str, problems: list[Problem]) -> None:
        self._add("", "refused", "",
                  f"{workflow_name}: {len(problems)} problem(s) — fix them, then run again")
        for p in problems:
            where = p.param or p.port
            self._add(p.node_id or "", "invalid", "",
                      f"{where}: {p.message}" if where else p.message, p.node_id)

    def run_started(self, workflow_name: str) -> None:
        self._add("", "running", "", f"Run of {workflow_name!r} started")

    def node_finished(self, run: NodeRun) -> None:
        if run.status == "failed":
            details = run.error or "failed"
        elif run.status == "skipped":
            details = run.skip_reason or "skipped"
        else:
            details = ", ".join(f"{k}={_short(v)}" for k, v in run.output_summary.items())
        duration = f"{run.duration_ms:.1f} ms" if run.status in ("succeeded", "failed") else ""
        self._add(run.node_id, run.status, duration, details, run.node_id)

    def run_finished(self, result: ExecutionResult) -> None:
        status = "succeeded" if result.ok else "failed"
        details = (f"{result.status}: {result.metrics.successful_nodes}/"
                   f"{result.metrics.total_nodes} nodes succeeded")
        if result.error:
            details += f" — {result.error}"
        self._add(result.failed_node or "", status,
                  f"{result.metrics.total_time_ms:.0f} ms", details, result.failed_node)

    def run_error(self, message: str) -> None:
        self._add("", "failed", "", message)

    def _clicked(self, item: QTreeWidgetItem) -> None:
        node_id = item.data(0, NODE_ROLE)
        if node_id:
            self.node_clicked.emit(node_id)


def _short(value: object) -> str:
    if isinstance(value, dict):
        for key in ("last", "last_close", "status", "balance"):
            if key in value:
                return _short(value[key])
        return "{…}"
    if isinstance(value, float):
        return f"{value:.5g}"
    text = str(value)
    return text if len(text) <= 40 else text[:39] + "…"
