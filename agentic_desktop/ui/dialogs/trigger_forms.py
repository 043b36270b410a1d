"""One form per trigger type for the schedule dialog. Each form turns its widgets into the
seed's `trigger_config` dict and back, and shows the errors the engine's own checks give
(the dialog validates; the forms only display). Timed forms also show the next fire times.

Price and indicator forms live in market_forms.py, the webhook form in webhook_form.py."""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from agentic_desktop.ui.dialogs.form_fields import ErrorForm, error_label, muted_label

CRON_PRESETS: tuple[tuple[str, str], ...] = (
    ("Every weekday at 09:00", "0 9 * * 1-5"),
    ("Every day at 09:00", "0 9 * * *"),
    ("Every hour", "0 * * * *"),
    ("Every 15 minutes", "*/15 * * * *"),
    ("Every 5 minutes", "*/5 * * * *"),
    ("Every Monday at 08:00", "0 8 * * 1"),
    ("First day of the month at 09:00", "0 9 1 * *"),
    ("Weekdays at market close, 17:00", "0 17 * * 1-5"),
)
CUSTOM = "Custom expression"


@cache
def zone_names() -> list[str]:
    return sorted(available_timezones())


def monospace() -> QFont:
    font = QFont("monospace")
    font.setStyleHint(QFont.StyleHint.TypeWriter)
    return font


class TriggerForm(QWidget):
    """Base: `config()` / `set_config()`, `show_errors({key: msg})`, `show_preview()`."""

    trigger_type = ""
    title = ""
    blurb = ""
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        intro = muted_label(self.blurb)
        self.layout_.addWidget(intro)
        self.form = ErrorForm()
        self.layout_.addLayout(self.form)
        self.general_error = error_label()
        self.layout_.addWidget(self.general_error)

    def finish(self) -> None:
        self.layout_.addStretch(1)

    def config(self) -> dict[str, Any]:
        return {}

    def set_config(self, config: dict[str, Any]) -> None:
        del config

    def show_errors(self, messages: dict[str, str]) -> None:
        """Messages keyed by trigger_config key ("" for the config as a whole)."""
        known = {k: v for k, v in messages.items() if k in self.form.errors}
        self.form.show_errors(known)
        rest = [f"{k}: {v}" if k else v for k, v in messages.items() if k not in known]
        self.general_error.setText("\n".join(rest))
        self.general_error.setVisible(bool(rest))

    def show_preview(self, fire_times: list[datetime], description: str) -> None:
        del fire_times, description

    def set_active(self, active: bool) -> None:
        """The form became (in)visible: start or stop its live refreshes."""
        del active

    def _emit(self, *_args: object) -> None:
        self.changed.emit()


