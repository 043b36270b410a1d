"""Performance charts from execution_metrics (pyqtgraph): execution time over time, success
rate per day, and average time per node type, for the history's current filter."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtWidgets import QHBoxLayout, QWidget

from agentic_desktop.engine.ports import DailyOutcomes, DurationPoint, NodeTypeTime
from agentic_desktop.ui.monitor.chart import apply_plot_colors, styled_plot
from agentic_desktop.ui.monitor.format import status_hex

MAX_NODE_TYPES = 8


@dataclass(frozen=True, kw_only=True)
class MetricsData:
    durations: list[DurationPoint]
    days: list[DailyOutcomes]
    node_types: list[NodeTypeTime]


class MetricsCharts(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data: MetricsData | None = None
        self.time_plot = styled_plot("Execution time (ms)")
        self.rate_plot = styled_plot("Success rate per day (%)", date_axis=False)
        self.node_plot = styled_plot("Average time per node type (ms)", date_axis=False)
        self.node_plot.getAxis("left").setWidth(120)
        self.node_plot.getViewBox().invertY(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        for plot in (self.time_plot, self.rate_plot, self.node_plot):
            plot.setMinimumHeight(170)
            layout.addWidget(plot, 1)

    def restyle(self) -> None:
        for plot in (self.time_plot, self.rate_plot, self.node_plot):
            apply_plot_colors(plot)
        if self.data is not None:
            self.show_data(self.data)

    def show_data(self, data: MetricsData) -> None:
        self.data = data
        self._durations(data.durations)
        self._days(data.days)
        self._node_types(data.node_types)

    def _durations(self, points: list[DurationPoint]) -> None:
        plot = self.time_plot
        plot.clear()
        if not points:
            return
        xs = [p.started_at.timestamp() for p in points]
        ys = [p.total_time_ms for p in points]
        window = max(len(ys) // 40, 5)
        trend = [statistics.median(ys[max(0, i - window):i + 1]) for i in range(len(ys))]
        bad = [(x, y) for x, y, p in zip(xs, ys, points, strict=True) if p.status != "completed"]
        good = [(x, y) for x, y, p in zip(xs, ys, points, strict=True) if p.status == "completed"]
        size = 5 if len(points) < 300 else 3
        for pts, status in ((good, "completed"), (bad, "failed")):
            if pts:
                brush = pg.mkColor(status_hex(status))
                brush.setAlpha(150)
                plot.plot([x for x, _ in pts], [y for _, y in pts], pen=None, symbol="o",
                          symbolSize=size, symbolBrush=brush, symbolPen=None)
        plot.plot(xs, trend, pen=pg.mkPen(status_hex("running"), width=2))
        span = max(xs[-1] - xs[0], 60.0)
        plot.setXRange(xs[0] - span * 0.02, xs[-1] + span * 0.02, padding=0)
        plot.setYRange(0, max(ys) * 1.15 or 1.0, padding=0)

    def _days(self, days: list[DailyOutcomes]) -> None:
        plot = self.rate_plot
        plot.clear()
        if not days:
            return
        rates = [100.0 * d.completed / d.total if d.total else 0.0 for d in days]
        brushes = [pg.mkBrush(status_hex("completed" if r >= 90 else "timed_out" if r >= 60
                                         else "failed")) for r in rates]
        plot.addItem(pg.BarGraphItem(x=list(range(len(days))), height=rates, width=0.7,
                                     brushes=brushes, pens=[pg.mkPen(None)] * len(days)))
        step = max(len(days) // 6, 1)
        plot.getAxis("bottom").setTicks([[(i, d.day[5:]) for i, d in enumerate(days)
                                          if i % step == 0 or i == len(days) - 1]])
        plot.setXRange(-0.6, len(days) - 0.4, padding=0)
        plot.setYRange(0, 105, padding=0)

    def _node_types(self, rows: list[NodeTypeTime]) -> None:
        plot = self.node_plot
        plot.clear()
        rows = rows[:MAX_NODE_TYPES]
        if not rows:
            return
        plot.addItem(pg.BarGraphItem(x0=[0] * len(rows), y=list(range(len(rows))),
                                     width=[r.avg_ms for r in rows], height=0.6,
                                     brush=pg.mkBrush(status_hex("running")), pen=None))
        plot.getAxis("left").setTicks([[(i, r.node_type) for i, r in enumerate(rows)]])
        plot.setYRange(-0.6, len(rows) - 0.4, padding=0)
        plot.setXRange(0, max(r.avg_ms for r in rows) * 1.1 or 1.0, padding=0)
