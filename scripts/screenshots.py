"""Render the main views into docs/screenshots/*.png, in dark and light.

    Xvfb :99 -screen 0 1440x900x24 &
    DISPLAY=:99 QT_QPA_PLATFORM=xcb uv run python scripts/screenshots.py

Under a real X server (Xvfb) shots are taken from the screen, so open menus and popups show;
offscreen (the default without QT_QPA_PLATFORM) they are widget grabs and the menu shots are
skipped.

Uses real services (SQLite in a temp dir, simulated market, paper broker) and the example
workflows; the editor shows the Daily Morning Strategy after a real run."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import qasync  # noqa: E402
from PySide6.QtCore import QPointF, QRect  # noqa: E402
from PySide6.QtWidgets import QApplication, QMenu, QWidget  # noqa: E402

from agentic_desktop.engine.ports import ExecutionFilter  # noqa: E402
from agentic_desktop.ui.app_main import make_application  # noqa: E402
from agentic_desktop.ui.main_window import MainWindow  # noqa: E402
from agentic_desktop.ui.settings import open_settings  # noqa: E402
from tests.ui.services_kit import build_kit  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
SIZE = (1440, 900)


async def settle(app: QApplication, seconds: float = 0.15) -> None:
    # Awaiting lets the qasync loop process Qt events; app.processEvents() here would run
    # other tasks' steps inside this one ("Cannot enter into task", DESIGN.md §8).
    del app
    await asyncio.sleep(seconds)


def on_screen() -> bool:
    """A real X server: the screen can be grabbed, menus and popups included."""
    return QApplication.platformName() == "xcb"


def save(widget: QWidget, name: str, *, extra: QRect | None = None) -> None:
    path = OUT / f"{name}.png"
    if on_screen():
        area = widget.frameGeometry()
        if extra is not None:
            area = area.united(extra)
        screen = widget.screen()
        pixmap = screen.grabWindow(0, area.x(), area.y(), area.width(), area.height())
    else:
        pixmap = widget.grab()
    pixmap.save(str(path))
    print(path.relative_to(ROOT))


async def open_menu(app: QApplication, window: MainWindow, title: str) -> QMenu:
    """Open a menu-bar menu as a click would (no nested event loop)."""
    bar = window.menuBar()
    action = next(a for a in bar.actions() if a.text().replace("&", "") == title)
    bar.setActiveAction(action)
    await settle(app, 0.3)
    menu = action.menu()
    assert isinstance(menu, QMenu)
    return menu


async def shoot_editor_extras(app: QApplication, window: MainWindow, theme: str) -> None:
    """Menus (only on a real screen) and the keyboard pickers."""
    editor, scene = window.editor, window.editor.scene
    if on_screen():
        menu = await open_menu(app, window, "Edit")
        save(window, f"editor-menu-edit-{theme}", extra=menu.frameGeometry())
        menu.hide()
        window.menuBar().setActiveAction(None)  # type: ignore[arg-type]
        await settle(app)
    if theme != "dark":
        return
    editor.open_quick_add(scene.nodes["rsi"].scenePos() + QPointF(0, 140))
    editor.quick_add.search.setText("ind")
    await settle(app)
    save(window if on_screen() else editor.quick_add, "quick-add-dark")
    editor.quick_add.hide()
    scene.select_ids(["notify"])
    editor.open_connect()
    await settle(app)
    save(window if on_screen() else editor.connect_popup, "connect-dark")
    editor.connect_popup.hide()
    scene.clearSelection()


async def shoot(app: QApplication, window: MainWindow, theme: str) -> None:
    window.theme_actions[theme].trigger()
    window.show_area("Workflows")
    await settle(app, 0.3)
    window.editor.view.fit_readable()  # as a workflow opens
    await settle(app)
    save(window, f"editor-{theme}")
    await shoot_editor_extras(app, window, theme)
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


SAMPLE_SCHEDULES = (
    {"trigger_type": "cron", "name": "New York open",
     "trigger_config": {"cron_expression": "30 9 * * 1-5", "timezone": "America/New_York"}},
    {"trigger_type": "time", "trigger_config": {"interval_minutes": 15}, "priority": 2},
    {"trigger_type": "price", "workflow_id": 2,
     "trigger_config": {"symbol": "EURUSD", "condition": "price > 1.12", "check_interval": 5}},
    {"trigger_type": "indicator", "workflow_id": 3, "name": "RSI dip",
     "trigger_config": {"symbol": "GBPUSD", "timeframe": "H1", "indicator": "rsi",
                        "params": {"period": 14}, "condition": "rsi < 30"}},
    {"trigger_type": "webhook", "name": "TradingView alert"},
    {"trigger_type": "manual", "workflow_id": 2, "name": "by hand"},
)


async def shoot_scheduling(app: QApplication, window: MainWindow, theme: str) -> None:
    """The schedule dialog for every trigger type, the Schedules view with data, and
    Settings. The first theme creates the sample schedules (one auto-paused by five failures
    recorded through the repository path the workers use)."""
    from datetime import UTC, datetime

    from agentic_desktop.engine.schemas import ScheduleCreate

    view = window.schedules_view
    assert view is not None and window.services.engine is not None
    scheduling = window.services.engine.scheduling
    for kind in ("cron", "time", "price", "indicator", "manual"):
        view.new_schedule(1)
        dialog = view.dialog
        dialog.resize(960, 780)
        dialog.select_type(kind)
        dialog.validate()
        await settle(app, 0.8)  # live price / indicator values
        save(dialog, f"schedule-{kind}-{theme}")
        dialog.reject()
    if not scheduling.list_schedules():
        for body in SAMPLE_SCHEDULES:
            scheduling.create_schedule(ScheduleCreate(**{"workflow_id": 1, **body}))
        schedules = window.services.engine.scheduling._schedules  # noqa: SLF001 - demo data
        broken = scheduling.list_schedules()[2]
        for _ in range(5):
            schedules.record_outcome(broken.id, success=False, status="failed",
                                     at=datetime.now(UTC), pause_after=5)
        schedules.record_outcome(scheduling.list_schedules()[1].id, success=True,
                                 status="completed", at=datetime.now(UTC), pause_after=5)
        view.reload()
    webhook = next(s for s in scheduling.list_schedules() if s.trigger_type == "webhook")
    view.select_schedule(webhook.id)
    view.edit_selected()
    view.dialog.resize(960, 780)
    await settle(app, 0.3)
    save(view.dialog, f"schedule-webhook-{theme}")
    view.dialog.reject()
    view.table.clearSelection()
    await settle(app)
    save(window, f"schedules-{theme}")
    window.show_settings()
    await settle(app)
    save(window.dialog, f"settings-{theme}")
    window.dialog.tabs.setCurrentIndex(2)
    await settle(app)
    save(window.dialog, f"settings-notifications-{theme}")
    window.dialog.reject()



def demo_status(i: int) -> str:
    """Screenshot history: ~3 % failed, some days worse (a data feed outage)."""
    bad_day = (i // 288) % 5 == 3
    if i % (9 if bad_day else 37) == 0:
        return "failed"
    return "timed_out" if i % 211 == 0 else "completed"


def demo_duration(i: int) -> float:
    """A daily rhythm (busier market hours) with deterministic jitter."""
    hour = (i * 5 // 60) % 24
    busy = 1.6 if 7 <= hour <= 16 else 1.0
    return (90.0 + (i * 7919 % 113)) * busy

async def shoot_queue_and_history(app: QApplication, window: MainWindow, db: Any) -> None:
    """Queue monitor (empty, then with jobs) and History (table, detail, charts) in both
    themes. Two weeks of seeded history (older ids and times), then real jobs through the
    started engine, one of them failing, and two due later (pending)."""
    from datetime import UTC, datetime, timedelta

    from agentic_desktop.domain.workflow import Node, Workflow
    from agentic_desktop.engine.ports import NewJob
    from tests.store.execution_seed import seed_executions

    engine, services = window.services.engine, window.services
    assert engine is not None
    monitor, history = window.queue_view, window.history_view
    for theme in ("dark", "light"):
        window.theme_actions[theme].trigger()
        window.show_area("Queue")
        await settle(app, 1.0)
        save(window, f"queue-empty-{theme}")
    names = [(s.id, s.workflow.name) for s in services.workflows.list()]
    now = datetime.now(UTC)
    first = max((r.execution_id for r in engine.executions.page(
        ExecutionFilter(), limit=1)), default=0) + 1
    seed_executions(db, 4000, workflows=names, start=now - timedelta(days=14),
                    step=timedelta(minutes=5), node_runs_for_last=1500, first_id=first,
                    status=demo_status, duration_ms=demo_duration)
    broken = services.workflows.add(Workflow(name="Broken feed", nodes=(
        Node(id="candles", type="market.candles", params={"symbol": "NOSUCH"}),)))
    await services.start_engine()
    engine.scheduling.run_now(workflow_id=1, payload={
        "ticker": "EURUSD", "action": "buy", "price": 1.0842, "source": "TradingView alert"})
    for workflow_id in (2, 3, 1, 2, broken.id, 3, 1):
        await asyncio.sleep(0.25)
        engine.scheduling.run_now(workflow_id=workflow_id)
    queue = engine.scheduling._queue  # noqa: SLF001 - demo data: jobs due later stay pending
    for minutes, workflow_id in ((12, 2), (30, 3)):
        due = datetime.now(UTC) + timedelta(minutes=minutes)
        queue.enqueue(NewJob(workflow_id=workflow_id, scheduled_at=due, created_at=now,
                             idempotency_key=f"demo-later-{minutes}", priority=1,
                             trigger_type="cron"))
    monitor.reload()
    await settle(app, 2.0)
    for theme in ("dark", "light"):
        window.theme_actions[theme].trigger()
        window.show_area("Queue")
        await settle(app, 0.8)
        save(window, f"queue-{theme}")
    daily = min((j for j in monitor.model.jobs() if j.workflow_id == 1 and j.execution_id),
                key=lambda j: j.id)
    window.open_execution(daily.execution_id)
    await settle(app, 2.5)
    for theme in ("dark", "light"):
        window.theme_actions[theme].trigger()
        await settle(app, 0.8)
        save(window, f"history-{theme}")
    window.theme_actions["dark"].trigger()
    for tab, name in ((1, "nodes"), (2, "payload")):
        history.detail.tabs.setCurrentIndex(tab)
        await settle(app, 0.4)
        save(window, f"history-{name}-dark")
    breakout = [j for j in monitor.model.jobs() if j.workflow_id == 2 and j.execution_id]
    if breakout:  # the simulated EURUSD decides whether the breakout placed an order
        window.open_execution(breakout[-1].execution_id)
        history.detail.tabs.setCurrentIndex(3)
        await settle(app, 1.5)
        save(window, "history-orders-dark")
    await services.stop_engine()


async def main(app: QApplication) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        kit = build_kit(Path(tmp), seed_examples=True, engine=True)
        window = MainWindow(kit.services, open_settings(Path(tmp)), lambda: None)
        window.resize(*SIZE)
        window.move(0, 0)
        window.open_initial_workflow()
        window.show()
        window.set_engine_state("running")  # the executor is live; no scheduler in this script
        for theme in ("dark", "light"):
            await shoot(app, window, theme)
        for theme in ("dark", "light"):  # after the empty states of both themes
            window.theme_actions[theme].trigger()
            window.show_area("Schedules")
            await shoot_scheduling(app, window, theme)
        await shoot_queue_and_history(app, window, kit.db)
        window.close_for_quit()
        kit.db.close()


if __name__ == "__main__":
    application = make_application(sys.argv)
    loop = qasync.QEventLoop(application)
    asyncio.set_event_loop(loop)
    with loop:
        loop.run_until_complete(main(application))
