"""Request models shared by the local API and the GUI's dialogs, so both give the same errors.

Two stages, because some checks need the running app:

1. The pydantic models below check shapes and ranges (a wrong type, an unknown trigger type,
   max_retries out of 0..10). The API lets FastAPI run them; the GUI calls `parse_model`.
2. `check_trigger_config` checks a trigger_config against the domain parsers (cron syntax,
   IANA zone, condition grammar, known symbols). It needs a `TriggerContext` (the market's
   symbols, the default zone, now), so `SchedulingService` runs it before it writes anything.

Both stages raise or produce `FieldProblem`s located like FastAPI's 422 (`loc` without the
leading "body"), e.g. ("trigger_config", "cron_expression"), with the domain's message.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    field_validator,
    model_validator,
)
from pydantic import ValidationError as PydanticValidationError

from agentic_desktop.domain import workflow as wf
from agentic_desktop.domain.errors import UserError
from agentic_desktop.domain.expressions import ConditionError, parse_condition
from agentic_desktop.domain.nodespec import TIMEFRAMES
from agentic_desktop.domain.schedule import (
    CronSchedule,
    IntervalSchedule,
    ScheduleError,
    load_zone,
)
from agentic_desktop.engine.triggers.indicator import INDICATORS, parse_indicator_trigger
from agentic_desktop.engine.triggers.price import parse_price_trigger

MAX_BODY_BYTES = 64 * 1024
MAX_ID = 2**63 - 1  # SQLite INTEGER; larger ids would overflow the driver
PRICE_NAMES = ("price", "bid", "ask", "mid", "last")
PRICE_SOURCES = ("bid", "ask", "mid", "last")
# Indicator triggers: the condition names the indicator's outputs and the bar's close.
INDICATOR_OUTPUTS: dict[str, tuple[str, ...]] = {
    name: outputs for name, (outputs, _defaults) in INDICATORS.items()
}
BAR_NAMES = ("close", "price")
MAX_CHECK_INTERVAL = 86_400.0
MAX_GRACE_SECONDS = 7 * 86_400.0

Loc = tuple[str | int, ...]
TriggerTypeName = Literal["cron", "time", "price", "indicator", "webhook", "manual"]
MisfirePolicyName = Literal["coalesce", "skip"]


@dataclass(frozen=True)
class FieldProblem:
    """One invalid field: where (`loc`, relative to the request body) and why."""

    loc: Loc
    msg: str
    type: str = "value_error"

    def to_json(self, prefix: Loc = ("body",)) -> dict[str, Any]:
        return {"loc": [*prefix, *self.loc], "msg": self.msg, "type": self.type}


class InvalidInput(UserError):
    """Input rejected before anything was written; `problems` names every field at fault."""

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(
            f"{'.'.join(str(p) for p in problem.loc) or 'body'}: {problem.msg}"
            for problem in self.problems
        ))


def field_error(loc: Loc, msg: str) -> InvalidInput:
    return InvalidInput([FieldProblem(loc, msg)])


def problems_from_pydantic(exc: PydanticValidationError) -> list[FieldProblem]:
    """Pydantic errors as FieldProblems (no input echoed: it may hold a secret)."""
    return [FieldProblem(tuple(e["loc"]), e["msg"], e["type"]) for e in exc.errors()]


M = TypeVar("M", bound=BaseModel)


def parse_model(model: type[M], data: object) -> M:
    """Validate `data` (e.g. a dialog's values) like the API does; raises InvalidInput."""
    try:
        return model.model_validate(data)
    except PydanticValidationError as exc:
        raise InvalidInput(problems_from_pydantic(exc)) from None


# --------------------------------------------------------------------------- models


def _encodable(value: str) -> str:
    # A lone surrogate ("\ud800" in JSON) cannot be stored as UTF-8.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("contains an invalid character (a lone surrogate)") from None
    return value


def _json_object(value: dict[str, Any]) -> dict[str, Any]:
    try:
        json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (ValueError, RecursionError, UnicodeEncodeError):
        raise ValueError("must be plain JSON (finite numbers, valid text, "
                         "nested less deeply)") from None
    return value


Text = Annotated[str, AfterValidator(_encodable)]
JsonObject = Annotated[dict[str, Any], AfterValidator(_json_object)]
WorkflowId = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
Priority = Annotated[StrictInt, Field(ge=-10, le=10, description="higher runs first")]
MaxRetries = Annotated[StrictInt, Field(ge=0, le=10)]
GraceSeconds = Annotated[float, Field(ge=0, le=MAX_GRACE_SECONDS, allow_inf_nan=False)]
Name = Annotated[Text, Field(max_length=200)]

# Fields a client may send back unchanged from a GET (PUT of what it read); ignored.
READ_ONLY_SCHEDULE_FIELDS = frozenset({
    "id", "user_id", "last_run", "next_run", "run_count", "created_at", "timezone",
    "consecutive_failures", "paused_reason", "last_status", "hook_id", "description",
    "webhook_url", "webhook_secret",
})


class ScheduleCreate(BaseModel):
    """POST /api/agentic/scheduler/jobs (the seed's body plus our options)."""

    model_config = ConfigDict(extra="forbid")

    workflow_id: WorkflowId
    trigger_type: TriggerTypeName
    trigger_config: JsonObject = Field(default_factory=dict)
    is_active: StrictBool = True
    name: Name = ""
    priority: Priority = 0
    max_retries: MaxRetries = 3
    misfire_policy: MisfirePolicyName = "coalesce"
    misfire_grace_seconds: GraceSeconds = 300.0


class ScheduleUpdate(BaseModel):
    """PUT /api/agentic/scheduler/jobs/{id}: only the fields given change (null = unchanged).
    A changed trigger_type needs its trigger_config; read-only fields are ignored."""

    model_config = ConfigDict(extra="forbid")

    workflow_id: WorkflowId | None = None
    trigger_type: TriggerTypeName | None = None
    trigger_config: JsonObject | None = None
    is_active: StrictBool | None = None
    name: Name | None = None
    priority: Priority | None = None
    max_retries: MaxRetries | None = None
    misfire_policy: MisfirePolicyName | None = None
    misfire_grace_seconds: GraceSeconds | None = None

    @model_validator(mode="before")
    @classmethod
    def _drop_read_only(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if k not in READ_ONLY_SCHEDULE_FIELDS}
        return data


class PreviewRequest(BaseModel):
    """POST /api/agentic/scheduler/preview."""

    model_config = ConfigDict(extra="forbid")

    trigger_type: TriggerTypeName
    trigger_config: JsonObject = Field(default_factory=dict)
    after: datetime | None = Field(None, description="ISO 8601 with an offset; default now")
    count: Annotated[StrictInt, Field(ge=1, le=100)] = 5

    @field_validator("after")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("needs a UTC offset: add 'Z' or '+00:00'")
        if not 1970 <= value.astimezone(UTC).year <= 9000:
            raise ValueError("must be between the years 1970 and 9000")
        return value.astimezone(UTC)


class RunRequest(BaseModel):
    """POST …/jobs/{id}/run: the manual run's payload (optional)."""

    model_config = ConfigDict(extra="forbid")

    payload: JsonObject = Field(default_factory=dict)


class NodeIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: Annotated[Text, Field(min_length=1, max_length=64)]
    type: Annotated[Text, Field(min_length=1, max_length=100)]
    params: JsonObject = Field(default_factory=dict)
    position: tuple[float, float] = (0.0, 0.0)
    title: Annotated[Text, Field(max_length=200)] = ""


class EdgeIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    source: Annotated[Text, Field(min_length=1, max_length=64)]
    source_port: Annotated[Text, Field(min_length=1, max_length=64)]
    target: Annotated[Text, Field(min_length=1, max_length=64)]
    target_port: Annotated[Text, Field(min_length=1, max_length=64)]


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: Annotated[Text, Field(min_length=1, max_length=64)]
    text: Annotated[Text, Field(max_length=10_000)] = ""
    position: tuple[float, float] = (0.0, 0.0)
    size: tuple[float, float] = (200.0, 120.0)


class WorkflowCreate(BaseModel):
    """The version-1 workflow JSON (`{"format": "agentic-workflow", "version": 1, ...}`), the
    same document the editor saves. Unknown top-level keys (like "id") are ignored."""

    model_config = ConfigDict(extra="ignore")

    format: Literal["agentic-workflow"] = "agentic-workflow"
    version: Annotated[StrictInt, Field(ge=1, le=wf.FORMAT_VERSION)] = wf.FORMAT_VERSION
    name: Annotated[Text, Field(min_length=1, max_length=200)]
    description: Annotated[Text, Field(max_length=10_000)] = ""
    nodes: Annotated[list[NodeIn], Field(max_length=2000)] = Field(default_factory=list)
    edges: Annotated[list[EdgeIn], Field(max_length=10_000)] = Field(default_factory=list)
    notes: Annotated[list[NoteIn], Field(max_length=1000)] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value

    def to_workflow(self) -> wf.Workflow:
        """The domain workflow (parsed by the domain, exactly like a file)."""
        try:
            return wf.from_json(self.model_dump(mode="json"), source="workflow")
        except UserError as exc:
            raise field_error((), str(exc)) from None


class WorkflowUpdate(WorkflowCreate):
    """PUT /api/agentic/workflows/{id}: the whole document replaces the stored one."""


# --------------------------------------------------------------------------- trigger configs


@dataclass(frozen=True, kw_only=True)
class TriggerContext:
    """What checking a trigger_config needs from the running app."""

    now: datetime
    default_timezone: str
    symbols: frozenset[str] | None = None  # None: do not check symbols


def check_trigger_config(trigger_type: str, config: Mapping[str, Any],
                         context: TriggerContext) -> dict[str, Any]:
    """The normalised trigger_config, or InvalidInput naming each bad key as
    ("trigger_config", key). Normalising fills the cron zone (stored by name) and upper-cases
    symbols; it adds no other defaults, so the trigger modules keep theirs."""
    checker = _CHECKERS.get(trigger_type)
    if checker is None:
        raise field_error(("trigger_type",), f"unknown trigger type {trigger_type!r}: use one of "
                          f"{', '.join(_CHECKERS)}")
    problems: list[FieldProblem] = []
    out = checker(dict(config), context, problems)
    if problems:
        raise InvalidInput(problems)
    return out


def _problem(problems: list[FieldProblem], key: str, msg: str) -> None:
    problems.append(FieldProblem(("trigger_config", key) if key else ("trigger_config",), msg))


def _unknown_keys(config: Mapping[str, Any], known: Iterable[str], trigger: str,
                  problems: list[FieldProblem]) -> None:
    allowed = tuple(known)
    for key in config:
        if key not in allowed:
            hint = f"known: {', '.join(allowed)}" if allowed else "it takes no settings"
            _problem(problems, key, f"unknown setting for a {trigger} trigger ({hint})")


def _schedule_error(problems: list[FieldProblem], exc: ScheduleError) -> None:
    key = "" if exc.field == "trigger_config" else exc.field
    _problem(problems, key, exc.reason)


def _cron(config: dict[str, Any], ctx: TriggerContext,
          problems: list[FieldProblem]) -> dict[str, Any]:
    _unknown_keys(config, ("cron_expression", "timezone"), "cron", problems)
    expression = config.get("cron_expression")
    zone = config.get("timezone", ctx.default_timezone)
    if expression is None:
        _problem(problems, "cron_expression",
                 "is required: give 5 fields like '0 9 * * 1-5' or an alias like '@daily'")
    elif not isinstance(expression, str):
        _problem(problems, "cron_expression", f"must be text, got {type(expression).__name__}")
    if not isinstance(zone, str):
        _problem(problems, "timezone", f"must be an IANA name like 'Europe/London', "
                                       f"got {type(zone).__name__}")
    if problems:
        return config
    assert isinstance(expression, str) and isinstance(zone, str)
    try:
        load_zone(zone)
    except ScheduleError as exc:
        _schedule_error(problems, exc)
    try:  # the expression is checked even when the zone is bad: report both at once
        CronSchedule.parse(expression, zone if not problems else "UTC")
    except ScheduleError as exc:
        _schedule_error(problems, exc)
    return {**config, "cron_expression": expression, "timezone": zone}


def _time(config: dict[str, Any], ctx: TriggerContext,
          problems: list[FieldProblem]) -> dict[str, Any]:
    _unknown_keys(config, ("interval_minutes", "interval_seconds", "anchor"), "time", problems)
    anchor = ctx.now
    pinned = config.get("anchor")
    if pinned is not None:
        parsed = _iso_time(pinned)
        if parsed is None:
            _problem(problems, "anchor", "must be an ISO 8601 time with an offset, like "
                                         "'2025-01-01T09:00:00Z'")
        else:
            anchor = parsed
    try:
        IntervalSchedule.from_config(
            {k: v for k, v in config.items() if k in ("interval_minutes", "interval_seconds")},
            anchor=anchor)
    except ScheduleError as exc:
        _schedule_error(problems, exc)
    return config


def _iso_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None and parsed.utcoffset() is not None else None


def _symbol(config: dict[str, Any], ctx: TriggerContext, problems: list[FieldProblem]) -> None:
    symbol = config.get("symbol")
    if symbol is None:
        _problem(problems, "symbol", "is required: the instrument to watch, like 'EURUSD'")
        return
    if not isinstance(symbol, str) or not symbol.strip():
        _problem(problems, "symbol", f"must be a symbol name like 'EURUSD', got {symbol!r}")
        return
    if ctx.symbols is None:
        return
    for candidate in (symbol, symbol.strip().upper()):
        if candidate in ctx.symbols:
            config["symbol"] = candidate
            return
    known = ", ".join(sorted(ctx.symbols)) or "none (import candles first)"
    _problem(problems, "symbol", f"unknown symbol {symbol[:40]!r}: use one of {known}")


def _condition(config: dict[str, Any], names: Iterable[str], example: str,
               problems: list[FieldProblem]) -> None:
    text = config.get("condition")
    if text is None:
        _problem(problems, "condition", f"is required: write a comparison like {example!r}")
        return
    if not isinstance(text, str):
        _problem(problems, "condition", f"must be text like {example!r}, "
                                        f"got {type(text).__name__}")
        return
    try:
        parse_condition(text, allowed_names=names)
    except ConditionError as exc:
        _problem(problems, "condition", f"{exc} (position {exc.position})")


def _number(config: dict[str, Any], key: str, problems: list[FieldProblem], *,
            minimum: float, maximum: float, required: bool = False, what: str = "") -> None:
    value = config.get(key)
    if value is None:
        if required:
            _problem(problems, key, f"is required: {what}")
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        _problem(problems, key, f"must be a number, got {value!r}"[:200])
    elif not minimum <= value <= maximum:
        _problem(problems, key, f"must be from {minimum:g} to {maximum:g}, got {value!r}")


def _price(config: dict[str, Any], ctx: TriggerContext,
           problems: list[FieldProblem]) -> dict[str, Any]:
    _unknown_keys(config, ("symbol", "condition", "check_interval", "source", "hysteresis"),
                  "price", problems)
    _symbol(config, ctx, problems)
    _condition(config, PRICE_NAMES, "price > 1.10", problems)
    _number(config, "check_interval", problems, minimum=1, maximum=MAX_CHECK_INTERVAL,
            what="seconds between checks, like 5")
    source = config.get("source")
    if source is not None and source not in PRICE_SOURCES:
        _problem(problems, "source", f"must be one of {', '.join(PRICE_SOURCES)}, "
                                     f"got {source!r}"[:200])
    _number(config, "hysteresis", problems, minimum=0, maximum=1e9)
    if not problems:
        try:  # what the price trigger itself will accept (e.g. hysteresis needs 'price > x')
            parse_price_trigger(config)
        except ScheduleError as exc:
            _schedule_error(problems, exc)
    return config


def _indicator(config: dict[str, Any], ctx: TriggerContext,
               problems: list[FieldProblem]) -> dict[str, Any]:
    _unknown_keys(config, ("symbol", "timeframe", "indicator", "params", "condition",
                           "check_interval", "lookback"), "indicator", problems)
    _symbol(config, ctx, problems)
    timeframe = config.get("timeframe", "H1")
    if timeframe not in TIMEFRAMES:
        _problem(problems, "timeframe", f"must be one of {', '.join(TIMEFRAMES)}, "
                                        f"got {timeframe!r}"[:200])
    indicator = config.get("indicator")
    names: tuple[str, ...] = BAR_NAMES
    if not isinstance(indicator, str) or indicator.lower() not in INDICATOR_OUTPUTS:
        _problem(problems, "indicator", f"must be one of {', '.join(INDICATOR_OUTPUTS)}, "
                                        f"got {indicator!r}"[:200])
    else:
        config["indicator"] = indicator.lower()
        names = (*INDICATOR_OUTPUTS[indicator.lower()], *BAR_NAMES)
    indicator_ok = not problems or problems[-1].loc[1:2] != ("indicator",)
    params = config.get("params", {})
    if not isinstance(params, dict):
        _problem(problems, "params", "must be an object of numbers, like {\"period\": 14}")
    else:
        for key, value in params.items():
            if (isinstance(value, bool) or not isinstance(value, int | float)
                    or not math.isfinite(value)):
                problems.append(FieldProblem(("trigger_config", "params", key),
                                             f"must be a number, got {value!r}"[:200]))
    if indicator_ok:
        _condition(config, names, f"{names[0]} < 30", problems)
    _number(config, "check_interval", problems, minimum=1, maximum=MAX_CHECK_INTERVAL)
    if not problems:
        try:  # params ranges, lookback: what the indicator trigger itself will accept
            parse_indicator_trigger(config)
        except ScheduleError as exc:
            _schedule_error(problems, exc)
    return config


Checker = Callable[[dict[str, Any], TriggerContext, list[FieldProblem]], dict[str, Any]]


def _no_settings(trigger: str) -> Checker:
    def check(config: dict[str, Any], ctx: TriggerContext,
              problems: list[FieldProblem]) -> dict[str, Any]:
        _unknown_keys(config, (), trigger, problems)
        return {}

    return check


_CHECKERS: dict[str, Checker] = {
    "cron": _cron,
    "time": _time,
    "price": _price,
    "indicator": _indicator,
    "webhook": _no_settings("webhook"),
    "manual": _no_settings("manual"),
}
