"""Files (rename, delete with confirmation, import/export, unsaved prompt), the shell's
dialogs and theme switch, and the main coroutine's quit path."""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QMessageBox

from agentic_desktop.domain.workflow import loads
from agentic_desktop.ui.app_main import main_coroutine
from agentic_desktop.ui.settings import open_settings
from tests.ui.services_kit import EXAMPLES


def click(box: QMessageBox, button: QMessageBox.StandardButton) -> None:
    box.button(button).click()


def test_import_save_rename_export_delete(window, tmp_path: Path) -> None:
    files, doc = window.files, window.document
    assert files.import_path(EXAMPLES / "01_daily_morning_strategy.json")
    assert doc.dirty and doc.stored_id is None and len(window.editor.scene.nodes) == 8
    assert window.windowTitle().startswith("Daily Morning Strategy*")
    files.save()
    files.dialog.accept()  # suggested name
    assert doc.stored_id is not None and not doc.dirty
    files.rename()
    files.dialog.setTextValue("Morning RSI")
    files.dialog.accept()
    assert window.services.workflows.get(doc.stored_id).workflow.name == "Morning RSI"
    assert window.workflow_list.names() == ["Morning RSI"]
    out = tmp_path / "out.json"
    assert files.export_path(out)
    assert loads(out.read_text()).nodes == doc.workflow.nodes
    files.delete()
    click(files.dialog, QMessageBox.StandardButton.Cancel)
    assert window.workflow_list.names() == ["Morning RSI"]
    files.delete()
    click(files.dialog, QMessageBox.StandardButton.Yes)
    assert window.workflow_list.names() == [] and doc.stored_id is None


def test_bad_import_reports_the_reason(window, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something-else", "version": 1}')
    assert not window.files.import_path(bad)
    assert window.last_error[0] == "Import failed" and "format" in window.last_error[1]


def test_unsaved_changes_prompt_on_switch(window) -> None:
    files, doc = window.files, window.document
    window.editor.add_node("market.candles", QPointF(0, 0))
    assert doc.dirty
    files.new()
    click(files.dialog, QMessageBox.StandardButton.Cancel)
    assert len(doc.workflow.nodes) == 1  # cancel keeps the edits
    files.new()
    click(files.dialog, QMessageBox.StandardButton.Discard)
    assert doc.workflow.nodes == () and not doc.dirty


def test_close_asks_then_requests_quit(window) -> None:
    window.editor.add_node("market.candles", QPointF(0, 0))
    window.close()
    assert window.isVisible() and window.quit_calls == []
    click(window.files.dialog, QMessageBox.StandardButton.Discard)
    assert window.quit_calls == [1]


def test_dialogs_and_theme(window) -> None:
    window.actions_by_name["about"].trigger()
    assert window.dialog.version_text == "0.1.0-test"
    assert str(window.services.data_dir) == window.dialog.data_dir_text
    window.dialog.reject()
    window.actions_by_name["shortcuts"].trigger()
    names = {name for name, _keys in window.dialog.rows}
    assert {"Undo", "Copy", "Paste", "Duplicate", "Fit All", "Reset Zoom", "Run Now",
            "Save", "Quick Add"} <= names
    window.dialog.reject()
    window.theme_actions["light"].trigger()
    assert window.editor.scene.colors.name == "light"
    assert open_settings(window.services.data_dir).value("ui/theme") == "light"
    window.show_area("Schedules")
    assert not window.docks["palette"].isVisible()
    assert "Nothing scheduled" in window.empty_pages["Schedules"].title.text()
    window.show_area("Workflows")
    assert window.docks["palette"].isVisible()


def test_main_coroutine_starts_and_stops_the_engine(qapp, kit, qloop) -> None:
    quit_event = asyncio.Event()
    seen = []

    def on_window(w) -> None:
        seen.append(w)
        w.actions_by_name["quit"].trigger()  # nothing unsaved: quits at once

    code = qloop.run_until_complete(asyncio.wait_for(
        main_coroutine(qapp, kit.services, quit_event=quit_event, on_window=on_window), 10))
    assert code == 0 and kit.engine_calls == ["start", "stop"]
    settings = open_settings(kit.services.data_dir)
    assert settings.value("window/geometry") is not None
    assert settings.value("window/state") is not None
