"""Sticky notes: the corner grip resizes a note as one undo step; dragging elsewhere moves it."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from agentic_desktop.ui.editor import edits


def drag(window, start_scene: QPointF, end_scene: QPointF) -> None:
    view = window.editor.view
    viewport = view.viewport()
    start, end = view.mapFromScene(start_scene), view.mapFromScene(end_scene)
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for step in range(1, 5):
        QTest.mouseMove(viewport, start + (end - start) * step / 4)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)


def test_note_resized_by_its_grip_is_one_undo_step(window):
    doc = window.document
    after, note_id = edits.add_note(doc.workflow, "Risk: 1 % per trade", (0.0, 0.0))
    doc.edit(after, "Add note")
    window.editor.view.reset_zoom()
    window.editor.view.centerOn(QPointF(100, 60))
    item = window.editor.scene.notes[note_id]
    steps = doc.undo_stack.count()
    corner = item.scenePos() + QPointF(*item.note.size) - QPointF(4, 4)
    drag(window, corner, corner + QPointF(120, 60))
    note = next(c for c in doc.workflow.notes if c.id == note_id)
    assert note.size == (320.0, 180.0)
    assert note.position == (0.0, 0.0)  # resizing does not move it
    assert doc.undo_stack.count() == steps + 1
    assert item.boundingRect().width() >= 320
    doc.undo_stack.undo()
    assert next(c for c in doc.workflow.notes if c.id == note_id).size == (200.0, 120.0)
    assert item.boundingRect().width() < 210
    # never smaller than readable
    drag(window, corner, corner - QPointF(400, 400))
    assert next(c for c in doc.workflow.notes if c.id == note_id).size == (100.0, 50.0)
    # dragging the body still moves it
    drag(window, QPointF(20, 20), QPointF(80, 20))
    assert next(c for c in doc.workflow.notes if c.id == note_id).position == (60.0, 0.0)
