"""Create or edit a schedule: pick one of the six trigger types, fill its form and the run
options. Every change is validated by the engine's own request model and checks
(`ScheduleCreate` + `SchedulingService.check_schedule`), so the dialog shows the same
messages as the API's 422, each next to its field, and OK stays disabled while any remain.

Opened with `.open()` (never `exec()`, DESIGN.md §8); `saved` carries the stored schedule."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from agentic_desktop.domain.errors import UserError
from agentic_desktop.domain.jobs import TRIGGER_TYPES, ScheduledJob
from agentic_desktop.engine.scheduling import machine_timezone
from agentic_desktop.engine.schemas import (
    FieldProblem,
    InvalidInput,
    PreviewRequest,
    ScheduleCreate,
    ScheduleUpdate,
    parse_model,
)
from agentic_desktop.ui.dialogs.form_fields import ErrorForm, error_label
from agentic_desktop.ui.dialogs.market_forms import IndicatorForm, PriceForm
from agentic_desktop.ui.dialogs.trigger_forms import (
    CronForm,
    IntervalForm,
    ManualForm,
    TriggerForm,
)
from agentic_desktop.ui.dialogs.trigger_icons import trigger_icon
from agentic_desktop.ui.dialogs.webhook_form import WebhookForm, webhook_url
from agentic_desktop.ui.services import EngineAdmin, UiServices

ONE_LINERS = {
    "cron": "At set times in a time zone",
    "time": "Every N minutes or seconds",
    "price": "When a price crosses a level",
    "indicator": "On an indicator signal (closed bars)",
    "webhook": "When its URL is called (TradingView)",
    "manual": "Only when you start it",
}
COMMON_FIELDS = ("workflow_id", "name", "priority", "max_retries", "misfire_policy",
                 "misfire_grace_seconds", "is_active")
PREVIEWED = ("cron", "time")


class ScheduleDialog(QDialog):
    saved = Signal(object)  # ScheduledJob

    def __init__(self, services: UiServices, parent: QWidget | None = None, *,
                 workflow_id: int | None = None, schedule: ScheduledJob | None = None) -> None:
        super().__init__(parent)
        assert services.engine is not None, "the schedule dialog needs the engine"
        self.services = services
        self.engine: EngineAdmin = services.engine
        self.schedule = schedule
        self.problems: list[FieldProblem] = []
        self.setWindowTitle("Edit schedule" if schedule else "New schedule")
        self.setMinimumSize(QSize(920, 700))
        default_zone = self.engine.scheduling.trigger_context().default_timezone
        local_zone = machine_timezone()
        market, symbols = self.engine.market, services.symbols
        self.forms: dict[str, TriggerForm] = {
            "cron": CronForm(default_zone, local_zone),
            "time": IntervalForm(local_zone),
            "price": PriceForm(market, symbols),
            "indicator": IndicatorForm(market, symbols),
            "webhook": WebhookForm(),
            "manual": ManualForm(),
        }
        self._build()
        self.validate_timer = QTimer(self)
        self.validate_timer.setSingleShot(True)
        self.validate_timer.setInterval(80)
        self.validate_timer.timeout.connect(self.validate)
        for form in self.forms.values():
            form.changed.connect(self.validate_timer.start)
        if schedule is not None:
            self._load(schedule)
        else:
            self._select_workflow(workflow_id)
            self.select_type("cron")
        self.finished.connect(lambda _r: self.current_form().set_active(False))
        self.validate()

    # -- construction --------------------------------------------------------------------

    def _build(self) -> None:
        self.picker = QListWidget()
        self.picker.setIconSize(QSize(32, 32))
        self.picker.setFixedWidth(270)
        self.picker.setSpacing(2)
        self.stack = QStackedWidget()
        for kind in TRIGGER_TYPES:
            form = self.forms[kind]
            item = QListWidgetItem(trigger_icon(kind), f"{form.title}\n{ONE_LINERS[kind]}")
            item.setData(Qt.ItemDataRole.UserRole, kind)
            item.setSizeHint(QSize(250, 48))
            self.picker.addItem(item)
            # One scroll area per form: the stack is then only as tall as the shortest
            # needs, and only a long form (webhook, indicator) scrolls.
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QScrollArea.Shape.NoFrame)
            scroll.setWidget(form)
            scroll.viewport().setAutoFillBackground(False)
            form.setAutoFillBackground(False)
            self.stack.addWidget(scroll)
        self.picker.currentRowChanged.connect(self._type_changed)

        self.common = ErrorForm()
        self.workflow = QComboBox()
        for stored in sorted(self.services.workflows.list(),
                             key=lambda s: s.workflow.name.lower()):
            self.workflow.addItem(stored.workflow.name, stored.id)
        self.workflow.currentIndexChanged.connect(self._changed)
        self.common.add_field("workflow_id", "Workflow", self.workflow)
        self.name = QLineEdit()
        self.name.setPlaceholderText("optional, e.g. London open")
        self.name.textChanged.connect(self._changed)
        self.common.add_field("name", "Name", self.name)
        header = QWidget()
        header.setLayout(self.common)

        self.trigger_box = QGroupBox("Trigger")
        box = QVBoxLayout(self.trigger_box)
        box.addWidget(self.stack)

        self.options = ErrorForm()
        self.priority = QSpinBox()
        self.priority.setRange(-10, 10)
        self.priority.setToolTip("Higher runs first when several jobs are due")
        self.retries = QSpinBox()
        self.retries.setRange(0, 10)
        self.retries.setValue(3)
        self.misfire = QComboBox()
        self.misfire.addItem("Run once for everything missed (coalesce)", "coalesce")
        self.misfire.addItem("Skip missed runs", "skip")
        self.grace = QDoubleSpinBox()
        self.grace.setRange(0, 7 * 86_400)
        self.grace.setValue(300)
        self.grace.setSuffix(" s")
        self.active = QCheckBox("Active")
        self.active.setToolTip("An active schedule runs on its trigger as soon as it is saved")
        self.active.setChecked(True)
        for spin in (self.priority, self.retries):
            spin.valueChanged.connect(self._changed)
        self.grace.valueChanged.connect(self._changed)
        self.misfire.currentIndexChanged.connect(self._changed)
        self.active.toggled.connect(self._changed)
        self.grace.setToolTip("Runs missed longer ago than this (e.g. while the computer "
                              "slept) are recorded as missed, never run")
        first = QHBoxLayout()
        first.addWidget(QLabel("Priority"))
        first.addWidget(self.priority)
        first.addSpacing(16)
        first.addWidget(QLabel("Retries on failure"))
        first.addWidget(self.retries)
        first.addSpacing(24)
        first.addWidget(self.active)
        first.addStretch(1)
        self.options.add_field("priority", "", first)
        second = QHBoxLayout()
        second.addWidget(self.misfire, 1)
        second.addWidget(QLabel("if missed by at most"))
        second.addWidget(self.grace)
        self.options.add_field("misfire_policy", "Missed runs", second)
        options_box = QGroupBox("Run options")
        options_box.setLayout(self.options)

        self.general_error = error_label()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button: QPushButton = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Save" if self.schedule else "Create schedule")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        right = QVBoxLayout()
        right.addWidget(header)
        right.addWidget(self.trigger_box, 1)
        right.addWidget(options_box)
        right.addWidget(self.general_error)
        right.addWidget(self.buttons)
        left = QVBoxLayout()
        left.addWidget(QLabel("Trigger type"))
        left.addWidget(self.picker, 1)
        layout = QHBoxLayout(self)
        layout.addLayout(left)
        layout.addLayout(right, 1)

    # -- state ---------------------------------------------------------------------------

    def _select_workflow(self, workflow_id: int | None) -> None:
        if workflow_id is None:
            return
        index = self.workflow.findData(workflow_id)
        if index < 0:
            self.workflow.addItem(f"workflow {workflow_id}", workflow_id)
            index = self.workflow.count() - 1
        self.workflow.setCurrentIndex(index)

    def _load(self, schedule: ScheduledJob) -> None:
        self._select_workflow(schedule.workflow_id)
        self.name.setText(schedule.name)
        self.priority.setValue(schedule.priority)
        self.retries.setValue(schedule.max_retries)
        self.misfire.setCurrentIndex(max(0, self.misfire.findData(schedule.misfire_policy)))
        self.grace.setValue(schedule.misfire_grace_seconds)
        self.active.setChecked(schedule.is_active)
        self.forms[schedule.trigger_type].set_config(dict(schedule.trigger_config))
        self.select_type(schedule.trigger_type)
        self._show_webhook(schedule)

    def select_type(self, kind: str) -> None:
        self.picker.setCurrentRow(TRIGGER_TYPES.index(kind))  # type: ignore[arg-type]

    def trigger_type(self) -> str:
        return TRIGGER_TYPES[max(0, self.picker.currentRow())]

    def current_form(self) -> TriggerForm:
        return self.forms[self.trigger_type()]

    def _type_changed(self, row: int) -> None:
        for index, form in enumerate(self.forms[k] for k in TRIGGER_TYPES):
            form.set_active(index == row)
        self.stack.setCurrentIndex(row)
        self.trigger_box.setTitle(f"Trigger: {self.current_form().title}")
        self._changed()

    def _changed(self, *_args: object) -> None:
        self.validate_timer.start()

    def request_data(self) -> dict[str, Any]:
        return {
            "workflow_id": self.workflow.currentData(),
            "trigger_type": self.trigger_type(),
            "trigger_config": self.current_form().config(),
            "is_active": self.active.isChecked(),
            "name": self.name.text().strip(),
            "priority": self.priority.value(),
            "max_retries": self.retries.value(),
            "misfire_policy": self.misfire.currentData(),
            "misfire_grace_seconds": self.grace.value(),
        }

    # -- validation ----------------------------------------------------------------------

    def validate(self) -> bool:
        """Check the current values like the API would; show every problem at its field."""
        self.validate_timer.stop()
        data = self.request_data()
        problems: list[FieldProblem] = []
        try:
            self.engine.scheduling.check_schedule(parse_model(ScheduleCreate, data))
        except InvalidInput as exc:
            problems = exc.problems
        except UserError as exc:
            problems = [FieldProblem((), str(exc))]
        self.problems = problems
        self._show_problems(problems)
        form = self.current_form()
        if not any(p.loc[:1] == ("trigger_config",) for p in problems):
            self._preview(form, data)
        self.ok_button.setEnabled(not problems)
        return not problems

    def _preview(self, form: TriggerForm, data: dict[str, Any]) -> None:
        if data["trigger_type"] not in PREVIEWED:
            return
        try:
            preview = self.engine.scheduling.preview(PreviewRequest(
                trigger_type=data["trigger_type"], trigger_config=data["trigger_config"]))
        except UserError as exc:
            form.show_errors({"": str(exc)})
            return
        form.show_preview(preview.fire_times, preview.description)

    def _show_problems(self, problems: list[FieldProblem]) -> None:
        trigger: dict[str, str] = {}
        common: dict[str, str] = {}
        general: list[str] = []
        for p in problems:
            head = str(p.loc[0]) if p.loc else ""
            if head == "trigger_config":
                key = str(p.loc[1]) if len(p.loc) > 1 else ""
                trigger[key] = _join(trigger.get(key), p.msg)
            elif head in COMMON_FIELDS:
                common[head] = _join(common.get(head), p.msg)
            else:
                general.append(f"{'.'.join(map(str, p.loc))}: {p.msg}" if p.loc else p.msg)
        self.common.show_errors({k: v for k, v in common.items() if k in self.common.errors})
        rest = {k: v for k, v in common.items() if k not in self.common.errors}
        for key, row in (("max_retries", "priority"), ("is_active", "priority"),
                         ("misfire_grace_seconds", "misfire_policy")):
            if key in rest:  # fields sharing a row share its error line
                rest[row] = _join(rest.get(row), rest.pop(key))
        self.options.show_errors(rest)
        self.current_form().show_errors(trigger)
        self.general_error.setText("\n".join(general))
        self.general_error.setVisible(bool(general))

    def field_error(self, key: str) -> str:
        """The message shown for a common field or a trigger_config key ("" if none)."""
        key = {"max_retries": "priority", "is_active": "priority",
               "misfire_grace_seconds": "misfire_policy"}.get(key, key)
        for form in (self.common, self.options, self.current_form().form):
            label = form.errors.get(key)
            if label is not None and label.isVisibleTo(self) and label.text():
                return label.text()
        return ""

    # -- saving --------------------------------------------------------------------------

    def save(self) -> None:
        if not self.validate():
            return
        data = self.request_data()
        scheduling = self.engine.scheduling
        created = self.schedule is None
        try:
            if self.schedule is None:
                result = scheduling.create_schedule(parse_model(ScheduleCreate, data))
            else:
                result = scheduling.update_schedule(self.schedule.id,
                                                    parse_model(ScheduleUpdate, data))
        except InvalidInput as exc:
            self._show_problems(exc.problems)
            self.ok_button.setEnabled(False)
            return
        except UserError as exc:
            self._show_problems([FieldProblem((), str(exc))])
            return
        first_webhook = result.schedule.trigger_type == "webhook" and (
            created or result.webhook_secret is not None)
        self.schedule = result.schedule
        self.saved.emit(result.schedule)
        if first_webhook:
            # Stay open: the URL and secret exist only now, and the trader needs to copy them.
            self.setWindowTitle("Edit schedule")
            self._show_webhook(result.schedule)
            self.ok_button.setText("Done")
            self.buttons.accepted.disconnect(self.save)
            self.buttons.accepted.connect(self.accept)
            return
        self.accept()

    def _show_webhook(self, schedule: ScheduledJob) -> None:
        if schedule.trigger_type != "webhook" or schedule.hook_id is None:
            return
        base = self.services.api_address()
        note = ""
        if base is None:
            base = f"http://127.0.0.1:{self.engine.settings.load().api_port}"
            note = "The local API is off right now: switch it on in Settings → API."
        secret = self.engine.scheduling.webhook_secret(schedule.id)
        form = self.forms["webhook"]
        assert isinstance(form, WebhookForm)
        form.set_webhook(webhook_url(base, schedule.hook_id), secret, api_note=note)


def _join(first: str | None, second: str) -> str:
    return second if not first else f"{first}\n{second}"
