"""The palette dock: the node catalog grouped by category (one colour each), a search filter,
and drag onto the canvas. Double-click or Enter adds at the canvas centre, for keyboard use."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from agentic_desktop.domain.nodespec import NodeSpec
from agentic_desktop.engine.ports import NodeCatalog
from agentic_desktop.ui.editor.colors import category_color
from agentic_desktop.ui.editor.view import NODE_MIME

TYPE_ROLE = Qt.ItemDataRole.UserRole + 1


def swatch(color: QColor, size: int = 12) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(color)
    return QIcon(pixmap)


def matches(spec: NodeSpec, text: str) -> bool:
    needle = text.strip().lower()
    if not needle:
        return True
    haystack = f"{spec.title} {spec.type_id} {spec.category} {spec.description}".lower()
    return all(word in haystack for word in needle.split())


class _PaletteTree(QTreeWidget):
    def mimeData(self, items: list[QTreeWidgetItem]) -> QMimeData:  # noqa: N802
        data = QMimeData()
        type_id = items[0].data(0, TYPE_ROLE) if items else None
        if type_id:
            data.setData(NODE_MIME, type_id.encode())
            data.setText(type_id)
        return data

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return [NODE_MIME]


class PaletteWidget(QWidget):
    # A node type chosen without dragging (double-click / Enter).
    node_activated = Signal(str)

    def __init__(self, catalog: NodeCatalog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.catalog = catalog
        self.search = QLineEdit(placeholderText="Search nodes…")
        self.search.setClearButtonEnabled(True)
        self.tree = _PaletteTree()
        self.tree.setHeaderHidden(True)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.tree.setRootIsDecorated(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self.search.textChanged.connect(self.apply_filter)
        self.tree.itemActivated.connect(self._activated)
        self.populate()

    def populate(self) -> None:
        self.tree.clear()
        groups: dict[str, QTreeWidgetItem] = {}
        for spec in self.catalog.specs():
            group = groups.get(spec.category)
            if group is None:
                color = category_color(spec.category)
                group = QTreeWidgetItem([spec.category])
                group.setIcon(0, swatch(color))
                group.setFlags(Qt.ItemFlag.ItemIsEnabled)
                font = group.font(0)
                font.setBold(True)
                group.setFont(0, font)
                self.tree.addTopLevelItem(group)
                groups[spec.category] = group
            leaf = QTreeWidgetItem([spec.title])
            leaf.setData(0, TYPE_ROLE, spec.type_id)
            leaf.setToolTip(0, f"{spec.type_id}\n{spec.description}".strip())
            leaf.setIcon(0, swatch(category_color(spec.category), 8))
            leaf.setForeground(0, QBrush(self.palette().text().color()))
            leaf.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                          | Qt.ItemFlag.ItemIsDragEnabled)
            group.addChild(leaf)
        self.tree.expandAll()
        self.apply_filter(self.search.text())

    def apply_filter(self, text: str) -> None:
        for g in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(g)
            visible = 0
            for c in range(group.childCount()):
                leaf = group.child(c)
                spec = self.catalog.get(leaf.data(0, TYPE_ROLE))
                shown = spec is not None and matches(spec, text)
                leaf.setHidden(not shown)
                visible += shown
            group.setHidden(visible == 0)

    def visible_types(self) -> list[str]:
        found = []
        for g in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(g)
            for c in range(group.childCount()):
                leaf = group.child(c)
                if not leaf.isHidden() and not group.isHidden():
                    found.append(leaf.data(0, TYPE_ROLE))
        return found

    def item_for(self, type_id: str) -> QTreeWidgetItem | None:
        for g in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(g)
            for c in range(group.childCount()):
                if group.child(c).data(0, TYPE_ROLE) == type_id:
                    return group.child(c)
        return None

    def _activated(self, item: QTreeWidgetItem) -> None:
        type_id = item.data(0, TYPE_ROLE)
        if type_id:
            self.node_activated.emit(type_id)
