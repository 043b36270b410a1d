"""Help → About: version and data dir (where the database, settings and logs live)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget


class AboutDialog(QDialog):
    def __init__(self, version: str, data_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Agentic Desktop")
        title = QLabel(f"<h2>Agentic Desktop</h2><p>Version {version}</p>")
        body = QLabel(
            "Draw trading workflows as node graphs, run them on a simulated market and a "
            "paper broker, schedule them and leave them running. Everything stays on this "
            "machine."
        )
        body.setWordWrap(True)
        where = QLabel(f"<b>Data folder</b><br><code>{data_dir}</code>")
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        where.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        for w in (title, body, where):
            layout.addWidget(w)
        layout.addWidget(buttons)
        self.setMinimumWidth(440)
        self.version_text = version
        self.data_dir_text = str(data_dir)
