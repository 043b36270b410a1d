"""Keyboard only: a trader builds the Daily Morning Strategy's graph from an empty canvas with
Tab (quick-add after the selected node, connected to it), C (connect to another node), the
arrow keys (move the selection), Enter/Escape (inspector and back) and Ctrl+Z, then runs it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.ui.conftest import until
from tests.ui.services_kit import example


def edges_of(window) -> set[tuple[str, str, str, str]]:
    return {(e.source_node, e.source_port, e.target_node, e.target_port)
            for e in window.document.workflow.edges}


def tab_add(window, qtbot, text: str) -> str:
    before = {n.id for n in window.document.workflow.nodes}
    qtbot.keyClick(window.editor.view, Qt.Key.Key_Tab)
    popup = window.editor.quick_add
    assert popup.isVisible()
    qtbot.keyClicks(popup.search, text)
    qtbot.keyClick(popup.search, Qt.Key.Key_Return)
    (added,) = {n.id for n in window.document.workflow.nodes} - before
    assert window.editor.scene.selected_node_ids() == [added]
    return added


def connect(window, qtbot, text: str) -> None:
    qtbot.keyClick(window.editor.view, Qt.Key.Key_C)
    popup = window.editor.connect_popup
    assert popup.isVisible()
    qtbot.keyClicks(popup.search, text)
    qtbot.keyClick(popup.search, Qt.Key.Key_Return)
    assert not popup.isVisible()


def arrow(window, qtbot, key: Qt.Key) -> list[str]:
    qtbot.keyClick(window.editor.view, key)
    return window.editor.scene.selected_node_ids()


def test_daily_morning_strategy_built_with_the_keyboard_alone(window, qtbot, run_async):
    window.resize(1500, 950)
    view = window.editor.view
    view.setFocus()
    candles = tab_add(window, qtbot, "candles")
    rsi = tab_add(window, qtbot, "rsi")
    compare = tab_add(window, qtbot, "compare")
    # Enter: the inspector takes the keyboard; type the threshold; Escape: back to the canvas
    qtbot.keyClick(view, Qt.Key.Key_Return)
    focused = QApplication.focusWidget()
    assert window.inspector.isAncestorOf(focused)
    value = window.inspector.fields["value"].widget
    value.setFocus()
    value.selectAll()
    qtbot.keyClicks(value, "40")
    qtbot.keyClick(value, Qt.Key.Key_Tab)
    assert window.document.workflow.node(compare).params["value"] == 40.0
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)
    assert QApplication.focusWidget() is view
    stop = tab_add(window, qtbot, "stop loss")
    connect(window, qtbot, "candles stop")
    size = tab_add(window, qtbot, "position size")
    assert arrow(window, qtbot, Qt.Key.Key_Left) == [stop]
    target = tab_add(window, qtbot, "take profit")
    assert arrow(window, qtbot, Qt.Key.Key_Up) == [size]
    order = tab_add(window, qtbot, "place order")
    connect(window, qtbot, "stop_price")
    connect(window, qtbot, "take_profit")
    notify = tab_add(window, qtbot, "notify")

    assert edges_of(window) == {
        (candles, "candles", rsi, "candles"), (rsi, "rsi", compare, "a"),
        (compare, "result", stop, "when"), (candles, "candles", stop, "candles"),
        (stop, "distance", size, "stop_distance"), (stop, "distance", target, "stop_distance"),
        (size, "volume", order, "volume"), (stop, "stop_price", order, "stop_loss"),
        (target, "take_profit", order, "take_profit"), (order, "order", notify, "value"),
    }
    # same graph as the shipped example (ids aside)
    assert len(edges_of(window)) == len(example().edges)
    # no two nodes overlap
    items = list(window.editor.scene.nodes.values())
    for i, a in enumerate(items):
        for b in items[i + 1:]:
            assert not a.sceneBoundingRect().adjusted(6, 20, -6, 0).intersects(
                b.sceneBoundingRect().adjusted(6, 20, -6, 0)), (a.node_id, b.node_id)

    # one undo removes the last node and its automatic connection together
    qtbot.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.document.workflow.node(notify) is None
    assert not any(e[2] == notify for e in edges_of(window))
    redo = window.editor.actions_by_name["redo"].shortcut()[0]  # platform-specific keys
    qtbot.keyClick(view, redo.key(), redo.keyboardModifiers())
    assert (order, "order", notify, "value") in edges_of(window)

    qtbot.keyClick(view, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    run_async(until(lambda: window.runs.last_result is not None and not window.runs.running))
    assert window.runs.last_result.ok, window.runs.last_result.error
    assert window.editor.scene.nodes[rsi].status == "succeeded"


def test_connect_picker_offers_only_valid_connections(window, qtbot):
    window.document.load(example())
    view = window.editor.view
    view.setFocus()
    window.editor.scene.select_ids(["notify"])
    qtbot.keyClick(view, Qt.Key.Key_C)
    popup = window.editor.connect_popup
    labels = [popup.results.item(i).text() for i in range(popup.results.count())]
    # notify.value is taken and a notify has no outputs: only its free `when` gate remains
    assert labels and all(label.endswith("Notify.when") for label in labels)
    qtbot.keyClick(popup.search, Qt.Key.Key_Escape)
    assert not popup.isVisible()


def test_opening_a_workflow_keeps_text_readable(window, qtbot):
    window.resize(1100, 800)
    window.document.load(example())
    qtbot.wait(20)  # the fit runs once the view has its size
    view = window.editor.view
    assert 0.79 <= view.zoom() <= 1.0
    # the start of the flow is in view
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    assert visible.contains(window.editor.scene.nodes["candles"].sceneBoundingRect())
    # F still fits everything, however small
    view.fit_all()
    assert visible.width() <= view.mapToScene(view.viewport().rect()).boundingRect().width()


def test_wide_hidden_pages_do_not_squeeze_the_editor_docks(window, qtbot):
    window.resize(1500, 950)
    qtbot.wait(20)
    # Queue/History tables are wide; only the page on show may size the central area.
    assert window.docks["inspector"].width() >= 200
    assert window.docks["palette"].width() >= 180
