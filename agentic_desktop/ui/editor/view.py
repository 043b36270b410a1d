"""The canvas view: zoom around the cursor (wheel), pan (middle drag, or space + drag), fit
all (F), reset zoom (1), Tab for quick-add at the cursor, arrow keys to move the selection
between nodes, Enter to edit the selected node, and drops from the palette."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import QGraphicsView, QWidget

from agentic_desktop.ui.editor.scene import EditorScene

NODE_MIME = "application/x-agentic-node-type"
MIN_ZOOM, MAX_ZOOM = 0.1, 3.0
# Below this, node titles and port names are too small to read: opening a workflow never
# zooms out further; a wider graph is shown from its start (left) instead.
READABLE_ZOOM = 0.8
FIT_MARGIN = 40.0


_ARROWS = {Qt.Key.Key_Left: (-1, 0), Qt.Key.Key_Right: (1, 0), Qt.Key.Key_Up: (0, -1),
           Qt.Key.Key_Down: (0, 1)}


class PanDrag:
    """Pan mode: the view scrolls with the mouse while the middle button (or space + left
    button) is held."""

    def __init__(self, view: EditorView, start: QPoint) -> None:
        self.view = view
        self.last = start
        view.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)

    def move(self, pos: QPoint) -> None:
        delta = pos - self.last
        self.last = pos
        h, v = self.view.horizontalScrollBar(), self.view.verticalScrollBar()
        h.setValue(h.value() - delta.x())
        v.setValue(v.value() - delta.y())

    def finish(self) -> None:
        self.view.viewport().unsetCursor()


class EditorView(QGraphicsView):
    # (type id, scene position) dropped from the palette.
    node_dropped = Signal(str, QPointF)
    quick_add_requested = Signal(QPointF)
    zoom_changed = Signal(float)
    navigate_requested = Signal(int, int)  # arrow keys: (dx, dy)
    activate_requested = Signal()  # Enter: edit the selected node's parameters

    def __init__(self, scene: EditorScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.setRenderHints(QPainter.RenderHint.Antialiasing
                            | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontSavePainterState)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._pan: PanDrag | None = None
        self._space_held = False

    @property
    def editor_scene(self) -> EditorScene:
        scene = self.scene()
        assert isinstance(scene, EditorScene)
        return scene

    def zoom(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float) -> None:
        target = min(MAX_ZOOM, max(MIN_ZOOM, self.zoom() * factor))
        factor = target / self.zoom()
        if abs(factor - 1.0) > 1e-6:
            self.scale(factor, factor)
            self.zoom_changed.emit(self.zoom())

    def reset_zoom(self) -> None:
        center = self.mapToScene(self.viewport().rect().center())
        self.resetTransform()
        self.centerOn(center)
        self.zoom_changed.emit(1.0)

    def content_rect(self) -> QRectF | None:
        scene = self.editor_scene
        items = [*scene.nodes.values(), *scene.notes.values()]
        if not items:
            return None
        rect = items[0].sceneBoundingRect()
        for item in items[1:]:
            rect = rect.united(item.sceneBoundingRect())
        return rect

    def fit_all(self, *, min_zoom: float = MIN_ZOOM) -> None:
        """Fit everything in view, never above 100 % nor below `min_zoom`. When the graph
        does not fit at `min_zoom`, its left edge (where the flow starts) is shown."""
        rect = self.content_rect()
        if rect is None:
            self.reset_zoom()
            return
        padded = rect.adjusted(-FIT_MARGIN, -FIT_MARGIN, FIT_MARGIN, FIT_MARGIN)
        viewport = self.viewport().rect()
        fit = min(viewport.width() / max(1.0, padded.width()),
                  viewport.height() / max(1.0, padded.height()))
        zoom = min(1.0, max(min_zoom, MIN_ZOOM, fit))
        self.setTransform(QTransform.fromScale(zoom, zoom))
        if zoom <= fit:
            self.centerOn(rect.center())
        else:
            # Too big at this zoom: start at the left edge, centred vertically on the graph
            # (or on its top when it is also too tall).
            half_w = viewport.width() / zoom / 2
            half_h = viewport.height() / zoom / 2
            y = rect.center().y() if padded.height() * zoom <= viewport.height() \
                else padded.top() + half_h
            self.centerOn(QPointF(padded.left() + half_w, y))
        self.zoom_changed.emit(self.zoom())

    def fit_readable(self) -> None:
        """How a workflow opens: fitted, but never below a readable zoom."""
        self.fit_all(min_zoom=READABLE_ZOOM)

    def cursor_scene_pos(self) -> QPointF:
        pos = self.mapFromGlobal(self.cursor().pos())
        if not self.viewport().rect().contains(pos):
            pos = self.viewport().rect().center()
        return self.mapToScene(pos)

    # -- events ----------------------------------------------------------------------------

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(1.15 ** steps)
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.MiddleButton or (
            event.button() == Qt.MouseButton.LeftButton and self._space_held
        ):
            self._pan = PanDrag(self, event.position().toPoint())
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._pan is not None:
            self._pan.move(event.position().toPoint())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._pan is not None:
            self._pan.finish()
            self._pan = None
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_held = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            event.accept()
            return
        if event.key() == Qt.Key.Key_Tab:
            self.quick_add_requested.emit(self.cursor_scene_pos())
            event.accept()
            return
        step = _ARROWS.get(Qt.Key(event.key()))
        if step is not None and event.modifiers() == Qt.KeyboardModifier.NoModifier:
            self.navigate_requested.emit(*step)
            event.accept()
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.activate_requested.emit()
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_held = False
            if self._pan is None:
                self.viewport().unsetCursor()
            event.accept()
            return
        super().keyReleaseEvent(event)

    def focusNextPrevChild(self, next_: bool) -> bool:  # noqa: N802
        return False  # Tab opens quick-add instead of moving focus out of the canvas

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasFormat(NODE_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802
        if event.mimeData().hasFormat(NODE_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        if not event.mimeData().hasFormat(NODE_MIME):
            event.ignore()
            return
        type_id = bytes(event.mimeData().data(NODE_MIME).data()).decode()
        self.node_dropped.emit(type_id, self.mapToScene(event.position().toPoint()))
        event.acceptProposedAction()
        self.setFocus()  # the keyboard follows the new node (Tab adds after it, Enter edits)
