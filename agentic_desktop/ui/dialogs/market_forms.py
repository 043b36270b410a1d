"""Price and indicator trigger forms: they watch the market, so each shows the live value
its condition is compared with (quotes refreshed every few seconds; indicators computed on
closed candles in a worker thread, never on the GUI thread)."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from agentic_desktop.domain.errors import UserError
from agentic_desktop.domain.nodespec import TIMEFRAMES
from agentic_desktop.domain.schedule import ScheduleError
from agentic_desktop.engine.ports import MarketData
from agentic_desktop.ui.dialogs.form_fields import spawn
from agentic_desktop.ui.dialogs.trigger_forms import TriggerForm, monospace, split_simple

OPERATORS = (
    (">", "is above  (>)"), (">=", "is at or above  (>=)"), ("<", "is below  (<)"),
    ("<=", "is at or below  (<=)"), ("crosses_above", "crosses above"),
    ("crosses_below", "crosses below"),
)
SOURCES = (("mid", "mid (between bid and ask)"), ("bid", "bid"), ("ask", "ask"),
           ("last", "last traded"))
QUOTE_REFRESH_MS = 2000
INDICATOR_REFRESH_MS = 15000
_INTEGER_PARAMS = frozenset({"period", "fast_period", "slow_period", "signal_period"})
_LABELS = {"rsi": "RSI", "sma": "SMA (simple moving average)",
           "ema": "EMA (exponential moving average)", "macd": "MACD",
           "bbands": "Bollinger bands"}


def _fmt(value: float) -> str:
    return f"{value:.10f}".rstrip("0").rstrip(".") if math.isfinite(value) else "n/a"


def _combo(items: tuple[tuple[str, str], ...] | list[tuple[str, str]]) -> QComboBox:
    combo = QComboBox()
    for data, label in items:
        combo.addItem(label, data)
    return combo


def _select(combo: QComboBox, data: object) -> None:
    index = combo.findData(data)
    if index < 0 and isinstance(data, str):
        combo.addItem(data, data)
        index = combo.count() - 1
    combo.setCurrentIndex(index)


class _MarketForm(TriggerForm):
    """Symbol picker, condition builder (operator + value → condition text) and the live
    value label shared by the price and indicator forms."""

    refresh_ms = QUOTE_REFRESH_MS

    def __init__(self, market: MarketData, symbols: Callable[[], list[str]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.market = market
        self.symbol = _combo([(s, s) for s in symbols()])
        self.form.add_field("symbol", "Symbol", self.symbol)
        self.operator = _combo(OPERATORS)
        self.value = QDoubleSpinBox()
        self.value.setRange(-1e9, 1e9)
        self.value.setDecimals(5)
        self.condition = QLineEdit()
        self.condition.setFont(monospace())
        self.live = QLabel("…")
        self.live.setWordWrap(True)
        self.timer = QTimer(self)
        self.timer.setInterval(self.refresh_ms)
        self.timer.timeout.connect(self.refresh)
        self._pending: asyncio.Future[Any] | None = None

    def _builder_row(self, first: QWidget) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(first)
        row.addWidget(self.operator)
        row.addWidget(self.value, 1)
        for widget in (first, self.operator):
            widget.currentIndexChanged.connect(self._build_condition)  # type: ignore[attr-defined]
        self.value.valueChanged.connect(self._build_condition)
        self.condition.textChanged.connect(self._emit)
        self.symbol.currentIndexChanged.connect(self._symbol_changed)
        return row

    def _left_name(self) -> str:
        raise NotImplementedError

    def _build_condition(self, *_args: object) -> None:
        self.condition.setText(f"{self._left_name()} {self.operator.currentData()} "
                               f"{_fmt(self.value.value())}")

    def _adopt_condition(self, text: str, names: tuple[str, ...], first: QComboBox) -> None:
        """Fill the builder from a saved condition when it has the simple form."""
        self.condition.setText(text)
        simple = split_simple(text)
        if simple is None or simple[0] not in names:
            return
        for widget in (first, self.operator, self.value):
            widget.blockSignals(True)
        _select(first, simple[0])
        _select(self.operator, simple[1])
        self.value.setValue(simple[2])
        for widget in (first, self.operator, self.value):
            widget.blockSignals(False)

    def _symbol_changed(self, *_args: object) -> None:
        try:
            digits = self.market.symbol_info(self.symbol.currentText()).digits
        except UserError:
            digits = 5
        self.value.setDecimals(max(digits, 2))
        self.changed.emit()
        self.refresh()

    def set_active(self, active: bool) -> None:
        if active:
            self.refresh()
            self.timer.start()
        else:
            self.timer.stop()

    def refresh(self) -> None:
        raise NotImplementedError

    def _start(self, coro: Any, done: Callable[[Any], None]) -> None:
        if self._pending is not None and not self._pending.done():
            self._pending.cancel()  # the settings changed: only the newest answer counts
        self._pending = spawn(coro, done, lambda exc: self.live.setText(
            f"Not available: {exc}"))


class PriceForm(_MarketForm):
    trigger_type = "price"
    title = "Price"
    blurb = ("Runs when a price crosses a level you set (fires once when the condition "
             "becomes true, again only after it was false). Never acts on a stale quote.")

    def __init__(self, market: MarketData, symbols: Callable[[], list[str]],
                 parent: QWidget | None = None) -> None:
        super().__init__(market, symbols, parent)
        self.source = _combo(SOURCES)
        self.source.currentIndexChanged.connect(self._emit)
        self.source.currentIndexChanged.connect(self.refresh)
        self.form.add_field("source", "Price source", self.source)
        self.price_name = _combo([("price", "price")])
        self.price_name.setEnabled(False)
        self.form.add_field("builder", "When", self._builder_row(self.price_name))
        self.form.add_field("condition", "Condition", self.condition,
                            "Built from the line above; edit it for compound conditions "
                            "like 'bid > 1.1 and ask < 1.2'")
        self.check = QDoubleSpinBox()
        self.check.setRange(1, 86_400)
        self.check.setValue(5)
        self.check.setSuffix(" s")
        self.check.valueChanged.connect(self._emit)
        self.form.add_field("check_interval", "Check every", self.check)
        self.hysteresis = QDoubleSpinBox()
        self.hysteresis.setRange(0, 1e6)
        self.hysteresis.setDecimals(5)
        self.hysteresis.setSpecialValueText("none")
        self.hysteresis.valueChanged.connect(self._emit)
        self.form.add_field("hysteresis", "Re-arm margin", self.hysteresis,
                            "Price must move back this far before it can fire again")
        self.form.addRow("Current price", self.live)
        self._symbol_changed()
        self._build_condition()
        self.finish()

    def _left_name(self) -> str:
        return "price"

    def config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"symbol": self.symbol.currentText(),
                                  "condition": self.condition.text().strip(),
                                  "check_interval": self.check.value()}
        if self.source.currentData() != "mid":
            config["source"] = self.source.currentData()
        if self.hysteresis.value() > 0:
            config["hysteresis"] = self.hysteresis.value()
        return config

    def set_config(self, config: dict[str, Any]) -> None:
        _select(self.symbol, config.get("symbol"))
        _select(self.source, config.get("source", "mid"))
        check = config.get("check_interval")
        if isinstance(check, int | float):
            self.check.setValue(float(check))
        hysteresis = config.get("hysteresis")
        self.hysteresis.setValue(float(hysteresis) if isinstance(hysteresis, int | float)
                                 else 0.0)
        self._adopt_condition(str(config.get("condition", "")), ("price",), self.price_name)

    def refresh(self) -> None:
        symbol, source = self.symbol.currentText(), str(self.source.currentData())
        if not symbol:
            self.live.setText("No symbols: import candles first.")
            return

        def show(quote: Any) -> None:
            price = quote.price(source)
            self.live.setText(f"<b>{_fmt(price)}</b> {source}   ·   bid {_fmt(quote.bid)} / "
                              f"ask {_fmt(quote.ask)}   ·   {quote.time:%H:%M:%S} UTC")
            if self.value.value() == 0:
                self.value.setValue(price)

        self._start(self.market.quote(symbol), show)


class IndicatorForm(_MarketForm):
    trigger_type = "indicator"
    title = "Indicator"
    blurb = ("Runs when an indicator signal happens on closed candles, like RSI dropping "
             "below 30 on H1. Evaluated once per new bar.")
    refresh_ms = INDICATOR_REFRESH_MS

    def __init__(self, market: MarketData, symbols: Callable[[], list[str]],
                 parent: QWidget | None = None) -> None:
        super().__init__(market, symbols, parent)
        from agentic_desktop.engine.triggers.indicator import INDICATORS

        self.indicators = INDICATORS
        self.timeframe = _combo([(tf, tf) for tf in TIMEFRAMES])
        self.timeframe.setCurrentIndex(TIMEFRAMES.index("H1"))
        self.timeframe.currentIndexChanged.connect(self._emit)
        self.timeframe.currentIndexChanged.connect(self.refresh)
        self.form.add_field("timeframe", "Timeframe", self.timeframe)
        self.indicator = _combo([(k, _LABELS.get(k, k)) for k in INDICATORS])
        self.form.add_field("indicator", "Indicator", self.indicator)
        self.params_row = QFormLayout()
        self.params_box = QWidget()
        self.params_box.setLayout(self.params_row)
        self.param_fields: dict[str, QSpinBox | QDoubleSpinBox] = {}
        self.form.add_field("params", "Parameters", self.params_box)
        self.output = QComboBox()
        self.form.add_field("builder", "When", self._builder_row(self.output))
        self.form.add_field("condition", "Condition", self.condition,
                            "Names: the indicator's outputs and close; e.g. "
                            "'macd crosses_above signal'")
        self.check = QDoubleSpinBox()
        self.check.setRange(1, 86_400)
        self.check.setValue(5)
        self.check.setSuffix(" s")
        self.check.valueChanged.connect(self._emit)
        self.form.add_field("check_interval", "Check every", self.check)
        self.form.addRow("Current value", self.live)
        self.debounce = QTimer(self)
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(400)
        self.debounce.timeout.connect(self.refresh)
        self.changed.connect(self.debounce.start)
        self.indicator.currentIndexChanged.connect(self._indicator_changed)
        self._indicator_changed()
        self._symbol_changed()
        self.value.setValue(30)
        self.finish()

    def _indicator_changed(self, *_args: object) -> None:
        name = str(self.indicator.currentData())
        outputs, defaults = self.indicators[name]
        while self.params_row.rowCount():
            self.params_row.removeRow(0)
        self.param_fields = {}
        for key, default in defaults.items():
            field: QSpinBox | QDoubleSpinBox
            if key in _INTEGER_PARAMS:
                field = QSpinBox()
                field.setRange(1, 1000)
            else:
                field = QDoubleSpinBox()
                field.setRange(0, 10)
                field.setDecimals(2)
            field.setValue(default)  # type: ignore[arg-type]
            field.valueChanged.connect(self._emit)
            self.params_row.addRow(key.replace("_", " "), field)
            self.param_fields[key] = field
        self.output.blockSignals(True)
        self.output.clear()
        for out in (*outputs, "close"):
            self.output.addItem(out, out)
        self.output.blockSignals(False)
        self._build_condition()

    def _left_name(self) -> str:
        return str(self.output.currentData() or "close")

    def config(self) -> dict[str, Any]:
        params = {k: (int(f.value()) if isinstance(f, QSpinBox) else f.value())
                  for k, f in self.param_fields.items()}
        return {"symbol": self.symbol.currentText(), "timeframe": self.timeframe.currentData(),
                "indicator": self.indicator.currentData(), "params": params,
                "condition": self.condition.text().strip(),
                "check_interval": self.check.value()}

    def set_config(self, config: dict[str, Any]) -> None:
        _select(self.symbol, config.get("symbol"))
        _select(self.timeframe, config.get("timeframe", "H1"))
        _select(self.indicator, str(config.get("indicator", "rsi")).lower())
        params = config.get("params")
        if isinstance(params, dict):
            for key, value in params.items():
                if key in self.param_fields and isinstance(value, int | float):
                    self.param_fields[key].setValue(value)  # type: ignore[arg-type]
        check = config.get("check_interval")
        if isinstance(check, int | float):
            self.check.setValue(float(check))
        names = (*self.indicators[str(self.indicator.currentData())][0], "close")
        self._adopt_condition(str(config.get("condition", "")), names, self.output)

    def refresh(self) -> None:
        from agentic_desktop.engine.triggers.indicator import compute, parse_indicator_trigger

        try:
            cond = parse_indicator_trigger(self.config())
        except ScheduleError:
            self.live.setText("—")
            return

        async def evaluate() -> tuple[dict[str, float], int, int]:
            candles = await self.market.candles(cond.symbol, cond.timeframe, cond.lookback)
            close = candles.close
            series = await asyncio.to_thread(compute, cond, close)
            last = {name: float(values[-1]) for name, values in series.items()}
            last["close"] = float(close[-1]) if len(close) else math.nan
            return last, int(candles.time[-1]) if len(candles) else 0, len(candles)

        def show(result: tuple[dict[str, float], int, int]) -> None:
            values, bar, count = result
            if count == 0:
                self.live.setText("No closed candles for this symbol and timeframe.")
                return
            from datetime import UTC, datetime

            opened = datetime.fromtimestamp(bar, UTC)
            text = "   ".join(f"{k} <b>{_fmt(round(v, 6))}</b>" for k, v in values.items())
            self.live.setText(f"{text}<br><span>last closed {cond.timeframe} bar opened "
                              f"{opened:%d %b %H:%M} UTC ({count} bars)</span>")

        self._start(evaluate(), show)
