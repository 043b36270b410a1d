"""UI settings live in an INI file inside the data dir, so tests and portable installs never
touch the user's home or registry."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

ORGANIZATION = "Agentic Desktop"
APPLICATION = "Agentic Desktop"
SETTINGS_FILE = "ui-settings.ini"


def open_settings(data_dir: Path) -> QSettings:
    return QSettings(str(Path(data_dir) / SETTINGS_FILE), QSettings.Format.IniFormat)
