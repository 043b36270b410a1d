"""The schedule dialog over the real engine and SQLite: every trigger type created through
the dialog, the engine's own errors shown at their fields (OK disabled meanwhile), the live
previews, and editing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtGui import QGuiApplication

from agentic_desktop.ui.dialogs.market_forms import IndicatorForm, PriceForm
from agentic_desktop.ui.dialogs.schedule_dialog import ScheduleDialog
from agentic_desktop.ui.dialogs.trigger_forms import CronForm, IntervalForm
from agentic_desktop.ui.dialogs.webhook_form import WebhookForm
from tests.ui.conftest import until
from tests.ui.services_kit import Kit, build_kit


@pytest.fixture
def engine_kit(data_dir: Path) -> Iterator[Kit]:
    k = build_kit(data_dir, seed_examples=True, engine=True)
    yield k
    k.db.close()


def open_dialog(kit: Kit, qtbot: Any, **kwargs: Any) -> ScheduleDialog:
    dialog = ScheduleDialog(kit.services, workflow_id=1, **kwargs)
    qtbot.addWidget(dialog)
    dialog.open()
    return dialog


def schedules(kit: Kit) -> list[Any]:
    assert kit.services.engine is not None
    return kit.services.engine.scheduling.list_schedules()


def test_cron_with_zone_preview_and_errors(engine_kit: Kit, qtbot: Any, qloop: Any) -> None:
    dialog = open_dialog(engine_kit, qtbot)
    assert dialog.trigger_type() == "cron"
    form = dialog.forms["cron"]
    assert isinstance(form, CronForm)
    form.expression.setText("61 9 * * *")
    dialog.validate()
    assert not dialog.ok_button.isEnabled()
    assert "minute" in dialog.field_error("cron_expression")
    dialog.save()  # refused while invalid: nothing written
    assert schedules(engine_kit) == []
    form.preset.setCurrentIndex(1)
    form.preset.activated.emit(1)  # "Every weekday at 09:00"
    assert form.expression.text() == "0 9 * * 1-5"
    form.zone.set_zone("Mars/Olympus_Mons")
    dialog.validate()
    assert not dialog.ok_button.isEnabled()
    assert "unknown time zone" in dialog.field_error("timezone")
    form.zone.set_zone("America/New_York")
    dialog.validate()
    assert dialog.ok_button.isEnabled() and dialog.field_error("timezone") == ""
    assert form.description.text().startswith("At 09:00 on Monday through Friday")
    times = form.fire_times.times
    assert len(times) == 5
    assert all(t.astimezone(ZoneInfo("America/New_York")).hour == 9
               for t in times)
    assert "America/New_York" in form.fire_times.text() and "Your time" in \
        form.fire_times.text()
    dialog.name.setText("NY open")
    dialog.save()
    [saved] = schedules(engine_kit)
    assert saved.trigger_type == "cron" and saved.name == "NY open"
    assert saved.trigger_config == {"cron_expression": "0 9 * * 1-5",
                                    "timezone": "America/New_York"}
    assert saved.next_run is not None and saved.next_run == times[0]
    assert dialog.result() == dialog.DialogCode.Accepted


def test_interval_minutes_and_seconds(engine_kit: Kit, qtbot: Any, qloop: Any) -> None:
    dialog = open_dialog(engine_kit, qtbot)
    dialog.select_type("time")
    form = dialog.forms["time"]
    assert isinstance(form, IntervalForm)
    form.unit.setCurrentIndex(1)  # seconds
    form.amount.setValue(90)
    dialog.validate()
    assert form.description.text() == "Every 90 seconds"
    gaps = {(b - a).total_seconds() for a, b in zip(form.fire_times.times,
                                                      form.fire_times.times[1:], strict=False)}
    assert gaps == {90.0}
    dialog.retries.setValue(1)
    dialog.priority.setValue(5)
    dialog.save()
    [saved] = schedules(engine_kit)
    assert saved.trigger_type == "time" and saved.trigger_config == {"interval_seconds": 90}
    assert (saved.max_retries, saved.priority) == (1, 5)


def test_price_builds_the_seed_config_and_shows_the_price(
        engine_kit: Kit, qtbot: Any, run_async: Any) -> None:
    dialog = open_dialog(engine_kit, qtbot)
    dialog.select_type("price")
    form = dialog.forms["price"]
    assert isinstance(form, PriceForm)
    run_async(until(lambda: "bid" in form.live.text()))
    form.symbol.setCurrentIndex(form.symbol.findText("EURUSD"))
    form.operator.setCurrentIndex(form.operator.findData(">"))
    form.value.setValue(1.25)
    form.check.setValue(10)
    assert form.condition.text() == "price > 1.25"
    form.condition.setText("price >> 1.25")
    dialog.validate()
    assert not dialog.ok_button.isEnabled() and "condition" in dialog.field_error("condition")
    form.condition.setText("price > 1.25")
    dialog.validate()
    dialog.save()
    [saved] = schedules(engine_kit)
    assert saved.trigger_config == {"symbol": "EURUSD", "condition": "price > 1.25",
                                    "check_interval": 10.0}


def test_indicator_shows_its_value_and_saves(engine_kit: Kit, qtbot: Any,
                                             run_async: Any) -> None:
    dialog = open_dialog(engine_kit, qtbot)
    dialog.select_type("indicator")
    form = dialog.forms["indicator"]
    assert isinstance(form, IndicatorForm)
    form.operator.setCurrentIndex(form.operator.findData("<"))
    form.value.setValue(30)
    form.param_fields["period"].setValue(10)
    run_async(until(lambda: "rsi <b>" in form.live.text()))
    assert form.condition.text() == "rsi < 30"
    form.indicator.setCurrentIndex(form.indicator.findData("macd"))
    form.param_fields["fast_period"].setValue(30)  # slower than slow_period (26)
    dialog.validate()
    assert not dialog.ok_button.isEnabled() and "fast_period" in dialog.field_error("params")
    form.param_fields["fast_period"].setValue(12)
    form.condition.setText("macd crosses_above signal")
    dialog.validate()
    dialog.save()
    [saved] = schedules(engine_kit)
    assert saved.trigger_config["indicator"] == "macd"
    assert saved.trigger_config["condition"] == "macd crosses_above signal"
    assert saved.trigger_config["params"] == {"fast_period": 12, "slow_period": 26,
                                              "signal_period": 9}


def test_webhook_shows_url_and_secret_after_creating(engine_kit: Kit, qtbot: Any,
                                                     qloop: Any) -> None:
    dialog = open_dialog(engine_kit, qtbot)
    dialog.select_type("webhook")
    form = dialog.forms["webhook"]
    assert isinstance(form, WebhookForm)
    assert not form.copy_url.isEnabled()  # nothing to copy before the schedule exists
    dialog.save()
    [saved] = schedules(engine_kit)
    assert dialog.isVisible() and dialog.ok_button.text() == "Done"
    secret = engine_kit.services.engine.scheduling.webhook_secret(saved.id)
    assert form.url.text().endswith(f"/api/agentic/webhooks/{saved.hook_id}")
    assert form.secret.text() == secret and form.copy_secret.isEnabled()
    assert secret in form.curl.toPlainText() and "{{ticker}}" in form.tradingview.toPlainText()
    form.copy_url.click()
    assert QGuiApplication.clipboard().text() == form.url.text()
    dialog.ok_button.click()
    assert dialog.result() == dialog.DialogCode.Accepted and len(schedules(engine_kit)) == 1


def test_manual_and_editing_with_the_same_dialog(engine_kit: Kit, qtbot: Any,
                                                 qloop: Any) -> None:
    dialog = open_dialog(engine_kit, qtbot)
    dialog.select_type("manual")
    dialog.active.setChecked(False)
    dialog.save()
    [saved] = schedules(engine_kit)
    assert saved.trigger_type == "manual" and not saved.is_active
    edit = ScheduleDialog(engine_kit.services, schedule=saved)
    qtbot.addWidget(edit)
    edit.open()
    assert edit.trigger_type() == "manual" and not edit.active.isChecked()
    assert edit.ok_button.text() == "Save"
    edit.select_type("cron")
    edit.active.setChecked(True)
    edit.save()
    [updated] = schedules(engine_kit)
    assert updated.id == saved.id and updated.trigger_type == "cron" and updated.is_active
    assert updated.next_run is not None
