"""Schedules view over the real engine: empty state, create through the dialog, live rows
from engine events, pause/resume/run now/delete/history, and the auto-pause after 5 failures
of a real workflow run through the real queue and workers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox

from agentic_desktop.domain.workflow import Node, Workflow
from agentic_desktop.engine.schemas import ScheduleCreate
from agentic_desktop.ui.bridge import EngineBridge
from agentic_desktop.ui.views.schedules_model import COLUMNS
from agentic_desktop.ui.views.schedules_view import SchedulesView
from tests.ui.conftest import until
from tests.ui.services_kit import Kit, build_kit

STATE = COLUMNS.index("State")


@pytest.fixture
def engine_kit(data_dir: Path) -> Iterator[Kit]:
    k = build_kit(data_dir, seed_examples=True, engine=True)
    yield k
    k.db.close()


@pytest.fixture
def view(engine_kit: Kit, qtbot: Any, qloop: Any) -> Iterator[SchedulesView]:
    bridge = EngineBridge(engine_kit.services.events)
    v = SchedulesView(engine_kit.services, bridge)
    qtbot.addWidget(v)
    v.resize(1200, 500)
    v.show()
    yield v
    bridge.close()


def cell(view: SchedulesView, row: int, column: int) -> str:
    return str(view.model.data(view.model.index(row, column)))


def add(kit: Kit, **fields: Any) -> int:
    assert kit.services.engine is not None
    body = {"workflow_id": 1, "trigger_type": "manual", **fields}
    return kit.services.engine.scheduling.create_schedule(ScheduleCreate(**body)).schedule.id


def test_empty_state_then_new_schedule_through_the_dialog(view: SchedulesView) -> None:
    assert view.pages.currentWidget() is view.empty
    view.actions_by_name["new"].trigger()
    dialog = view.dialog
    dialog.select_type("time")
    dialog.validate()
    dialog.ok_button.click()
    assert view.pages.currentWidget() is view.table and view.model.rowCount() == 1
    assert cell(view, 0, 0) == "Daily Morning Strategy"
    assert cell(view, 0, 1) == "Interval: Every 15 minutes"
    assert cell(view, 0, STATE) == "Active" and cell(view, 0, 2) != "—"


def test_rows_follow_engine_events_and_actions(view: SchedulesView, engine_kit: Kit) -> None:
    scheduling = engine_kit.services.engine.scheduling
    first = add(engine_kit, trigger_type="cron",
                trigger_config={"cron_expression": "0 9 * * 1-5", "timezone": "Europe/London"})
    second = add(engine_kit, name="by hand")
    assert view.model.rowCount() == 2  # created through the engine, shown from its events
    assert cell(view, 1, 0) == "Daily Morning Strategy — by hand"
    scheduling.toggle_schedule(first, False)  # e.g. from the API
    assert cell(view, 0, STATE) == "Paused" and cell(view, 0, 2) == "—"
    view.select_schedule(first)
    assert view.actions_by_name["toggle"].text() == "Resume"
    view.actions_by_name["toggle"].trigger()
    assert scheduling.get_schedule(first).is_active and cell(view, 0, STATE) == "Active"
    view.select_schedule(second)
    view.actions_by_name["run"].trigger()
    assert [j.scheduled_job_id for j in scheduling.pending()] == [second]
    opened: list[int] = []
    view.open_history.connect(opened.append)
    view.actions_by_name["history"].trigger()
    assert opened == [second]
    view.actions_by_name["delete"].trigger()
    view.dialog.button(QMessageBox.StandardButton.Cancel).click()
    assert view.model.rowCount() == 2
    view.actions_by_name["delete"].trigger()
    view.dialog.button(QMessageBox.StandardButton.Yes).click()
    assert view.model.rowCount() == 1 and [s.id for s in scheduling.list_schedules()] == [first]


def test_auto_pause_after_five_failures_is_shown(view: SchedulesView, engine_kit: Kit,
                                                 run_async: Any) -> None:
    services = engine_kit.services
    # Fails every run with a user error (unknown symbol): never retried, counted each time.
    broken = services.workflows.add(Workflow(name="Broken", nodes=(
        Node(id="candles", type="market.candles", params={"symbol": "NOPE"}),)))
    schedule_id = add(engine_kit, workflow_id=broken.id)
    view.reload()
    row = view.model.row_of(schedule_id)
    assert cell(view, row, 0) == "Broken" and cell(view, row, STATE) == "Active"

    async def scenario() -> None:
        await services.start_engine()
        try:
            for n in range(1, 6):
                services.engine.scheduling.run_now(schedule_id=schedule_id)
                await until(lambda n=n: view.model.rows[row].schedule.run_count == n)
            await until(lambda: view.model.rows[row].state == "auto-paused")
        finally:
            await services.stop_engine()

    run_async(scenario())
    assert cell(view, row, COLUMNS.index("Failures")) == "5"
    assert cell(view, row, COLUMNS.index("Result")) == "failed"
    state = cell(view, row, STATE)
    assert state.startswith("Auto-paused after 5 consecutive failures (last: failed"), state
    color = view.model.data(view.model.index(row, STATE), 9)  # ForegroundRole
    assert color.name() == "#e5484d"


def test_editor_schedule_action_saves_a_new_workflow_first(
        engine_kit: Kit, qtbot: Any, qloop: Any) -> None:
    from agentic_desktop.ui.main_window import MainWindow
    from agentic_desktop.ui.settings import open_settings

    window = MainWindow(engine_kit.services, open_settings(engine_kit.services.data_dir),
                        lambda: None)
    qtbot.addWidget(window)
    window.files.new()  # an unsaved, new workflow
    window.editor.add_node("market.candles")
    window.actions_by_name["schedule"].trigger()
    window.dialog.button(QMessageBox.StandardButton.Save).click()
    window.files.dialog.setTextValue("Scheduled from the editor")
    window.files.dialog.accept()
    stored = window.document.stored_id
    assert stored is not None and not window.document.dirty
    dialog = window.dialog
    assert dialog.workflow.currentData() == stored
    dialog.select_type("manual")
    dialog.ok_button.click()
    assert [s.workflow_id for s in engine_kit.services.engine.scheduling.list_schedules()] == [
        stored]
    assert window.schedules_view.model.rowCount() == 1
    window.actions_by_name["schedule"].trigger()  # saved and clean: straight to the dialog
    assert window.dialog.workflow.currentData() == stored
    window.dialog.reject()
    window.close_for_quit()
