"""Rename is an undo step: Ctrl+Z gives the old name back, in the editor, the database and the
workflow list, and neither rename nor its undo counts as an unsaved change."""

from __future__ import annotations

from tests.ui.services_kit import example


def rename(window, name: str) -> None:
    window.files.rename()
    window.files.dialog.setTextValue(name)
    window.files.dialog.accept()


def test_rename_undo_and_redo_reach_the_database(window):
    files, doc, stack = window.files, window.document, window.document.undo_stack
    doc.load(example(), unsaved=True)
    files.save()
    files.dialog.accept()
    stored_id = doc.stored_id
    assert stored_id is not None and not doc.dirty

    rename(window, "Morning RSI")
    stored = lambda: window.services.workflows.get(stored_id).workflow.name  # noqa: E731
    assert (doc.workflow.name, stored()) == ("Morning RSI", "Morning RSI")
    assert not doc.dirty and window.windowTitle().startswith("Morning RSI —")
    stack.undo()
    assert (doc.workflow.name, stored()) == ("Daily Morning Strategy",) * 2
    assert window.workflow_list.names() == ["Daily Morning Strategy"]
    assert not doc.dirty
    stack.redo()
    assert (doc.workflow.name, stored()) == ("Morning RSI",) * 2

    # a graph edit after the rename is dirty; undoing it is clean again, and undoing the
    # rename too keeps it clean (the database has the old name back)
    window.editor.scene.select_ids(["notify"])
    window.editor.scene.delete_selection()
    assert doc.dirty
    stack.undo()
    assert not doc.dirty
    stack.undo()
    assert not doc.dirty and stored() == "Daily Morning Strategy"


def test_rename_refused_by_the_store_leaves_no_undo_step(window, kit):
    kit.services.workflows.add(example().__class__(name="Taken"))
    doc = window.document
    doc.load(example(), unsaved=True)
    window.files.save()
    window.files.dialog.accept()
    steps = doc.undo_stack.count()
    rename(window, "Taken")  # names are unique in the store
    assert window.last_error is not None and "already exists" in window.last_error[1]
    assert doc.workflow.name == "Daily Morning Strategy"
    assert doc.undo_stack.count() == steps


def test_rename_of_an_unsaved_workflow_undoes_too(window):
    doc = window.document
    rename(window, "Draft")
    assert doc.workflow.name == "Draft"
    doc.undo_stack.undo()
    assert doc.workflow.name == "Untitled"
