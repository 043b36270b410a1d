"""Settings: limits, local API (token show/copy/regenerate), notifications (apprise URLs kept
only in the secret store, with a Test button), paper account, theme, start minimised and the
default time zone. Applied to the running engine through `engine.apply_settings`, which says
what needs a restart; the dialog shows that text.

Opened with `.open()`; confirmations are non-blocking message boxes (DESIGN.md §8)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from agentic_desktop.domain.errors import UserError
from agentic_desktop.domain.settings import NOTIFY_EVENTS, THEMES, AppSettings, settings_from_json
from agentic_desktop.engine.scheduling import machine_timezone
from agentic_desktop.ui.dialogs.form_fields import copy_row, error_label, muted_label, spawn
from agentic_desktop.ui.dialogs.trigger_forms import ZoneCombo
from agentic_desktop.ui.services import EngineAdmin, UiServices

NOTIFY_LABELS = {"order_placed": "An order was placed", "run_failed": "A run failed",
                 "schedule_paused": "A schedule was auto-paused",
                 "daily_limit": "The daily run limit was reached",
                 "webhook_rejected": "A webhook delivery was rejected"}
CURRENCIES = ("USD", "EUR", "GBP", "JPY", "CHF", "AUD", "CAD")
MACHINE_ZONE = "Machine zone"


def _spin(low: int, high: int, value: float, suffix: str = "") -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setValue(int(value))
    spin.setSuffix(suffix)
    return spin


def _double(low: float, high: float, value: float, decimals: int = 2,
            suffix: str = "") -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(low, high)
    spin.setDecimals(decimals)
    spin.setValue(value)
    spin.setSuffix(suffix)
    return spin


def _page(*rows: tuple[str, Any]) -> tuple[QWidget, QFormLayout]:
    page = QWidget()
    form = QFormLayout(page)
    for label, widget in rows:
        form.addRow(label, widget)
    return page, form


class SettingsDialog(QDialog):
    applied = Signal(object)  # AppSettings, after the engine took them

    def __init__(self, services: UiServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        assert services.engine is not None, "settings need the engine"
        self.services = services
        self.engine: EngineAdmin = services.engine
        self.setWindowTitle("Settings")
        self.setMinimumWidth(640)
        self.current = self.engine.settings.load()
        self.dialog: QMessageBox | None = None
        self.busy = False
        self.tabs = QTabWidget()
        self.tabs.addTab(self._limits_page(), "Limits")
        self.tabs.addTab(self._api_page(), "API")
        self.tabs.addTab(self._notify_page(), "Notifications")
        self.tabs.addTab(self._paper_page(), "Paper account")
        self.tabs.addTab(self._general_page(), "General")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.error = error_label()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Apply
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(lambda: self.apply(close=True))
        self.buttons.rejected.connect(self.reject)
        self.buttons.button(QDialogButtonBox.StandardButton.Apply).clicked.connect(self.apply)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.error)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

    # -- pages ---------------------------------------------------------------------------

    def _limits_page(self) -> QWidget:
        limits = self.current.limits
        self.concurrent = _spin(1, 100, limits.max_concurrent_per_user)
        self.daily = _spin(1, 100_000, limits.max_runs_per_day)
        self.timeout = _spin(1, 86_400, limits.timeout_seconds, " s")
        self.memory = _spin(50, 65_536, limits.memory_mb, " MB")
        self.failures = _spin(1, 1000, limits.failures_before_pause)
        page, form = _page(("Concurrent runs", self.concurrent), ("Runs per day", self.daily),
                           ("Run timeout", self.timeout), ("Memory per run", self.memory),
                           ("Failures before auto-pause", self.failures))
        form.addRow(muted_label("Limits apply at once. Raising concurrent runs above what "
                                "the app started with takes effect after a restart."))
        return page

    def _api_page(self) -> QWidget:
        self.api_enabled = QCheckBox("Serve the local API on 127.0.0.1")
        self.api_enabled.setChecked(self.current.api_enabled)
        self.api_port = _spin(1, 65_535, self.current.api_port)
        self.token = QLineEdit()
        token_row, self.copy_token = copy_row(self.token, secret=True)
        self.regenerate = QPushButton("Regenerate…")
        self.regenerate.clicked.connect(self.confirm_regenerate)
        token_row.addWidget(self.regenerate)
        self._load_token()
        address = self.services.api_address() or "not running"
        page, form = _page(("", self.api_enabled), ("Port", self.api_port),
                           ("Token", token_row), ("Address", QLabel(address)))
        form.addRow(muted_label("Clients send the token as 'Authorization: Bearer <token>'. "
                                "A port or on/off change restarts the API at once."))
        return page

    def _load_token(self) -> None:
        try:
            self.token.setText(self.engine.api_token())
        except UserError as exc:
            self.token.setText("")
            self.token.setPlaceholderText(str(exc))

    def _notify_page(self) -> QWidget:
        self.notify_boxes: dict[str, QCheckBox] = {}
        page, form = _page()
        for key in NOTIFY_EVENTS:
            box = QCheckBox(NOTIFY_LABELS.get(key, key))
            box.setChecked(self.current.notify.get(key, True))
            self.notify_boxes[key] = box
            form.addRow("Tray message" if key == NOTIFY_EVENTS[0] else "", box)
        self.apprise = QPlainTextEdit()
        self.apprise.setPlaceholderText("One apprise URL per line, e.g. tgram://bottoken/chatid")
        self.apprise.setFixedHeight(90)
        self.apprise.setPlainText(self.engine.secrets.get(self.engine.apprise_secret_key) or "")
        self.test_button = QPushButton("Send a test message")
        self.test_button.clicked.connect(self.test_apprise)
        self.test_result = QLabel()
        self.test_result.setWordWrap(True)
        form.addRow("Apprise URLs", self.apprise)
        form.addRow("", self.test_button)
        form.addRow("", self.test_result)
        form.addRow(muted_label(f"The URLs hold tokens: they are kept in the "
                                f"{self.engine.secrets.describe()}, never in the database, "
                                "the settings file or the log. Workflows' Notify nodes use "
                                "them when set to apprise."))
        return page

    def _paper_page(self) -> QWidget:
        account = self.engine.paper_account.account()
        self.balance = _double(1, 1e12, account.starting_balance)
        self.currency = QComboBox()
        self.currency.setEditable(True)
        self.currency.addItems(list(CURRENCIES))
        self.currency.setCurrentText(account.currency)
        self.commission_lot = _double(0, 1000, account.commission_per_lot, 2, " per lot")
        self.commission_pct = _double(0, 10, account.commission_pct, 4, " %")
        self.slippage = _double(0, 1000, account.slippage_pips, 2, " pips")
        self.reset_button = QPushButton("Reset account…")
        self.reset_button.clicked.connect(self.confirm_reset)
        self.account_label = QLabel()
        self._show_account()
        page, form = _page(("Balance now", self.account_label),
                           ("Starting balance", self.balance), ("Currency", self.currency),
                           ("", self.reset_button),
                           ("Commission", self.commission_lot), ("", self.commission_pct),
                           ("Slippage", self.slippage))
        form.addRow(muted_label("Costs apply to the next paper orders. Starting balance and "
                                "currency take effect by resetting the account (orders and "
                                "positions are cleared)."))
        return page

    def _show_account(self) -> None:
        account = self.engine.paper_account.account()
        self.account_label.setText(f"{account.balance:,.2f} {account.currency}")

    def _general_page(self) -> QWidget:
        self.theme = QComboBox()
        for name in THEMES:
            self.theme.addItem(name.capitalize(), name)
        self.theme.setCurrentIndex(max(0, self.theme.findData(self.current.theme)))
        self.start_minimized = QCheckBox("Start minimised to the tray")
        self.start_minimized.setChecked(self.current.start_minimized)
        self.zone = ZoneCombo()
        self.zone.insertItem(0, MACHINE_ZONE)
        self.zone.set_zone(self.current.default_timezone or MACHINE_ZONE)
        page, form = _page(("Theme", self.theme), ("", self.start_minimized),
                           ("Default time zone", self.zone))
        form.addRow(muted_label(f"{MACHINE_ZONE} is {machine_timezone()}. The default zone "
                                "is used for new cron schedules and for the daily run count. "
                                "Start minimised applies at the next start (only where the "
                                "desktop has a tray)."))
        return page

    # -- actions -------------------------------------------------------------------------

    def values(self) -> AppSettings:
        """The settings as entered; UserError names the field at fault."""
        zone = self.zone.zone()
        return settings_from_json({
            "limits": {"max_concurrent_per_user": self.concurrent.value(),
                       "max_runs_per_day": self.daily.value(),
                       "timeout_seconds": float(self.timeout.value()),
                       "memory_mb": float(self.memory.value()),
                       "failures_before_pause": self.failures.value()},
            "api_enabled": self.api_enabled.isChecked(), "api_port": self.api_port.value(),
            "default_timezone": "" if zone == MACHINE_ZONE else zone,
            "theme": self.theme.currentData(), "start_minimized": self.start_minimized.isChecked(),
            "notify": {k: box.isChecked() for k, box in self.notify_boxes.items()},
        })

    def apprise_urls(self) -> list[str]:
        return [line.strip() for line in self.apprise.toPlainText().splitlines() if line.strip()]

    def apply(self, close: bool = False) -> None:
        if self.busy:
            return
        try:
            settings = self.values()
            urls = self.apprise_urls()
            key = self.engine.apprise_secret_key
            if urls:
                self.engine.secrets.set(key, "\n".join(urls))
            else:
                self.engine.secrets.delete(key)
            self.engine.paper_account.set_costs(
                commission_per_lot=self.commission_lot.value(),
                commission_pct=self.commission_pct.value(), slippage_pips=self.slippage.value())
        except UserError as exc:
            self._failed(exc)
            return
        self.error.hide()
        self.busy = True
        self.status.setText("Applying…")

        def done(restart: str) -> None:
            self.busy = False
            self.current = settings
            self.status.setText(f"Saved. Applies after a restart: {restart}." if restart
                                else "Saved and applied.")
            self.applied.emit(settings)
            if close:
                self.accept()

        spawn(self.engine.apply_settings(settings), done, self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.busy = False
        self.status.setText("")
        self.error.setText(str(exc))
        self.error.show()

    def test_apprise(self) -> None:
        urls = self.apprise_urls()
        if not urls:
            self.test_result.setText("Add at least one URL first.")
            return
        self.test_button.setEnabled(False)
        self.test_result.setText("Sending…")

        def done(failure: str) -> None:
            self.test_button.setEnabled(True)
            self.test_result.setText(failure or "Sent: check that it arrived.")

        spawn(self.engine.test_apprise(urls), done,
              lambda exc: done(f"delivery failed: {type(exc).__name__}"))

    def _confirm(self, title: str, text: str, detail: str, then: Any) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, title, text,
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                          self)
        box.setInformativeText(detail)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.buttonClicked.connect(lambda b: then()
                                  if box.standardButton(b) == QMessageBox.StandardButton.Yes
                                  else None)
        box.finished.connect(box.deleteLater)
        self.dialog = box
        box.open()

    def confirm_regenerate(self) -> None:
        def regenerate() -> None:
            spawn(self.engine.regenerate_api_token(),
                  lambda token: (self.token.setText(token),
                                 self.status.setText("New API token in use.")), self._failed)

        self._confirm("Regenerate API token", "Make a new API token?",
                      "The current token stops working at once: scripts using it must be "
                      "updated.", regenerate)

    def confirm_reset(self) -> None:
        balance, currency = self.balance.value(), self.currency.currentText().strip().upper()

        def reset() -> None:
            try:
                self.engine.paper_account.reset(balance=balance, currency=currency)
            except UserError as exc:
                self._failed(exc)
                return
            self._show_account()
            self.status.setText(f"Paper account reset to {balance:,.2f} {currency}.")

        self._confirm("Reset paper account",
                      f"Reset the paper account to {balance:,.2f} {currency}?",
                      "All paper orders, fills and positions are deleted. Run history stays.",
                      reset)
