"""Run as a separate process by test_single_instance.py: claim the single-instance server for
a data dir. The primary prints "primary", waits for a raise request, prints "raised" and
exits; a secondary prints "secondary" and exits at once."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QTimer

from agentic_desktop.ui.single_instance import SingleInstance


def main() -> int:
    app = QCoreApplication(sys.argv[:1])
    instance = SingleInstance(Path(sys.argv[1]))
    if not instance.claim():
        print("secondary", flush=True)
        return 0
    print("primary", flush=True)
    instance.raise_requested.connect(lambda: (print("raised", flush=True), app.quit()))
    QTimer.singleShot(20_000, app.quit)  # never outlive a broken test
    app.exec()
    instance.release()
    return 0


if __name__ == "__main__":
    sys.exit(main())
