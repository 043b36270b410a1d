"""Settings persisted as one validated JSON document."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from agentic_desktop.domain.errors import UserError
from agentic_desktop.domain.settings import AppSettings, settings_from_json
from agentic_desktop.store.db import Database
from agentic_desktop.store.tables import SettingRow

log = logging.getLogger(__name__)
_KEY = "app"


class SqlSettingsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def load(self) -> AppSettings:
        with self._db.read() as session:
            row = session.get(SettingRow, _KEY)
            text = row.value if row else None
        if text is None:
            return AppSettings()
        try:
            return settings_from_json(json.loads(text))
        except (UserError, ValueError) as exc:
            # A damaged settings row must not stop the app from starting: defaults are safe.
            log.warning("saved settings are invalid (%s); using defaults", exc)
            return AppSettings()

    def save(self, settings: AppSettings) -> None:
        # Round-trip through the validator so nothing invalid is ever written.
        checked = settings_from_json(settings.to_json())
        text = json.dumps(checked.to_json(), sort_keys=True)
        with self._db.write() as session:
            row = session.get(SettingRow, _KEY)
            if row is None:
                session.add(SettingRow(key=_KEY, value=text, updated_at=datetime.now(UTC)))
            else:
                row.value = text
                row.updated_at = datetime.now(UTC)
