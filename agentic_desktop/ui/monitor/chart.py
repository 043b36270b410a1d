"""pyqtgraph charts of the queue over the last hour: depth (waiting jobs, a step line) and
throughput (finished jobs per minute, bars). Imported lazily: pyqtgraph costs start-up time."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pyqtgraph as pg
from PySide6.QtWidgets import QHBoxLayout, QWidget

from agentic_desktop.ui import theme
from agentic_desktop.ui.monitor.series import BIN_SECONDS, QueueSeries


def styled_plot(title: str, *, date_axis: bool = True) -> pg.PlotWidget:
    axis = {"bottom": pg.DateAxisItem(orientation="bottom")} if date_axis else {}
    plot = pg.PlotWidget(axisItems=axis)
    plot.setMenuEnabled(False)
    plot.setMouseEnabled(x=False, y=False)
    plot.hideButtons()
    plot.showGrid(x=False, y=True, alpha=0.15)
    plot.setProperty("chart_title", title)
    apply_plot_colors(plot)
    return plot


def apply_plot_colors(plot: pg.PlotWidget) -> None:
    c = theme.current_colors()
    plot.setBackground(c.base)
    title = plot.property("chart_title") or ""
    plot.setTitle(f"<span style='color:{c.text};font-size:9pt'>{title}</span>")
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(c.border))
        axis.setTextPen(pg.mkPen(c.muted))


class QueueChart(QWidget):
    def __init__(self, series: QueueSeries, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.series = series
        self.depth_plot = styled_plot("Queue depth (waiting jobs), last hour")
        self.rate_plot = styled_plot("Throughput (finished jobs per minute), last hour")
        for plot in (self.depth_plot, self.rate_plot):
            plot.setMinimumHeight(150)
            plot.getAxis("left").setWidth(36)
            plot.getViewBox().setLimits(yMin=0)
        self.depth_curve = self.depth_plot.plot([], [], fillLevel=0)
        self.rate_bars = pg.BarGraphItem(x0=[], width=BIN_SECONDS * 0.8, height=[])
        self.rate_plot.addItem(self.rate_bars)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(self.depth_plot)
        layout.addWidget(self.rate_plot)
        self.restyle()

    def restyle(self) -> None:
        c = theme.current_colors()
        for plot in (self.depth_plot, self.rate_plot):
            apply_plot_colors(plot)
        accent = pg.mkColor(c.highlight)
        fill = pg.mkColor(c.highlight)
        fill.setAlpha(60)
        self.depth_curve.setPen(pg.mkPen(accent, width=2))
        self.depth_curve.setBrush(pg.mkBrush(fill))
        green = "#3fb950" if c.name == "dark" else "#1a7f37"
        self.rate_bars.setOpts(brush=pg.mkBrush(green), pen=pg.mkPen(None))
        self.redraw()

    def redraw(self, now: datetime | None = None) -> None:
        now = now or datetime.now(UTC)
        xs, ys = self.series.depth_steps(now)
        self.depth_curve.setData(xs, ys)
        bins, counts = self.series.throughput(now)
        self.rate_bars.setOpts(x0=bins, height=counts, width=BIN_SECONDS * 0.8)
        start, end = now.timestamp() - self.series.window, now.timestamp()
        top_depth = max(ys, default=0)
        top_rate = max(counts, default=0)
        self.depth_plot.setXRange(start, end, padding=0)
        self.rate_plot.setXRange(start, end, padding=0)
        for plot, top in ((self.depth_plot, top_depth), (self.rate_plot, top_rate)):
            limit = max(math.ceil(top * 1.2), 4)
            plot.setYRange(0, limit, padding=0)
            step = max(math.ceil(limit / 4), 1)  # counts: whole-number ticks
            plot.getAxis("left").setTickSpacing(step, step)
