"""Scale: a 1,000-node workflow loads fast, and 20k graphics items with flags set survive
(PySide6 6.12 crashed CPython 3.11 with "none_dealloc" after ~20k setFlag + addItem calls,
DESIGN.md §9; this test keeps that failure visible if the pin is ever relaxed)."""

from __future__ import annotations

import time

from PySide6.QtWidgets import QGraphicsItem, QGraphicsRectItem, QGraphicsScene

from agentic_desktop.domain.workflow import Edge, Node, Workflow


def grid_workflow(n: int) -> Workflow:
    """n nodes in chains of candles → rsi → compare (rsi feeds compare), laid out on a grid."""
    nodes, edges = [], []
    for i in range(n):
        kind = ("market.candles", "indicator.rsi", "condition.compare")[i % 3]
        nodes.append(Node(id=f"n{i}", type=kind, position=((i % 30) * 240.0, (i // 30) * 160.0)))
        if i % 3 == 1:
            edges.append(Edge(source_node=f"n{i - 1}", source_port="candles",
                              target_node=f"n{i}", target_port="candles"))
        elif i % 3 == 2:
            edges.append(Edge(source_node=f"n{i - 1}", source_port="rsi",
                              target_node=f"n{i}", target_port="a"))
    return Workflow(name="Big", nodes=tuple(nodes), edges=tuple(edges))


def test_thousand_nodes_load_and_edit(window) -> None:
    wf = grid_workflow(1000)
    started = time.perf_counter()
    window.document.load(wf)
    elapsed = time.perf_counter() - started
    scene = window.editor.scene
    assert len(scene.nodes) == 1000 and len(scene.edges) == len(wf.edges)
    # Not a timed assert on CI speed; a wide guard against an O(n²) regression only.
    assert elapsed < 5.0
    scene.select_ids(["n5"])
    window.editor.actions_by_name["delete"].trigger()
    assert "n5" not in scene.nodes and len(scene.nodes) == 999
    window.document.undo_stack.undo()
    assert "n5" in scene.nodes and len(scene.edges) == len(wf.edges)


def test_twenty_thousand_items_with_flags(qapp) -> None:
    scene = QGraphicsScene()
    for i in range(20_000):
        item = QGraphicsRectItem(0, 0, 10, 10)
        item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsMovable)
        item.setPos(i % 200 * 12, i // 200 * 12)
        scene.addItem(item)
    assert len(scene.items()) == 20_000
    scene.clear()
