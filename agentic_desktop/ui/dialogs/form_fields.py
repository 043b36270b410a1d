"""Small building blocks shared by the schedule and settings dialogs: a form whose fields
show their own error under them, copyable read-only values, and fire-and-forget engine calls
from a widget (never a nested event loop, DESIGN.md §8)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

log = logging.getLogger(__name__)
# asyncio keeps only weak references to tasks: hold them until done, even when the widget
# that started one is closed first.
_RUNNING: set[asyncio.Future[Any]] = set()


def error_label() -> QLabel:
    label = QLabel()
    label.setObjectName("FieldError")
    label.setWordWrap(True)
    label.hide()
    return label


def muted_label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setObjectName("Muted")
    label.setWordWrap(True)
    return label


class ErrorForm(QFormLayout):
    """A QFormLayout whose fields are registered under a key; `show_errors({key: msg})`
    puts each message right under its field and hides the others."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.errors: dict[str, QLabel] = {}

    def add_field(self, key: str, label: str, widget: QWidget | QHBoxLayout,
                  hint: str = "") -> QLabel:
        box = QVBoxLayout()
        box.setSpacing(2)
        if isinstance(widget, QWidget):
            box.addWidget(widget)
        else:
            box.addLayout(widget)
        if hint:
            box.addWidget(muted_label(hint))
        err = error_label()
        box.addWidget(err)
        self.addRow(label, box)
        self.errors[key] = err
        return err

    def show_errors(self, messages: dict[str, str]) -> None:
        for key, label in self.errors.items():
            text = messages.get(key, "")
            label.setText(text)
            label.setVisible(bool(text))


def copy_to_clipboard(text: str) -> None:
    clipboard = QGuiApplication.clipboard()
    if clipboard is not None:
        clipboard.setText(text)


def copy_row(field: QLineEdit, *, secret: bool = False) -> tuple[QHBoxLayout, QPushButton]:
    """`field` read-only with a Copy button (and a Show toggle for secrets)."""
    field.setReadOnly(True)
    row = QHBoxLayout()
    row.addWidget(field, 1)
    if secret:
        field.setEchoMode(QLineEdit.EchoMode.Password)
        show = QPushButton("Show")
        show.setCheckable(True)
        show.toggled.connect(lambda on: (
            field.setEchoMode(QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password),
            show.setText("Hide" if on else "Show")))
        row.addWidget(show)
    button = QPushButton("Copy")
    button.setToolTip("Copy to the clipboard")

    def copy() -> None:
        copy_to_clipboard(field.text())
        button.setText("Copied")
        QTimer.singleShot(1500, button, lambda: button.setText("Copy"))  # dies with it

    button.clicked.connect(copy)
    row.addWidget(button)
    return row, button


def spawn(coro: Coroutine[Any, Any, Any], done: Callable[[Any], None],
          failed: Callable[[BaseException], None] | None = None) -> asyncio.Future[Any] | None:
    """Run engine work from a widget; `done`/`failed` run on the GUI thread afterwards.
    Without a running asyncio loop (a bare widget test) the work is dropped."""
    try:
        future = asyncio.ensure_future(coro)
    except RuntimeError:
        coro.close()
        return None

    def finished(f: asyncio.Future[Any]) -> None:
        _RUNNING.discard(f)
        if f.cancelled():
            return
        exc = f.exception()
        try:
            if exc is None:
                done(f.result())
            elif failed is not None:
                failed(exc)
            else:
                log.warning("background view update failed: %s", exc)
        except RuntimeError as gone:  # the widget was closed while the work ran
            log.debug("result dropped: %s", gone)

    _RUNNING.add(future)
    future.add_done_callback(finished)
    return future
