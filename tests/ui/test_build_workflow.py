"""A trader builds, edits, saves, reopens and runs a workflow through the same actions the
GUI offers: palette drop, quick-add, port drags, inspector fields, undo/redo, copy/paste."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QDoubleSpinBox, QSpinBox

from tests.ui.conftest import until
from tests.ui.gestures import drag_node, drag_ports, drop_from_palette, params


def add_by_quick_add(window, qtbot, text: str) -> str:
    before = {n.id for n in window.document.workflow.nodes}
    # Nothing selected (a click on empty canvas): the node lands at the cursor, unconnected.
    # With a node selected, Tab adds after it and connects it (tests/ui/test_editor_keyboard).
    window.editor.scene.clearSelection()
    window.editor.view.setFocus()
    qtbot.keyClick(window.editor.view, Qt.Key.Key_Tab)
    popup = window.editor.quick_add
    assert popup.isVisible()
    qtbot.keyClicks(popup.search, text)
    qtbot.keyClick(popup.search, Qt.Key.Key_Return)
    assert not popup.isVisible()
    (added,) = {n.id for n in window.document.workflow.nodes} - before
    return added


def test_user_builds_saves_reopens_and_runs_a_workflow(window, qtbot, run_async):
    window.resize(1500, 950)
    doc, scene, stack = window.document, window.editor.scene, window.document.undo_stack
    assert doc.workflow.nodes == () and not doc.dirty
    snapshots = [doc.workflow]

    # 1. add from the palette (search, then drag onto the canvas) and by quick-add
    window.palette.search.setText("candles")
    assert window.palette.visible_types() == ["market.candles"]
    drop_from_palette(window, "market.candles", QPointF(0, 0))
    window.palette.search.clear()
    snapshots.append(doc.workflow)
    rsi = add_by_quick_add(window, qtbot, "rsi")
    snapshots.append(doc.workflow)
    compare = add_by_quick_add(window, qtbot, "compare")
    snapshots.append(doc.workflow)
    notify = add_by_quick_add(window, qtbot, "notify")
    snapshots.append(doc.workflow)
    assert [n.type for n in doc.workflow.nodes] == [
        "market.candles", "indicator.rsi", "condition.compare", "notify.message"]
    assert doc.dirty and window.windowTitle().startswith("Untitled*")
    window.editor.actions_by_name["layout"].trigger()
    snapshots.append(doc.workflow)
    # nothing is connected yet: one column, stacked without overlap
    ys = sorted(n.position[1] for n in doc.workflow.nodes)
    assert all(b - a >= 60 for a, b in zip(ys, ys[1:]))
    # one move by mouse = one command, snapped to the grid
    drag_node(window, notify, QPointF(33, 47))
    snapshots.append(doc.workflow)
    x, y = doc.workflow.node(notify).position
    assert x % 20 == 0 and y % 20 == 0

    # 2. connect by dragging between ports; refusals name the reason
    drag_ports(window, "candles", "candles", rsi, "candles")
    snapshots.append(doc.workflow)
    drag_ports(window, "candles", "candles", compare, "a")
    assert "type mismatch" in scene.last_refusal
    assert len(doc.workflow.edges) == 1
    drag_ports(window, rsi, "rsi", compare, "a")
    snapshots.append(doc.workflow)
    drag_ports(window, "candles", "close", compare, "a")
    assert "already connected" in scene.last_refusal
    assert len(doc.workflow.edges) == 2

    # 3. edit params in the inspector; typing in one field is one undo step
    scene.select_ids([rsi])
    period = window.inspector.fields["period"].widget
    assert isinstance(period, QSpinBox) and period.minimum() == 2
    period.setValue(21)
    period.setValue(9)
    assert params(window, rsi)["period"] == 9
    snapshots.append(doc.workflow)
    scene.select_ids([compare])
    value = window.inspector.fields["value"].widget
    assert isinstance(value, QDoubleSpinBox)
    value.setValue(101.0)  # RSI never exceeds 100: the run below must skip the notify
    snapshots.append(doc.workflow)
    window.inspector.fields["operator"].widget.setCurrentText(">=")
    snapshots.append(doc.workflow)
    assert scene.nodes[rsi].summary == "RSI 9"

    # 4. undo and redo every step
    final = doc.workflow
    assert stack.count() == len(snapshots) - 1  # one command per user step
    for expected in reversed(snapshots[:-1]):
        stack.undo()
        assert doc.workflow == expected
        assert set(scene.nodes) == {n.id for n in expected.nodes}
        assert len(scene.edges) == len(expected.edges)
    assert not scene.nodes and not scene.edges
    for expected in snapshots[1:]:
        stack.redo()
        assert doc.workflow == expected
    assert doc.workflow == final
    assert set(scene.nodes) == {n.id for n in final.nodes} and len(scene.edges) == 2
    assert params(window, compare)["operator"] == ">="

    # 5. copy and paste (new ids), duplicate, delete
    scene.select_ids([rsi])
    window.editor.actions_by_name["copy"].trigger()
    window.editor.actions_by_name["paste"].trigger()
    assert f"{rsi}_2" in scene.nodes and scene.selected_node_ids() == [f"{rsi}_2"]
    window.editor.actions_by_name["duplicate"].trigger()
    assert f"{rsi}_3" in scene.nodes
    scene.select_ids([f"{rsi}_2", f"{rsi}_3"])
    window.editor.actions_by_name["delete"].trigger()
    assert set(scene.nodes) == {n.id for n in final.nodes}

    # 6. connect the gate and save
    drag_ports(window, compare, "result", notify, "when")
    assert len(doc.workflow.edges) == 3

    window.actions_by_name["save"].trigger()
    dialog = window.files.dialog
    dialog.setTextValue("RSI alert")
    dialog.accept()
    assert doc.stored_id is not None and not doc.dirty
    assert window.windowTitle().startswith("RSI alert —")
    assert "RSI alert" in window.workflow_list.names()
    saved = doc.workflow

    # reopen: new blank document, then open from the list
    window.actions_by_name["new"].trigger()
    assert doc.workflow.nodes == ()
    window.workflow_list.open_requested.emit(saved.id)
    assert doc.workflow == saved
    assert len(scene.nodes) == 4 and len(scene.edges) == 3

    # 7. run: badges and log
    assert window.runs.run()
    run_async(until(lambda: window.runs.last_result is not None and not window.runs.running))
    result = window.runs.last_result
    assert result.ok, result.error
    assert scene.nodes["candles"].status == "succeeded"
    assert scene.nodes[rsi].badge_text().startswith("succeeded · ")
    assert scene.nodes[notify].status == "skipped"  # RSI > 101 is never true
    logged = {row[0]: row[1] for row in window.run_log.rows() if row[0]}
    assert logged["candles"] == "succeeded" and logged[notify] == "skipped"
    # hovering the RSI output shows its last value and a sparkline
    scene.show_port_value(scene.nodes[rsi].outputs["rsi"], QPointF(0, 0))
    assert "last" in scene.preview.text and len(scene.preview.points) > 10
    # hovering the compare input shows the upstream value too
    scene.show_port_value(scene.nodes[compare].inputs["a"], QPointF(0, 0))
    assert len(scene.preview.points) > 10


def test_invalid_workflow_is_refused_with_problems_listed_and_highlighted(window, qtbot):
    window.editor.add_node("indicator.rsi", QPointF(0, 0))
    assert window.runs.run() is False
    item = window.editor.scene.nodes["rsi"]
    assert any("not connected" in p for p in item.problems)
    rows = window.run_log.rows()
    assert rows[0][1] == "refused" and any(r[0] == "rsi" and r[1] == "invalid" for r in rows)
    # clicking the error selects its node
    window.editor.scene.clearSelection()
    tree = window.run_log.tree
    target = next(tree.topLevelItem(i) for i in range(tree.topLevelItemCount())
                  if tree.topLevelItem(i).text(1) == "rsi")
    tree.itemClicked.emit(target, 0)
    assert window.editor.scene.selected_node_ids() == ["rsi"]
    assert window.inspector.node_id == "rsi"
