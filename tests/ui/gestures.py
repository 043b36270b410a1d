"""What a user's mouse and keyboard do, as helpers for the UI tests: drop a palette node,
drag between ports, click run-log rows."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QMimeData, QPointF, Qt
from PySide6.QtGui import QDropEvent
from PySide6.QtTest import QTest

from agentic_desktop.ui.editor.view import NODE_MIME, EditorView
from agentic_desktop.ui.main_window import MainWindow


def drop_from_palette(window: MainWindow, type_id: str, scene_pos: QPointF) -> None:
    view: EditorView = window.editor.view
    leaf = window.palette.item_for(type_id)
    assert leaf is not None and not leaf.isHidden(), f"{type_id} not visible in the palette"
    mime: QMimeData = window.palette.tree.mimeData([leaf])
    assert mime.hasFormat(NODE_MIME)
    point = QPointF(view.mapFromScene(scene_pos))
    event = QDropEvent(point, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    view.dropEvent(event)


def drag_ports(window: MainWindow, source: str, source_port: str, target: str,
               target_port: str) -> None:
    """Press on the source port, move over the target port, release."""
    scene, view = window.editor.scene, window.editor.view
    start_item = scene.nodes[source].port(source_port, output=True)
    end_item = scene.nodes[target].port(target_port, output=False)
    assert start_item is not None and end_item is not None
    start = view.mapFromScene(start_item.anchor())
    end = view.mapFromScene(end_item.anchor())
    viewport = view.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(viewport, (start + end) / 2)
    QTest.mouseMove(viewport, end)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)


def drag_node(window: MainWindow, node_id: str, by: QPointF) -> None:
    scene, view = window.editor.scene, window.editor.view
    item = scene.nodes[node_id]
    start = view.mapFromScene(item.scenePos() + QPointF(60, 10))
    end = view.mapFromScene(item.scenePos() + QPointF(60, 10) + by)
    viewport = view.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for step in range(1, 5):
        QTest.mouseMove(viewport, start + (end - start) * step / 4)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)


def params(window: MainWindow, node_id: str) -> dict[str, Any]:
    node = window.document.workflow.node(node_id)
    assert node is not None
    return node.params
