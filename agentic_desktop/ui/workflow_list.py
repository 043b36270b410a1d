"""The workflow list dock, backed by the workflow repository. It only shows and reports
choices; opening, saving and deleting belong to the FileController."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from agentic_desktop.engine.ports import StoredWorkflow, WorkflowRepository

ID_ROLE = Qt.ItemDataRole.UserRole + 3


class WorkflowListWidget(QWidget):
    open_requested = Signal(int)

    def __init__(self, repository: WorkflowRepository, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.repository = repository
        self.list = QListWidget()
        self.list.setAlternatingRowColors(True)
        self.buttons = QHBoxLayout()
        self.buttons.setContentsMargins(0, 0, 0, 0)
        self.buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.list)
        layout.addLayout(self.buttons)
        self.list.itemActivated.connect(self._activated)
        self.list.itemDoubleClicked.connect(self._activated)
        self.refresh()

    def add_button(self, action: object) -> None:
        button = QToolButton()
        button.setDefaultAction(action)  # type: ignore[arg-type]
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.buttons.insertWidget(self.buttons.count() - 1, button)  # before the stretch

    def refresh(self, current_id: int | None = None) -> None:
        stored: list[StoredWorkflow] = self.repository.list()
        self.list.clear()
        for entry in sorted(stored, key=lambda s: s.workflow.name.lower()):
            item = QListWidgetItem(entry.workflow.name)
            item.setData(ID_ROLE, entry.id)
            item.setToolTip(f"{len(entry.workflow.nodes)} nodes · saved "
                            f"{entry.updated_at:%Y-%m-%d %H:%M}")
            self.list.addItem(item)
            if entry.id == current_id:
                self.list.setCurrentItem(item)

    def names(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def select_id(self, workflow_id: int | None) -> None:
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.data(ID_ROLE) == workflow_id:
                self.list.setCurrentItem(item)
                return
        self.list.clearSelection()

    def _activated(self, item: QListWidgetItem) -> None:
        self.open_requested.emit(int(item.data(ID_ROLE)))
