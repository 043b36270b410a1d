"""The inspector dock: the selected node's params as a form generated from its ParamSpecs,
with help tooltips and each field's problem shown inline (ParamSpec.check). Every change is
one undo command; consecutive edits of one field merge into one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from agentic_desktop.domain.workflow import Node, Workflow
from agentic_desktop.engine.ports import NodeCatalog
from agentic_desktop.ui.editor import edits
from agentic_desktop.ui.editor.document import EditorDocument
from agentic_desktop.ui.editor.param_fields import ParamField, make_field


class InspectorWidget(QWidget):
    # Escape in the form: the keyboard goes back to the canvas.
    done_editing = Signal()

    def __init__(self, document: EditorDocument, catalog: NodeCatalog,
                 symbols: Callable[[], list[str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.catalog = catalog
        self.symbols = symbols
        self.node_id: str | None = None
        self.fields: dict[str, ParamField] = {}
        self.errors: dict[str, QLabel] = {}
        self.title_edit: QLineEdit | None = None
        self._symbols_cache: list[str] | None = None
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.scroll)
        document.changed.connect(self._on_changed)
        document.reset.connect(lambda _wf: self.show_node(None))
        self.show_node(None)

    def _symbols(self) -> list[str]:
        if self._symbols_cache is None:
            self._symbols_cache = list(self.symbols())
        return self._symbols_cache

    def show_node(self, node_id: str | None) -> None:
        self.node_id = node_id
        self.fields.clear()
        self.errors.clear()
        self.title_edit = None
        node = self.document.workflow.node(node_id) if node_id else None
        page = QWidget()
        if node is None:
            layout = QVBoxLayout(page)
            hint = QLabel("Select a node to edit its parameters.")
            hint.setObjectName("Muted")
            hint.setWordWrap(True)
            hint.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
            layout.addWidget(hint)
            layout.addStretch()
        else:
            # The form keeps its natural row heights; the space below stays empty (a form
            # stretched to the dock's height spreads its rows apart).
            form_page = QWidget()
            self._build_form(form_page, node)
            layout = QVBoxLayout(page)
            layout.setContentsMargins(0, 0, 0, 0)
            layout.addWidget(form_page)
            layout.addStretch()
        self.scroll.setWidget(page)

    def focus_first_field(self, node_id: str) -> None:
        """Keyboard editing: show `node_id` and put the cursor in its first parameter
        (its title when it has none). Tab moves through the fields; Escape goes back."""
        if self.node_id != node_id:
            self.show_node(node_id)
        first = next(iter(self.fields.values()), None)
        target = first.widget if first is not None else self.title_edit
        if target is not None:
            target.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _build_form(self, page: QWidget, node: Node) -> None:
        spec = self.catalog.get(node.type)
        form = QFormLayout(page)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        heading = QLabel(f"<b>{spec.title if spec else node.type}</b>"
                         f" <span style='color:gray'>· {node.id}</span>")
        form.addRow(heading)
        if spec is None:
            form.addRow(QLabel(f"Unknown node type {node.type!r}: it cannot run."))
            return
        if spec.description:
            about = QLabel(spec.description)
            about.setWordWrap(True)
            about.setObjectName("Muted")
            form.addRow(about)
        self.title_edit = QLineEdit(node.title)
        self.title_edit.setPlaceholderText(spec.title)
        self.title_edit.setToolTip("Optional name shown on the canvas instead of the type")
        node_id = node.id
        self.title_edit.textEdited.connect(lambda t: self.document.edit(
            edits.set_title(self.document.workflow, node_id, t), "Rename node",
            merge_key=("title", node_id)))
        form.addRow("Node label", self.title_edit)
        self.title_edit.installEventFilter(self)
        for pspec in spec.params:
            field = make_field(pspec, self._symbols(), self._committer(node_id, pspec.name))
            field.set_value(node.params.get(pspec.name, pspec.default))
            error = QLabel()
            error.setObjectName("FieldError")
            error.setWordWrap(True)
            error.hide()
            holder = QWidget()
            box = QVBoxLayout(holder)
            box.setContentsMargins(0, 0, 0, 0)
            box.setSpacing(2)
            box.addWidget(field.widget)
            box.addWidget(error)
            label = QLabel(pspec.label + ("" if not pspec.required else ""))
            label.setToolTip(pspec.help)
            form.addRow(label, holder)
            self.fields[pspec.name] = field
            for part in (field.widget, *field.widget.findChildren(QWidget)):
                part.installEventFilter(self)  # a spin box's inner line edit has the focus
            self.errors[pspec.name] = error
        self._refresh_errors(node)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        # Escape in a field hands the keyboard back to the canvas (the field keeps its value:
        # edits are committed as they are typed).
        if (event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and event.key() == Qt.Key.Key_Escape):
            self.done_editing.emit()
            return True
        return super().eventFilter(watched, event)

    def _committer(self, node_id: str, name: str) -> Callable[[Any], None]:
        def commit(value: Any) -> None:
            node = self.document.workflow.node(node_id)
            if node is None or node.params.get(name) == value:
                return
            self.document.edit(edits.set_param(self.document.workflow, node_id, name, value),
                               f"Set {node_id}.{name}", merge_key=("param", node_id, name))
        return commit

    def _refresh_errors(self, node: Node) -> None:
        spec = self.catalog.get(node.type)
        if spec is None:
            return
        known = frozenset(self._symbols()) or None
        for pspec in spec.params:
            label = self.errors.get(pspec.name)
            if label is None:
                continue
            why = pspec.check(node.params.get(pspec.name, pspec.default), symbols=known)
            label.setText(f"⚠ {why}" if why else "")
            label.setVisible(bool(why))

    def _on_changed(self, old: Workflow, new: Workflow) -> None:
        if self.node_id is None:
            return
        node = new.node(self.node_id)
        if node is None:
            self.show_node(None)
            return
        if old.node(self.node_id) is node:
            return
        for name, field in self.fields.items():
            spec = self.catalog.get(node.type)
            pspec = spec.param(name) if spec else None
            field.set_value(node.params.get(name, pspec.default if pspec else None))
        if self.title_edit is not None and self.title_edit.text() != node.title:
            self.title_edit.setText(node.title)
        self._refresh_errors(node)
