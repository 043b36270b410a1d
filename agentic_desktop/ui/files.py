"""New, Open, Save, Save As, Rename, Delete, Import and Export JSON for the editor's
document, with the unsaved-changes prompt before anything replaces the document.

Every question is a dialog opened with `.open()` and answered through signals: a nested
event loop (`exec()`, QMessageBox static functions) would freeze the engine's asyncio tasks.
The dialog currently shown is kept in `self.dialog` (tests answer it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget

from agentic_desktop.domain.errors import UserError
from agentic_desktop.domain.workflow import Workflow, loads
from agentic_desktop.engine.ports import WorkflowRepository
from agentic_desktop.ui.editor.document import EditorDocument

Then = Callable[[], None]
JSON_FILTER = "Workflow JSON (*.json);;All files (*)"


class FileController(QObject):
    stored_changed = Signal()  # the list of stored workflows changed
    error = Signal(str, str)  # (title, message)

    def __init__(self, document: EditorDocument, repository: WorkflowRepository,
                 parent_widget: QWidget) -> None:
        super().__init__(parent_widget)
        self.document = document
        self.repository = repository
        self.parent_widget = parent_widget
        self.dialog: QInputDialog | QMessageBox | QFileDialog | None = None
        # Rename, and its undo/redo, write a stored workflow's name at once.
        document.renamed.connect(self._store_name)

    # -- guard -------------------------------------------------------------------------------

    def confirm_discard(self, then: Then) -> None:
        """Run `then` once unsaved changes are saved or discarded; never if cancelled."""
        if not self.document.dirty:
            then()
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Unsaved changes",
                          f"Save changes to {self.document.workflow.name!r}?",
                          QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                          | QMessageBox.StandardButton.Cancel, self.parent_widget)
        box.setInformativeText("Your changes are lost if you don't save them.")
        box.setDefaultButton(QMessageBox.StandardButton.Save)

        def answered(button: object) -> None:
            role = box.standardButton(button)  # type: ignore[arg-type]
            if role == QMessageBox.StandardButton.Save:
                self.save(then=then)
            elif role == QMessageBox.StandardButton.Discard:
                then()

        box.buttonClicked.connect(answered)
        self._show(box)

    # -- commands ------------------------------------------------------------------------

    def new(self) -> None:
        self.confirm_discard(lambda: self.document.load(Workflow(name=self._free_name())))

    def open_id(self, workflow_id: int) -> None:
        if workflow_id == self.document.stored_id:
            return
        self.confirm_discard(lambda: self._load_stored(workflow_id))

    def open_dialog(self) -> None:
        stored = sorted(self.repository.list(), key=lambda s: s.workflow.name.lower())
        if not stored:
            self.error.emit("Open workflow", "No saved workflows yet: use Save or Import.")
            return
        dialog = QInputDialog(self.parent_widget)
        dialog.setWindowTitle("Open workflow")
        dialog.setLabelText("Workflow:")
        dialog.setComboBoxItems([s.workflow.name for s in stored])
        by_name = {s.workflow.name: s.id for s in stored}
        dialog.textValueSelected.connect(lambda name: self.open_id(by_name[name]))
        self._show(dialog)

    def save(self, then: Then | None = None) -> None:
        wf = self.document.workflow
        if wf.id is None:
            self.save_as(then=then)
            return
        if self._write(lambda: self.repository.update(wf.id, wf)) and then:  # type: ignore[arg-type]
            then()

    def save_as(self, then: Then | None = None) -> None:
        def chosen(name: str) -> None:
            name = name.strip()
            if not name:
                return
            wf = replace(self.document.workflow, name=name, id=None)
            if self._write(lambda: self.repository.add(wf)) and then:
                then()

        self._ask_name("Save workflow as", self._suggest_name(), chosen)

    def rename(self) -> None:
        def chosen(name: str) -> None:
            name = name.strip()
            wf = self.document.workflow
            if not name or name == wf.name:
                return
            if wf.id is not None and not self._store_name(name):
                return  # refused (e.g. the name is taken): no undo step either
            self.document.rename(name)

        self._ask_name("Rename workflow", self.document.workflow.name, chosen)

    def _store_name(self, name: str) -> bool:
        """Write `name` as the stored workflow's name (graph untouched); False when refused."""
        workflow_id = self.document.stored_id
        if workflow_id is None:
            return True
        try:
            stored = self.repository.get(workflow_id)
            if stored.workflow.name == name:
                return True
            self.repository.update(workflow_id, replace(stored.workflow, name=name))
        except UserError as exc:
            self.error.emit("Rename failed", str(exc))
            return False
        self.stored_changed.emit()
        return True

    def delete(self) -> None:
        wf = self.document.workflow
        if wf.id is None:
            self.error.emit("Delete workflow", f"{wf.name!r} was never saved: nothing to delete.")
            return
        box = QMessageBox(QMessageBox.Icon.Warning, "Delete workflow",
                          f"Delete {wf.name!r} from the database?",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                          self.parent_widget)
        box.setInformativeText("Its run history stays; the graph cannot be restored.")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)

        def answered(button: object) -> None:
            if box.standardButton(button) != QMessageBox.StandardButton.Yes:  # type: ignore[arg-type]
                return
            try:
                self.repository.delete(wf.id)  # type: ignore[arg-type]
            except UserError as exc:
                self.error.emit("Delete failed", str(exc))
                return
            self.document.load(Workflow(name=self._free_name()))
            self.stored_changed.emit()

        box.buttonClicked.connect(answered)
        self._show(box)

    def import_json(self) -> None:
        dialog = self._file_dialog("Import workflow", QFileDialog.AcceptMode.AcceptOpen)
        dialog.fileSelected.connect(lambda path: self.confirm_discard(
            lambda: self.import_path(Path(path))))
        self._show(dialog)

    def import_path(self, path: Path) -> bool:
        try:
            wf = loads(path.read_text(encoding="utf-8"), source=path.name)
        except (OSError, UnicodeDecodeError) as exc:
            self.error.emit("Import failed", f"{path}: {exc}")
            return False
        except UserError as exc:
            self.error.emit("Import failed", str(exc))
            return False
        self.document.load(replace(wf, id=None), unsaved=True)
        return True

    def export_json(self) -> None:
        dialog = self._file_dialog("Export workflow", QFileDialog.AcceptMode.AcceptSave)
        dialog.selectFile(f"{self.document.workflow.name}.json")
        dialog.fileSelected.connect(lambda path: self.export_path(Path(path)))
        self._show(dialog)

    def export_path(self, path: Path) -> bool:
        try:
            path.write_text(self.document.workflow.dumps() + "\n", encoding="utf-8")
        except OSError as exc:
            self.error.emit("Export failed", f"{path}: {exc.strerror}")
            return False
        return True

    # -- helpers ---------------------------------------------------------------------------

    def _load_stored(self, workflow_id: int) -> None:
        try:
            stored = self.repository.get(workflow_id)
        except UserError as exc:
            self.error.emit("Open failed", str(exc))
            self.stored_changed.emit()
            return
        self.document.load(stored.workflow.with_id(stored.id))

    def _write(self, op: Callable[[], object]) -> bool:
        try:
            stored = op()
        except UserError as exc:
            self.error.emit("Save failed", str(exc))
            return False
        self.document.mark_saved(stored.workflow.with_id(stored.id))  # type: ignore[attr-defined]
        self.stored_changed.emit()
        return True

    def _free_name(self, stem: str = "Untitled") -> str:
        taken = {s.workflow.name for s in self.repository.list()}
        if stem not in taken:
            return stem
        n = 2
        while f"{stem} {n}" in taken:
            n += 1
        return f"{stem} {n}"

    def _suggest_name(self) -> str:
        name = self.document.workflow.name
        return name if self.repository.find_by_name(name) is None else self._free_name(name)

    def _ask_name(self, title: str, value: str, chosen: Callable[[str], None]) -> None:
        dialog = QInputDialog(self.parent_widget)
        dialog.setWindowTitle(title)
        dialog.setLabelText("Name:")
        dialog.setTextValue(value)
        dialog.textValueSelected.connect(chosen)
        self._show(dialog)

    def _file_dialog(self, title: str, mode: QFileDialog.AcceptMode) -> QFileDialog:
        dialog = QFileDialog(self.parent_widget, title, str(Path.home()), JSON_FILTER)
        dialog.setAcceptMode(mode)
        dialog.setDefaultSuffix("json")
        # The Qt dialog (not the platform's) can be opened non-modally on every platform.
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
        return dialog

    def _show(self, dialog: QInputDialog | QMessageBox | QFileDialog) -> None:
        self.dialog = dialog
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
