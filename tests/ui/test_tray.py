"""The tray over the real engine, offscreen where the platform has no system tray: the object
and its menu exist anyway; Run ▸, Run workflow…, Pause all / Resume all and Quit work;
closing the window asks (without blocking) instead of dying; notifications obey Settings."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QMessageBox, QSystemTrayIcon

from agentic_desktop.domain.trading import Notification
from agentic_desktop.engine.events import JobFinished
from agentic_desktop.engine.schemas import ScheduleCreate
from agentic_desktop.ui.main_window import MainWindow
from agentic_desktop.ui.settings import open_settings
from agentic_desktop.ui.tray import AppTray
from tests.ui.conftest import until
from tests.ui.services_kit import Kit, build_kit


@pytest.fixture
def engine_kit(data_dir: Path) -> Iterator[Kit]:
    k = build_kit(data_dir, seed_examples=True, engine=True)
    yield k
    k.db.close()


@pytest.fixture
def tray(engine_kit: Kit, qtbot: Any, qloop: Any) -> Iterator[AppTray]:
    quits: list[int] = []
    settings = open_settings(engine_kit.services.data_dir)
    window = MainWindow(engine_kit.services, settings, lambda: quits.append(1))
    qtbot.addWidget(window)
    window.open_initial_workflow()
    window.show()
    t = AppTray(window, lambda: quits.append(1), settings)
    t.quits = quits  # type: ignore[attr-defined]
    yield t
    t.close()
    window.close_for_quit()


def add(kit: Kit, **fields: Any) -> int:
    body = {"workflow_id": 1, "trigger_type": "manual", **fields}
    return kit.services.engine.scheduling.create_schedule(ScheduleCreate(**body)).schedule.id


def test_exists_without_a_platform_tray(tray: AppTray) -> None:
    assert not QSystemTrayIcon.isSystemTrayAvailable()  # offscreen: no tray
    assert not tray.available and not tray.icon.isVisible()
    assert {"show", "pause_all", "resume_all", "queue", "quit", "run_workflow"} <= set(
        tray.actions_by_name)
    texts = [a.text() for a in tray.menu.actions() if a.text()]
    assert texts[:2] == ["Show window", "Run"] and texts[-1] == "Quit Agentic Desktop"
    assert tray.state == "idle" and not tray.icon.icon().isNull()


def test_run_menu_runs_manual_schedules_and_any_workflow(tray: AppTray, engine_kit: Kit) -> None:
    scheduling = engine_kit.services.engine.scheduling
    manual = add(engine_kit, name="by hand")
    add(engine_kit, trigger_type="time", trigger_config={"interval_minutes": 5})
    assert list(tray.run_actions) == [manual]  # rebuilt from the engine's event
    assert tray.run_actions[manual].text() == "Daily Morning Strategy — by hand"
    tray.run_actions[manual].trigger()
    [job] = scheduling.pending()
    assert job.scheduled_job_id == manual and job.trigger_type == "manual"
    tray.actions_by_name["run_workflow"].trigger()
    tray.dialog.setTextValue("Daily Morning Strategy")
    tray.dialog.accept()
    assert sorted((j.workflow_id, j.scheduled_job_id or 0) for j in scheduling.pending()) == [
        (1, 0), (1, manual)]


def test_pause_all_and_resume_all(tray: AppTray, engine_kit: Kit) -> None:
    scheduling = engine_kit.services.engine.scheduling
    a = add(engine_kit, trigger_type="time", trigger_config={"interval_minutes": 5})
    b = add(engine_kit, trigger_type="cron", trigger_config={"cron_expression": "@daily"})
    mine = add(engine_kit, is_active=False)  # paused by the trader: stays paused
    tray.menu.aboutToShow.emit()
    assert tray.actions_by_name["pause_all"].isEnabled()
    assert not tray.actions_by_name["resume_all"].isEnabled()
    tray.actions_by_name["pause_all"].trigger()
    assert not any(s.is_active for s in scheduling.list_schedules())
    assert tray.state == "paused"
    tray.menu.aboutToShow.emit()
    assert tray.actions_by_name["resume_all"].text() == "Resume all (2)"
    tray.actions_by_name["resume_all"].trigger()
    active = {s.id: s.is_active for s in scheduling.list_schedules()}
    assert active == {a: True, b: True, mine: False}
    assert scheduling.get_schedule(a).next_run is not None and tray.state == "idle"


def test_quit_from_the_menu(tray: AppTray) -> None:
    tray.actions_by_name["quit"].trigger()
    assert tray.quits == [1]  # type: ignore[attr-defined]


def test_quit_offers_to_save_first(tray: AppTray) -> None:
    tray.window.editor.add_node("market.candles", QPointF(0, 0))
    tray.window.hide()
    tray.actions_by_name["quit"].trigger()
    assert tray.window.isVisible() and tray.quits == []  # type: ignore[attr-defined]
    tray.window.files.dialog.button(QMessageBox.StandardButton.Discard).click()
    assert tray.quits == [1]  # type: ignore[attr-defined]


def test_closing_without_a_tray_asks_and_never_dies_silently(tray: AppTray,
                                                            engine_kit: Kit) -> None:
    add(engine_kit, trigger_type="time", trigger_config={"interval_minutes": 5})
    window = tray.window
    window.close()
    box = tray.dialog
    assert isinstance(box, QMessageBox) and "1 active schedule" in box.informativeText()
    assert window.isVisible() and tray.quits == []  # type: ignore[attr-defined]
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert window.isVisible() and not window.isMinimized()
    window.close()
    keep = next(b for b in tray.dialog.buttons() if b.text() == "Keep running minimised")
    keep.click()
    assert window.isMinimized() and tray.quits == []  # type: ignore[attr-defined]
    window.close()
    quit_button = next(b for b in tray.dialog.buttons() if b.text() == "Quit")
    quit_button.click()
    assert tray.quits == [1]  # type: ignore[attr-defined]


def test_closing_with_a_tray_hides_and_says_so_once(tray: AppTray) -> None:
    tray.available = True  # as on a desktop with a tray
    tray.window.close()
    assert not tray.window.isVisible() and tray.quits == []  # type: ignore[attr-defined]
    assert tray.messages[-1][0] == "Agentic Desktop" and "tray" in tray.messages[-1][1]
    tray.actions_by_name["show"].trigger()
    assert tray.window.isVisible()
    tray.window.close()
    assert len(tray.messages) == 1  # the hint is shown the first time only


def test_notifications_follow_settings(tray: AppTray, engine_kit: Kit,
                                       run_async: Any) -> None:
    engine = engine_kit.services.engine
    events = engine_kit.services.events
    failed = JobFinished(time=datetime.now(UTC), job_id=7, workflow_id=1, status="failed",
                         error="node 'rsi' failed")
    events.publish(failed)
    assert tray.messages == [("Run failed", "Job 7: node 'rsi' failed")]
    assert tray.state == "error"
    tray.show_window()
    assert tray.state == "idle"
    settings = engine.settings.load()
    quiet = replace(settings, notify={**settings.notify, "run_failed": False,
                                      "schedule_paused": False})
    run_async(engine.apply_settings(quiet))
    tray.settings_changed(quiet)
    events.publish(failed)
    run_async(engine.notifier.notify(Notification(title="Schedule paused", message="x",
                                                  level="warning")))
    run_async(engine.notifier.notify(Notification(title="Daily run limit reached",
                                                  message="100 runs", level="warning")))
    run_async(until(lambda: len(tray.messages) == 2))
    assert tray.messages[-1] == ("Daily run limit reached", "100 runs")


def test_settings_from_the_window_reach_the_tray_and_theme(tray: AppTray,
                                                           run_async: Any) -> None:
    window = tray.window
    window.actions_by_name["settings"].trigger()
    dialog = window.dialog
    dialog.notify_boxes["run_failed"].setChecked(False)
    dialog.theme.setCurrentIndex(dialog.theme.findData("light"))
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    run_async(until(lambda: not tray.app_settings.notify["run_failed"]))
    assert window.theme_name == "light"


def test_rejected_webhook_becomes_a_tray_message(tray: AppTray, engine_kit: Kit) -> None:
    from agentic_desktop.engine.events import WebhookRejected

    engine_kit.services.events.publish(WebhookRejected(
        time=datetime.now(UTC), schedule_id=7, reason="a delivery to schedule 7 had a wrong secret"))
    assert ("Webhook rejected", "a delivery to schedule 7 had a wrong secret") in tray.messages
