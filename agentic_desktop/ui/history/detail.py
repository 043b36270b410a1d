"""Detail pane of one execution: summary line, per-node timeline, each node's outputs and
error, the trigger payload, and the orders it placed.

Orders are found by their client_order_id, which the executor derives from the run's
idempotency key and the order node's id (engine.executor.client_order_id): the ids recorded
in the order nodes' outputs, refreshed with the broker's current state of each order."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from agentic_desktop.domain.runs import ExecutionResult
from agentic_desktop.domain.trading import Order
from agentic_desktop.engine.executor import client_order_id
from agentic_desktop.ui.empty_state import EmptyState
from agentic_desktop.ui.history.gantt import GanttChart
from agentic_desktop.ui.monitor.format import (
    duration_text,
    local_time,
    status_color,
    status_hex,
    status_text,
)

ORDER_COLUMNS = ("Node", "Client order id", "Symbol", "Side", "Volume", "Type", "Status",
                 "Fill price", "Reason")


@dataclass(frozen=True, kw_only=True)
class PlacedOrder:
    node_id: str
    client_order_id: str
    symbol: str
    side: str
    volume: float
    type: str
    status: str
    fill_price: float | None
    reason: str


def _order_dicts(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        if "client_order_id" in value:
            yield value
        else:
            for item in value.values():
                yield from _order_dicts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _order_dicts(item)


def orders_of(result: ExecutionResult, recent: list[Order]) -> list[PlacedOrder]:
    """The run's orders: from its order nodes' outputs, plus any order in the broker's recent
    orders whose id derives from this run's key (a retry that found its order placed)."""
    live = {o.client_order_id: o for o in recent}
    prefixes = {client_order_id(result.idempotency_key, r.node_id): r.node_id
                for r in result.node_runs if r.node_type.startswith("order.")}
    found: dict[str, PlacedOrder] = {}
    for run in result.node_runs:
        for d in _order_dicts(run.output_summary):
            cid = str(d["client_order_id"])
            now = live.get(cid)
            found[cid] = PlacedOrder(
                node_id=run.node_id, client_order_id=cid, symbol=str(d.get("symbol", "")),
                side=str(d.get("side", "")), volume=float(d.get("volume") or 0.0),
                type=str(d.get("type", "")), status=now.status if now else str(d.get("status")),
                fill_price=now.fill_price if now else d.get("fill_price"),
                reason=(now.reason if now else str(d.get("reason") or "")),
            )
    for cid, order in live.items():
        node = prefixes.get(cid.split(":", 1)[0])
        if node is not None and cid not in found:
            found[cid] = PlacedOrder(
                node_id=node, client_order_id=cid, symbol=order.symbol, side=order.side,
                volume=order.volume, type=order.type, status=order.status,
                fill_price=order.fill_price, reason=order.reason)
    return list(found.values())


def _short(value: Any) -> str:
    text = json.dumps(value, default=str, separators=(", ", ": "))
    return text if len(text) <= 160 else text[:157] + "…"


class ExecutionDetail(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.result: ExecutionResult | None = None
        self.orders: list[PlacedOrder] = []
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.gantt = GanttChart()
        self.nodes = QTreeWidget()
        self.nodes.setHeaderLabels(["Node", "Type", "Status", "Duration", "Output / error"])
        self.nodes.setAlternatingRowColors(True)
        self.nodes.setUniformRowHeights(True)
        for col, width in enumerate((110, 140, 84, 70)):
            self.nodes.setColumnWidth(col, width)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.payload = QPlainTextEdit()
        self.payload.setReadOnly(True)
        self.payload.setFont(mono)
        self.order_table = QTableWidget(0, len(ORDER_COLUMNS))
        self.order_table.setHorizontalHeaderLabels(ORDER_COLUMNS)
        self.order_table.verticalHeader().hide()
        self.order_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.order_table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.order_table.horizontalHeader().setStretchLastSection(True)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.gantt, "Timeline")
        self.tabs.addTab(self.nodes, "Nodes")
        self.tabs.addTab(self.payload, "Trigger payload")
        self.tabs.addTab(self.order_table, "Orders")
        content = QWidget()
        inner = QVBoxLayout(content)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.addWidget(self.summary)
        inner.addWidget(self.tabs, 1)
        self.placeholder = EmptyState("No execution selected",
                                      "Select a run in the table to see its node timeline, "
                                      "outputs and errors, trigger payload and orders.")
        self.placeholder.findChild(QWidget).setFixedWidth(300)  # type: ignore[union-attr]
        self.stack = QStackedWidget()
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

    def clear(self) -> None:
        self.result = None
        self.orders = []
        self.gantt.show_result(None)
        self.stack.setCurrentWidget(self.placeholder)

    def show_execution(self, result: ExecutionResult, orders: list[PlacedOrder]) -> None:
        self.result, self.orders = result, orders
        self.stack.setCurrentIndex(1)
        self._fill_summary(result)
        self.gantt.show_result(result)
        self._fill_nodes(result)
        self.payload.setPlainText(json.dumps(result.payload, indent=2, default=str)
                                  if result.payload else "(no payload: started by hand or by "
                                  "a timer)")
        self._fill_orders(orders)
        self.tabs.setTabText(3, f"Orders ({len(orders)})")

    def restyle(self) -> None:
        self.gantt.restyle()
        if self.result is not None:
            self._fill_summary(self.result)

    def _fill_summary(self, r: ExecutionResult) -> None:
        ms = r.metrics.total_time_ms or (r.finished_at - r.started_at).total_seconds() * 1000
        error = ""
        if r.error:
            error = (f"<br><span style='color:{status_hex('failed')}'>"
                     f"{_html(r.error)}</span>")
        self.summary.setText(
            f"<b>{_html(r.workflow_name)}</b> · run {r.execution_id} · "
            f"<b style='color:{status_hex(r.status)}'>{status_text(r.status)}</b> · "
            f"{duration_text(ms)} · {r.trigger} · started {local_time(r.started_at)} · "
            f"{r.metrics.successful_nodes}/{r.metrics.total_nodes} nodes ok · "
            f"{r.metrics.memory_used_mb:.1f} MB{error}")

    def _fill_nodes(self, r: ExecutionResult) -> None:
        self.nodes.clear()
        bold = QFont()
        bold.setBold(True)
        for run in r.node_runs:
            detail = run.error or run.skip_reason or ""
            item = QTreeWidgetItem([run.node_id, run.node_type, status_text(run.status),
                                    duration_text(run.duration_ms) if run.started_at else "—",
                                    detail or _short(run.output_summary)])
            item.setForeground(2, status_color(run.status))
            item.setFont(2, bold)
            if run.error:
                item.setForeground(4, status_color("failed"))
            item.setToolTip(4, detail or json.dumps(run.output_summary, indent=2, default=str))
            for port, value in run.output_summary.items():
                child = QTreeWidgetItem(["", f"→ {port}", "", "", _short(value)])
                child.setToolTip(4, json.dumps(value, indent=2, default=str))
                item.addChild(child)
            self.nodes.addTopLevelItem(item)
        if len(r.node_runs) <= 20:
            self.nodes.expandAll()

    def _fill_orders(self, orders: list[PlacedOrder]) -> None:
        self.order_table.setRowCount(len(orders))
        for row, o in enumerate(orders):
            cells = (o.node_id, o.client_order_id, o.symbol, o.side, f"{o.volume:g}", o.type,
                     o.status, "—" if o.fill_price is None else f"{o.fill_price:g}", o.reason)
            for col, text in enumerate(cells):
                self.order_table.setItem(row, col, QTableWidgetItem(text))


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
