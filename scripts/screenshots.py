"""Render the main views offscreen into docs/screenshots/*.png, in dark and light.

    uv run python scripts/screenshots.py

Uses real services (SQLite in a temp dir, simulated market, paper broker) and the example
workflows; the editor shows the Daily Morning Strategy after a real run."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import qasync  # noqa: E402
from PySide6.QtCore import QPointF  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from agentic_desktop.ui.app_main import make_application  # noqa: E402
from agentic_desktop.ui.main_window import MainWindow  # noqa: E402
from agentic_desktop.ui.settings import open_settings  # noqa: E402
from tests.ui.services_kit import build_kit  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
SIZE = (1440, 900)


async def settle(app: QApplication, seconds: float = 0.15) -> None:
    app.processEvents()
    await asyncio.sleep(seconds)
    app.processEvents()


def save(widget: QWidget, name: str) -> None:
    path = OUT / f"{name}.png"
    widget.grab().save(str(path))
    print(path.relative_to(ROOT))


async def shoot(app: QApplication, window: MainWindow, theme: str) -> None:
    window.theme_actions[theme].trigger()
    window.show_area("Workflows")
    await settle(app, 0.3)
    window.editor.view.fit_all()
    await settle(app)
    save(window, f"editor-{theme}")
    window.runs.run()
    while window.runs.running:
        await asyncio.sleep(0.05)
    scene = window.editor.scene
    scene.select_ids(["rsi"])
    window.inspector.show_node("rsi")
    rsi = scene.nodes["rsi"]
    port = rsi.outputs["rsi"]
    scene.show_port_value(port, port.anchor() + QPointF(4, 4))
    await settle(app)
    save(window, f"editor-run-{theme}")
    scene.hide_value_preview()
    window.show_area("Schedules")
    await settle(app)
    save(window, f"empty-schedules-{theme}")
    window.show_area("Workflows")
    window.actions_by_name["about"].trigger()
    await settle(app)
    save(window.dialog, f"about-{theme}")
    window.dialog.reject()
    if theme == "dark":
        window.actions_by_name["shortcuts"].trigger()
        await settle(app)
        save(window.dialog, "shortcuts-dark")
        window.dialog.reject()
        window.editor.open_quick_add(QPointF(0, 0))
        window.editor.quick_add.search.setText("ind")
        await settle(app)
        save(window.editor.quick_add, "quick-add-dark")
        window.editor.quick_add.hide()


async def main(app: QApplication) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        kit = build_kit(Path(tmp), seed_examples=True)
        window = MainWindow(kit.services, open_settings(Path(tmp)), lambda: None)
        window.resize(*SIZE)
        window.open_initial_workflow()
        window.show()
        window.set_engine_state("running")  # the executor is live; no scheduler in this script
        for theme in ("dark", "light"):
            await shoot(app, window, theme)
        window.close_for_quit()
        kit.db.close()


if __name__ == "__main__":
    application = make_application(sys.argv)
    loop = qasync.QEventLoop(application)
    asyncio.set_event_loop(loop)
    with loop:
        loop.run_until_complete(main(application))
