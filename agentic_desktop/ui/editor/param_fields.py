"""One form field per ParamSpec kind. Each field shows a value, reports edits through
`on_change(value)`, and can be refreshed from the model without echoing an edit back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

from agentic_desktop.domain.nodespec import TIMEFRAMES, ParamSpec

INT_LIMIT = 2_000_000_000
FLOAT_LIMIT = 1e12
OnChange = Callable[[Any], None]


class ParamField:
    def __init__(self, spec: ParamSpec, widget: QWidget) -> None:
        self.spec = spec
        self.widget = widget
        widget.setToolTip(spec.help)

    def set_value(self, value: Any) -> None:
        with QSignalBlocker(self.widget):
            self._show(value)

    def _show(self, value: Any) -> None:
        raise NotImplementedError


class IntField(ParamField):
    def __init__(self, spec: ParamSpec, on_change: OnChange) -> None:
        box = QSpinBox()
        box.setRange(int(spec.minimum) if spec.minimum is not None else -INT_LIMIT,
                     int(spec.maximum) if spec.maximum is not None else INT_LIMIT)
        box.setKeyboardTracking(False)  # one edit per committed number, not per keystroke
        super().__init__(spec, box)
        box.valueChanged.connect(on_change)

    def _show(self, value: Any) -> None:
        if isinstance(value, int) and not isinstance(value, bool):
            self.widget.setValue(value)  # type: ignore[attr-defined]


class FloatField(ParamField):
    def __init__(self, spec: ParamSpec, on_change: OnChange) -> None:
        box = QDoubleSpinBox()
        box.setDecimals(5)
        box.setRange(spec.minimum if spec.minimum is not None else -FLOAT_LIMIT,
                     spec.maximum if spec.maximum is not None else FLOAT_LIMIT)
        box.setKeyboardTracking(False)
        super().__init__(spec, box)
        box.valueChanged.connect(lambda v: on_change(float(v)))

    def _show(self, value: Any) -> None:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            self.widget.setValue(float(value))  # type: ignore[attr-defined]


class BoolField(ParamField):
    def __init__(self, spec: ParamSpec, on_change: OnChange) -> None:
        box = QCheckBox()
        super().__init__(spec, box)
        box.toggled.connect(on_change)

    def _show(self, value: Any) -> None:
        self.widget.setChecked(bool(value))  # type: ignore[attr-defined]


class ChoiceField(ParamField):
    def __init__(self, spec: ParamSpec, options: list[str], on_change: OnChange, *,
                 editable: bool = False) -> None:
        box = QComboBox()
        box.setEditable(editable)
        box.addItems(options)
        super().__init__(spec, box)
        if editable:
            box.currentTextChanged.connect(lambda t: on_change(t.strip() or None))
        else:
            box.currentTextChanged.connect(on_change)

    def _show(self, value: Any) -> None:
        box: QComboBox = self.widget  # type: ignore[assignment]
        text = "" if value is None else str(value)
        if box.findText(text) < 0 and text:
            box.addItem(text)  # keep an unknown value visible so its error makes sense
        box.setCurrentText(text)


class LineField(ParamField):
    def __init__(self, spec: ParamSpec, on_change: OnChange, *, as_list: bool = False) -> None:
        edit = QLineEdit()
        if as_list:
            edit.setPlaceholderText("comma-separated")
        super().__init__(spec, edit)
        self.as_list = as_list
        edit.textEdited.connect(lambda t: on_change(self._parse(t)))

    def _parse(self, text: str) -> Any:
        if self.as_list:
            return [part.strip() for part in text.split(",") if part.strip()]
        return text

    def _show(self, value: Any) -> None:
        edit: QLineEdit = self.widget  # type: ignore[assignment]
        if isinstance(value, list):
            text = ", ".join(value)
        else:
            text = "" if value is None else str(value)
        if edit.text() != text:
            edit.setText(text)


class TextField(ParamField):
    def __init__(self, spec: ParamSpec, on_change: OnChange) -> None:
        edit = QPlainTextEdit()
        edit.setFixedHeight(72)
        super().__init__(spec, edit)
        edit.textChanged.connect(lambda: on_change(edit.toPlainText()))

    def _show(self, value: Any) -> None:
        edit: QPlainTextEdit = self.widget  # type: ignore[assignment]
        text = "" if value is None else str(value)
        if edit.toPlainText() != text:
            edit.setPlainText(text)


def make_field(spec: ParamSpec, symbols: list[str], on_change: OnChange) -> ParamField:
    kind = spec.kind
    if kind == "int":
        return IntField(spec, on_change)
    if kind == "float":
        return FloatField(spec, on_change)
    if kind == "bool":
        return BoolField(spec, on_change)
    if kind == "choice":
        return ChoiceField(spec, list(spec.choices), on_change)
    if kind == "timeframe":
        return ChoiceField(spec, list(TIMEFRAMES), on_change)
    if kind == "symbol":
        return ChoiceField(spec, symbols, on_change, editable=True)
    if kind == "text":
        return TextField(spec, on_change)
    return LineField(spec, on_change, as_list=kind == "list")
