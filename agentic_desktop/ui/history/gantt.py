"""Per-node timeline of one execution: a Gantt bar per node from its start and duration,
coloured by status, in run order top to bottom (pyqtgraph)."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from agentic_desktop.domain.runs import ExecutionResult
from agentic_desktop.ui import theme
from agentic_desktop.ui.monitor.chart import apply_plot_colors
from agentic_desktop.ui.monitor.format import duration_text, status_hex

ROW_HEIGHT = 0.62


class GanttChart(pg.PlotWidget):  # type: ignore[misc]
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMenuEnabled(False)
        self.hideButtons()
        self.setMouseEnabled(x=True, y=False)
        self.getViewBox().invertY(True)
        self.setLabel("bottom", "ms since the first node started")
        self.showGrid(x=True, y=False, alpha=0.12)
        self.getAxis("left").setWidth(130)
        self.setProperty("chart_title", "Node timeline")
        self.bars: pg.BarGraphItem | None = None
        self.labels: list[pg.TextItem] = []
        self.rows: list[tuple[str, float, float, str]] = []  # node, start ms, ms, status
        apply_plot_colors(self)

    def show_result(self, result: ExecutionResult | None) -> None:
        self.clear()
        self.labels = []
        self.rows = []
        self.bars = None
        if result is None:
            return
        # From the first node's start: the run's own start includes writing its record.
        starts = [r.started_at for r in result.node_runs if r.started_at is not None]
        t0 = min(starts) if starts else result.started_at
        for run in result.node_runs:
            start = ((run.started_at - t0).total_seconds() * 1000.0
                     if run.started_at is not None else 0.0)
            self.rows.append((run.node_id, max(start, 0.0), run.duration_ms, run.status))
        self._draw()

    def restyle(self) -> None:
        apply_plot_colors(self)
        self.clear()
        self._draw()

    def _draw(self) -> None:
        if not self.rows:
            return
        c = theme.current_colors()
        end = max((s + d for _n, s, d, _st in self.rows), default=1.0) or 1.0
        least = end * 0.004  # a 0.05 ms node still shows as a sliver
        drawn = [(i, s, max(d, least), st) for i, (_n, s, d, st) in enumerate(self.rows)
                 if st != "skipped" and st != "pending"]
        if drawn:
            self.bars = pg.BarGraphItem(
                x0=[s for _i, s, _d, _st in drawn], width=[d for _i, _s, d, _st in drawn],
                y=[i for i, _s, _d, _st in drawn], height=ROW_HEIGHT,
                brushes=[pg.mkBrush(status_hex(st)) for _i, _s, _d, st in drawn],
                pens=[pg.mkPen(None) for _ in drawn])
            self.addItem(self.bars)
        for i, (_node, start, ms, status) in enumerate(self.rows):
            text = "skipped" if status == "skipped" else duration_text(ms)
            if status == "failed":
                text += " · failed"
            label = pg.TextItem(text, color=c.muted, anchor=(0, 0.5))
            label.setPos(start + max(ms, least) + end * 0.01, i)
            self.addItem(label)
            self.labels.append(label)
        self.getAxis("left").setTicks([[(i, n) for i, (n, _s, _d, _st) in enumerate(self.rows)]])
        self.setXRange(0, end * 1.25, padding=0.02)
        self.setYRange(-0.6, len(self.rows) - 0.4, padding=0)
