"""Copy/paste through the system clipboard as workflow JSON (the version-1 file format), so
a selection pastes into another workflow, or another running copy of the app."""

from __future__ import annotations

import json

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QGuiApplication

from agentic_desktop.domain.errors import UserError
from agentic_desktop.domain.workflow import Workflow, from_json

CLIP_MIME = "application/x-agentic-workflow"


def copy_to_clipboard(piece: Workflow) -> None:
    text = piece.dumps()
    data = QMimeData()
    data.setData(CLIP_MIME, text.encode())
    data.setText(text)  # pasting into a text editor gives readable JSON
    QGuiApplication.clipboard().setMimeData(data)


def read_clipboard() -> Workflow | None:
    data = QGuiApplication.clipboard().mimeData()
    if data is None:
        return None
    if data.hasFormat(CLIP_MIME):
        raw = bytes(data.data(CLIP_MIME).data()).decode()
    elif data.hasText():
        raw = data.text()
    else:
        return None
    try:
        return from_json(json.loads(raw), source="clipboard")
    except (ValueError, UserError):
        return None  # not ours: ignore, as any editor ignores an unknown paste
