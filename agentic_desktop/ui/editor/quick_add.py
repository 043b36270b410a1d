"""Keyboard pickers at the cursor: a search field over a list. Type to filter, arrows to
choose, Enter to pick; Escape closes.

- Quick-add (Tab or double-click on the canvas): the node catalog.
- Connect (C, with one node selected): every connection the selected node can make, to or
  from the other nodes, as "Candles.close → Stop Loss.entry".
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QFrame, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from agentic_desktop.domain.nodespec import NodeSpec
from agentic_desktop.engine.ports import NodeCatalog
from agentic_desktop.ui.editor.colors import category_color
from agentic_desktop.ui.editor.palette import TYPE_ROLE, matches, swatch


@dataclass(frozen=True)
class Entry:
    text: str
    data: object
    tooltip: str = ""
    icon: QIcon | None = None
    keywords: str = ""  # searched besides `text`


class SearchPopup(QFrame):
    chosen = Signal(object)  # Entry.data

    def __init__(self, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.search = QLineEdit(placeholderText=placeholder)
        self.results = QListWidget()
        self.results.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.empty_text = "Nothing matches"
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.results)
        self.resize(320, 320)
        self.search.textChanged.connect(self.refresh)
        self.search.installEventFilter(self)
        self.results.itemActivated.connect(self._choose_item)
        self.results.itemClicked.connect(self._choose_item)

    def entries(self) -> list[Entry]:
        raise NotImplementedError

    def rank(self, entry: Entry, text: str) -> int:
        """Lower comes first; the listing is stable within a rank."""
        return 0

    def accepts(self, entry: Entry, text: str) -> bool:
        words = text.lower().split()
        haystack = f"{entry.text} {entry.keywords}".lower()
        return all(w in haystack for w in words)

    def popup_at(self, global_pos: QPoint) -> None:
        self.search.clear()
        self.refresh("")
        screen = QGuiApplication.screenAt(global_pos) or QGuiApplication.primaryScreen()
        if screen is not None:  # keep the whole popup on screen
            area = screen.availableGeometry()
            global_pos = QPoint(
                max(area.left(), min(global_pos.x(), area.right() - self.width())),
                max(area.top(), min(global_pos.y(), area.bottom() - self.height())))
        self.move(global_pos)
        self.show()
        self.search.setFocus()

    def refresh(self, text: str) -> None:
        self.results.clear()
        found = [e for e in self.entries() if self.accepts(e, text)]
        for entry in sorted(found, key=lambda e: self.rank(e, text)):
            item = QListWidgetItem(entry.text)
            if entry.icon is not None:
                item.setIcon(entry.icon)
            item.setData(TYPE_ROLE, entry.data)
            item.setToolTip(entry.tooltip)
            self.results.addItem(item)
        if self.results.count():
            self.results.setCurrentRow(0)
        else:
            placeholder = QListWidgetItem(self.empty_text)
            placeholder.setFlags(Qt.ItemFlag.NoItemFlags)
            self.results.addItem(placeholder)

    def choose_current(self) -> None:
        item = self.results.currentItem()
        if item is not None and item.data(TYPE_ROLE) is not None:
            self._choose_item(item)

    def _choose_item(self, item: QListWidgetItem) -> None:
        if item.data(TYPE_ROLE) is None:
            return
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


class QuickAddPopup(SearchPopup):
    """Chooses a node type: `chosen` carries its type id."""

    def __init__(self, catalog: NodeCatalog, parent: QWidget | None = None) -> None:
        self.catalog = catalog
        self._specs: dict[str, NodeSpec] = {}
        super().__init__("Add node…", parent)

    def entries(self) -> list[Entry]:
        self._specs = {s.type_id: s for s in self.catalog.specs()}
        return [Entry(f"{s.title}  —  {s.category}", s.type_id, s.description,
                      swatch(category_color(s.category)))
                for s in self._specs.values()]

    def accepts(self, entry: Entry, text: str) -> bool:
        spec = self._specs.get(str(entry.data))
        return spec is not None and matches(spec, text)

    def rank(self, entry: Entry, text: str) -> int:
        # "stop" finds Position Size too (its description mentions the stop): the title
        # match comes first, so Enter adds what the trader typed.
        spec = self._specs[str(entry.data)]
        title, needle = spec.title.lower(), text.strip().lower()
        if not needle or title.startswith(needle):
            return 0
        return 1 if all(w in title for w in needle.split()) else 2


class ConnectPopup(SearchPopup):
    """Chooses one of `candidates` (set before `popup_at`): `chosen` carries its data."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self.candidates: list[Entry] = []
        super().__init__("Connect to… (type a node or port)", parent)
        self.resize(380, 320)
        self.empty_text = "No connection possible from or to this node"

    def entries(self) -> list[Entry]:
        return self.candidates
