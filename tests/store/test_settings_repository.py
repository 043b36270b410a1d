from __future__ import annotations

from pathlib import Path

import pytest

from agentic_desktop.domain.errors import UserError
from agentic_desktop.domain.settings import AppSettings, settings_from_json
from agentic_desktop.store.db import open_database
from agentic_desktop.store.settings_repository import SqlSettingsRepository


def test_defaults_then_round_trip_across_reopen(data_dir: Path) -> None:
    db = open_database(data_dir)
    repo = SqlSettingsRepository(db)
    assert repo.load() == AppSettings()
    changed = AppSettings(api_port=8123, default_timezone="Europe/London", theme="dark",
                          notify={"order_placed": False}).with_limits(max_runs_per_day=250)
    repo.save(changed)
    db.close()
    again = SqlSettingsRepository(open_database(data_dir)).load()
    assert again.api_port == 8123 and again.theme == "dark"
    assert again.limits.max_runs_per_day == 250 and again.limits.max_concurrent_per_user == 10
    assert again.notify["order_placed"] is False and again.notify["run_failed"] is True


@pytest.mark.parametrize("data, fragment", [
    ({"limits": {"max_runs_per_day": 0}}, "settings.limits.max_runs_per_day: 0 is out of range"),
    ({"limits": {"timeout_seconds": "5"}}, "settings.limits.timeout_seconds: must be a number"),
    ({"api_port": 70000}, "settings.api_port"),
    ({"default_timezone": "Mars/Base"}, "unknown time zone 'Mars/Base'"),
    ({"theme": "neon"}, "settings.theme"),
])
def test_invalid_settings_are_refused_and_not_written(data_dir: Path, data: dict,
                                                      fragment: str) -> None:
    with pytest.raises(UserError) as info:
        settings_from_json(data)
    assert fragment in str(info.value)
    repo = SqlSettingsRepository(open_database(data_dir))
    bad = AppSettings(api_port=70000)
    with pytest.raises(UserError):
        repo.save(bad)
    assert repo.load() == AppSettings()
