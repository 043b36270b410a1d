"""Status bar: engine state, the local API address (or "API off"), active runs."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

API_POLL_MS = 2000


class AppStatusBar(QStatusBar):
    def __init__(self, api_address: Callable[[], str | None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.api_address = api_address
        self.engine_label = QLabel()
        self.api_label = QLabel()
        self.runs_label = QLabel()
        for label in (self.engine_label, self.api_label, self.runs_label):
            self.addPermanentWidget(label)
        self.set_engine_state("starting")
        self.set_active_runs(0)
        self.refresh_api()
        # The API may come up (or go down) after the window: poll the cheap getter.
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh_api)
        self._timer.start(API_POLL_MS)

    def set_engine_state(self, state: str) -> None:
        self.engine_label.setText(f"Engine: {state}")

    def set_active_runs(self, count: int) -> None:
        self.runs_label.setText(f"Active runs: {count}")

    def refresh_api(self) -> None:
        address = self.api_address()
        self.api_label.setText(f"API: {address}" if address else "API off")
