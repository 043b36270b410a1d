"""Settings dialog over the real engine: values round-trip through the engine (save, reopen,
kept), apprise URLs live only in the secret store (never in the SQLite file or the UI
settings file), the paper account reset and the token regeneration ask first."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox

from agentic_desktop.ui.dialogs.settings_dialog import MACHINE_ZONE, SettingsDialog
from tests.ui.conftest import until
from tests.ui.services_kit import Kit, build_kit

APPRISE = "json://localhost:9/secret-token-4711"


@pytest.fixture
def engine_kit(data_dir: Path) -> Iterator[Kit]:
    k = build_kit(data_dir, seed_examples=True, engine=True)
    yield k
    k.db.close()


def open_dialog(kit: Kit, qtbot: Any) -> SettingsDialog:
    dialog = SettingsDialog(kit.services)
    qtbot.addWidget(dialog)
    dialog.open()
    return dialog


def test_round_trip_and_apprise_only_in_the_secret_store(
        engine_kit: Kit, qtbot: Any, run_async: Any) -> None:
    engine = engine_kit.services.engine
    dialog = open_dialog(engine_kit, qtbot)
    assert dialog.zone.zone() == MACHINE_ZONE and dialog.daily.value() == 100
    dialog.concurrent.setValue(4)
    dialog.daily.setValue(250)
    dialog.timeout.setValue(120)
    dialog.memory.setValue(800)
    dialog.failures.setValue(3)
    dialog.api_enabled.setChecked(False)
    dialog.api_port.setValue(8765)
    dialog.notify_boxes["order_placed"].setChecked(False)
    dialog.apprise.setPlainText(f"{APPRISE}\n\n")
    dialog.commission_lot.setValue(3.5)
    dialog.slippage.setValue(0.4)
    dialog.theme.setCurrentIndex(dialog.theme.findData("light"))
    dialog.start_minimized.setChecked(True)
    dialog.zone.set_zone("Europe/London")
    applied: list[Any] = []
    dialog.applied.connect(applied.append)
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    run_async(until(lambda: bool(applied)))
    assert dialog.result() == dialog.DialogCode.Accepted

    saved = engine.settings.load()
    assert (saved.limits.max_concurrent_per_user, saved.limits.max_runs_per_day,
            saved.limits.timeout_seconds, saved.limits.memory_mb,
            saved.limits.failures_before_pause) == (4, 250, 120.0, 800.0, 3)
    assert (saved.api_enabled, saved.api_port, saved.theme, saved.start_minimized,
            saved.default_timezone) == (False, 8765, "light", True, "Europe/London")
    assert saved.notify["order_placed"] is False and saved.notify["run_failed"] is True
    assert engine.secrets.get(engine.apprise_secret_key) == APPRISE
    assert engine.paper_account.account().commission_per_lot == 3.5

    again = open_dialog(engine_kit, qtbot)
    assert (again.concurrent.value(), again.daily.value(), again.failures.value()) == (4, 250, 3)
    assert not again.api_enabled.isChecked() and again.api_port.value() == 8765
    assert not again.notify_boxes["order_placed"].isChecked()
    assert again.apprise.toPlainText() == APPRISE
    assert again.zone.zone() == "Europe/London" and again.theme.currentData() == "light"
    assert again.slippage.value() == pytest.approx(0.4)

    data_dir = engine_kit.services.data_dir
    for path in data_dir.rglob("*"):
        if path.is_file() and path.name != "secrets.json":
            assert b"secret-token-4711" not in path.read_bytes(), path
    assert any(p.name.endswith(".db") for p in data_dir.iterdir())

    again.apprise.setPlainText("")
    again.apply()
    run_async(until(lambda: not again.busy))
    assert engine.secrets.get(engine.apprise_secret_key) is None


def test_bad_zone_is_refused_with_its_field(engine_kit: Kit, qtbot: Any, qloop: Any) -> None:
    dialog = open_dialog(engine_kit, qtbot)
    dialog.zone.set_zone("Mars/Olympus")
    dialog.apply()
    assert "default_timezone" in dialog.error.text() and not dialog.busy
    assert engine_kit.services.engine.settings.load().default_timezone == ""


def test_reset_paper_account_and_regenerate_token_ask_first(
        engine_kit: Kit, qtbot: Any, run_async: Any) -> None:
    engine = engine_kit.services.engine
    dialog = open_dialog(engine_kit, qtbot)
    dialog.balance.setValue(25_000)
    dialog.currency.setCurrentText("eur")
    dialog.reset_button.click()
    dialog.dialog.button(QMessageBox.StandardButton.Cancel).click()
    assert engine.paper_account.account().currency != "EUR"
    dialog.reset_button.click()
    dialog.dialog.button(QMessageBox.StandardButton.Yes).click()
    account = engine.paper_account.account()
    assert (account.balance, account.currency) == (25_000, "EUR")
    assert dialog.account_label.text() == "25,000.00 EUR"
    old = dialog.token.text()
    assert old == engine.api_token()
    dialog.regenerate.click()
    dialog.dialog.button(QMessageBox.StandardButton.Yes).click()
    run_async(until(lambda: dialog.token.text() != old))
    assert dialog.token.text() == engine.api_token()


def test_apprise_test_button_reports_failure(engine_kit: Kit, qtbot: Any,
                                             run_async: Any) -> None:
    dialog = open_dialog(engine_kit, qtbot)
    dialog.test_button.click()
    assert dialog.test_result.text() == "Add at least one URL first."
    dialog.apprise.setPlainText("not-a-valid-url")
    dialog.test_button.click()
    run_async(until(lambda: dialog.test_button.isEnabled(), timeout=20))
    assert dialog.test_result.text().startswith("delivery failed")