class ZoneCombo(QComboBox):
    """Searchable IANA zone picker: type any part of the name ("york", "London")."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.addItems(zone_names())
        self.setMaxVisibleItems(16)
        completer = QCompleter(zone_names(), self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.setCompleter(completer)

    def zone(self) -> str:
        return self.currentText().strip()

    def set_zone(self, name: str) -> None:
        index = self.findText(name)
        if index >= 0:
            self.setCurrentIndex(index)
        self.setEditText(name)


class FireTimes(QLabel):
    """The next fire times in the schedule's zone and in local time."""

    def __init__(self, local_zone: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.local_zone = local_zone
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.times: list[datetime] = []

    def show_times(self, times: list[datetime], zone: str | None) -> None:
        self.times = list(times)
        if not times:
            self.setText("<i>No fire times to show.</i>")
            return
        local = ZoneInfo(self.local_zone)
        try:
            own = ZoneInfo(zone) if zone else local
        except (ValueError, KeyError, OSError):
            own = local
        head = zone or self.local_zone
        rows = [f"<tr><th align='left'>In {head}</th><th width='24'></th>"
                f"<th align='left'>Your time ({self.local_zone})</th></tr>"]
        for t in times:
            a, b = t.astimezone(own), t.astimezone(local)
            rows.append(f"<tr><td>{a:%a %d %b %Y  %H:%M} {a.tzname()}</td><td></td>"
                        f"<td>{b:%a %d %b  %H:%M} {b.tzname()}</td></tr>")
        self.setText(f"<table cellspacing='2'>{''.join(rows)}</table>")

    def clear_times(self, why: str) -> None:
        self.times = []
        self.setText(f"<i>{why}</i>")


class CronForm(TriggerForm):
    trigger_type = "cron"
    title = "Cron"
    blurb = ("Runs at set wall-clock times in a time zone, like every weekday at 09:00. "
             "Daylight-saving days are handled (no double or missing runs).")

    def __init__(self, default_zone: str, local_zone: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.preset = QComboBox()
        self.preset.addItem(CUSTOM)
        for label, expression in CRON_PRESETS:
            self.preset.addItem(f"{label}   ({expression})", expression)
        self.preset.activated.connect(self._preset_chosen)
        self.form.add_field("preset", "Preset", self.preset)
        self.expression = QLineEdit("0 9 * * 1-5")
        self.expression.setFont(monospace())
        self.expression.setPlaceholderText("minute hour day month weekday, e.g. 0 9 * * 1-5")
        self.expression.textChanged.connect(self._expression_changed)
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.form.add_field("cron_expression", "Expression", self.expression,
                            "5 fields (minute hour day-of-month month day-of-week), an "
                            "optional leading seconds field, or @hourly @daily @weekly")
        self.form.addRow("Means", self.description)
        self.zone = ZoneCombo()
        self.zone.set_zone(default_zone)
        self.zone.editTextChanged.connect(self._emit)
        self.form.add_field("timezone", "Time zone", self.zone)
        self.fire_times = FireTimes(local_zone)
        self.form.addRow("Next runs", self.fire_times)
        self._expression_changed(self.expression.text())
        self.finish()

    def _preset_chosen(self, index: int) -> None:
        expression = self.preset.itemData(index)
        if isinstance(expression, str):
            self.expression.setText(expression)

    def _expression_changed(self, text: str) -> None:
        match = self.preset.findData(text.strip())
        self.preset.setCurrentIndex(match if match >= 0 else 0)
        self.changed.emit()

    def config(self) -> dict[str, Any]:
        return {"cron_expression": self.expression.text().strip(), "timezone": self.zone.zone()}

    def set_config(self, config: dict[str, Any]) -> None:
        zone = config.get("timezone")
        if isinstance(zone, str):
            self.zone.set_zone(zone)
        self.expression.setText(str(config.get("cron_expression", "")))

    def show_errors(self, messages: dict[str, str]) -> None:
        super().show_errors(messages)
        if messages:
            self.description.setText("—")
            self.fire_times.clear_times("Fix the expression to see when it runs.")

    def show_preview(self, fire_times: list[datetime], description: str) -> None:
        self.description.setText(description)
        self.fire_times.show_times(fire_times, self.zone.zone())


_UNITS = (("minutes", "interval_minutes"), ("seconds", "interval_seconds"))


class IntervalForm(TriggerForm):
    trigger_type = "time"
    title = "Interval"
    blurb = "Runs again and again at a fixed interval, counted from when it is saved."

    def __init__(self, local_zone: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout()
        self.amount = QSpinBox()
        self.amount.setRange(1, 527_040)  # 366 days in minutes; the engine has the last word
        self.amount.setValue(15)
        self.amount.valueChanged.connect(self._emit)
        self.unit = QComboBox()
        for label, key in _UNITS:
            self.unit.addItem(label, key)
        self.unit.currentIndexChanged.connect(self._emit)
        row.addWidget(self.amount)
        row.addWidget(self.unit)
        row.addStretch(1)
        self.form.add_field("interval", "Every", row)
        self.description = QLabel()
        self.form.addRow("Means", self.description)
        self.fire_times = FireTimes(local_zone)
        self.form.addRow("Next runs", self.fire_times)
        self.finish()

    def config(self) -> dict[str, Any]:
        return {str(self.unit.currentData()): self.amount.value()}

    def set_config(self, config: dict[str, Any]) -> None:
        for index, (_label, key) in enumerate(_UNITS):
            value = config.get(key)
            if isinstance(value, int | float):
                self.unit.setCurrentIndex(index)
                self.amount.setValue(int(value))

    def show_errors(self, messages: dict[str, str]) -> None:
        mapped = {("interval" if k in ("interval_minutes", "interval_seconds", "") else k): v
                  for k, v in messages.items()}
        super().show_errors(mapped)
        if messages:
            self.fire_times.clear_times("Fix the interval to see when it runs.")

    def show_preview(self, fire_times: list[datetime], description: str) -> None:
        self.description.setText(description)
        self.fire_times.show_times(fire_times, None)


class ManualForm(TriggerForm):
    trigger_type = "manual"
    title = "Manual"
    blurb = ("Runs only when you start it: from the tray's Run menu, Run now in the "
             "Schedules view, or the local API. Nothing to configure.")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.finish()


_SIMPLE = re.compile(r"^\s*([A-Za-z_]+)\s*(>=|<=|==|!=|>|<|crosses_above|crosses_below)\s*"
                     r"(-?\d+(?:\.\d+)?)\s*$")


def split_simple(condition: str) -> tuple[str, str, float] | None:
    """(name, operator, number) when `condition` is that simple form."""
    match = _SIMPLE.match(condition)
    if match is None:
        return None
    return match.group(1), match.group(2), float(match.group(3))
