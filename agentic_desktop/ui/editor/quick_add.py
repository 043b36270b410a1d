"""Quick-add: a small search popup at the cursor (Tab or double-click on the canvas). Type to
filter, arrows to choose, Enter to add; Escape closes."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtWidgets import QFrame, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from agentic_desktop.engine.ports import NodeCatalog
from agentic_desktop.ui.editor.colors import category_color
from agentic_desktop.ui.editor.palette import TYPE_ROLE, matches, swatch


class QuickAddPopup(QFrame):
    chosen = Signal(str)

    def __init__(self, catalog: NodeCatalog, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.catalog = catalog
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.search = QLineEdit(placeholderText="Add node…")
        self.results = QListWidget()
        self.results.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.results)
        self.resize(300, 320)
        self.search.textChanged.connect(self.refresh)
        self.search.installEventFilter(self)
        self.results.itemActivated.connect(self._choose_item)
        self.results.itemClicked.connect(self._choose_item)

    def popup_at(self, global_pos: QPoint) -> None:
        self.search.clear()
        self.refresh("")
        self.move(global_pos)
        self.show()
        self.search.setFocus()

    def refresh(self, text: str) -> None:
        self.results.clear()
        for spec in self.catalog.specs():
            if matches(spec, text):
                item = QListWidgetItem(swatch(category_color(spec.category)),
                                       f"{spec.title}  —  {spec.category}")
                item.setData(TYPE_ROLE, spec.type_id)
                item.setToolTip(spec.description)
                self.results.addItem(item)
        if self.results.count():
            self.results.setCurrentRow(0)

    def choose_current(self) -> None:
        item = self.results.currentItem()
        if item is not None:
            self._choose_item(item)

    def _choose_item(self, item: QListWidgetItem) -> None:
        self.hide()
        self.chosen.emit(item.data(TYPE_ROLE))

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if obj is self.search and event.type() == QEvent.Type.KeyPress:
            key = event.key()  # type: ignore[attr-defined]
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                row = self.results.currentRow() + (1 if key == Qt.Key.Key_Down else -1)
                self.results.setCurrentRow(max(0, min(self.results.count() - 1, row)))
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.choose_current()
                return True
            if key == Qt.Key.Key_Escape:
                self.hide()
                return True
        return super().eventFilter(obj, event)
