"""Node type declarations: one `NodeSpec` per node type drives validation, the CLI catalog,
the editor palette, the inspector form and the API (DESIGN.md §4)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

# Port value types. `any` connects to everything.
PORT_TYPES = (
    "series", "number", "bool", "signal", "order", "candles", "account", "payload", "text", "any",
)

# Param value kinds understood by validation and the inspector.
PARAM_KINDS = ("int", "float", "str", "text", "bool", "choice", "symbol", "timeframe", "list")

TIMEFRAMES = ("M1", "M5", "M15", "M30", "H1", "H4", "D1", "W1")
TIMEFRAME_SECONDS = {
    "M1": 60, "M5": 300, "M15": 900, "M30": 1800,
    "H1": 3600, "H4": 14400, "D1": 86400, "W1": 604800,
}

CATEGORIES = (
    "Market Data", "Technical Indicators", "Risk Management", "Conditions", "Orders",
    "Notifications", "Triggers",
)


@dataclass(frozen=True, kw_only=True)
class PortSpec:
    name: str
    type: str
    help: str = ""
    # Inputs only: other output types this input takes besides its own type.
    accepts: tuple[str, ...] = ()
    required: bool = True
    # Inputs only: a gate input skips its node when the value arriving is false (DESIGN.md §4).
    gate: bool = False

    def accepts_type(self, output_type: str) -> bool:
        if self.type == "any" or output_type == "any":
            return True
        return output_type == self.type or output_type in self.accepts


@dataclass(frozen=True, kw_only=True)
class ParamSpec:
    name: str
    kind: str
    default: Any = None
    help: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    required: bool = True
    title: str = ""

    @property
    def label(self) -> str:
        return self.title or self.name.replace("_", " ").capitalize()

    def check(self, value: Any, *, symbols: frozenset[str] | None = None) -> str | None:
        """Return why `value` is not acceptable for this param, or None when it is."""
        if value is None:
            return "is required: set a value" if self.required else None
        kind = self.kind
        if kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                return f"must be a whole number, got {value!r}"
        elif kind == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return f"must be a number, got {value!r}"
            if not math.isfinite(float(value)):
                return f"must be a finite number, got {value!r}"
        elif kind == "bool":
            if not isinstance(value, bool):
                return f"must be true or false, got {value!r}"
        elif kind in ("str", "text", "symbol"):
            if not isinstance(value, str):
                return f"must be text, got {value!r}"
            if kind == "symbol" and symbols is not None and value not in symbols:
                return f"unknown symbol {value!r}: use one of {', '.join(sorted(symbols))}"
        elif kind == "timeframe":
            if value not in TIMEFRAMES:
                return f"must be one of {', '.join(TIMEFRAMES)}, got {value!r}"
        elif kind == "choice":
            if value not in self.choices:
                return f"must be one of {', '.join(self.choices)}, got {value!r}"
        elif kind == "list":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                return f"must be a list of text, got {value!r}"
        if kind in ("int", "float"):
            if self.minimum is not None and value < self.minimum:
                return f"must be at least {self.minimum:g}, got {value!r}"
            if self.maximum is not None and value > self.maximum:
                return f"must be at most {self.maximum:g}, got {value!r}"
        return None


@dataclass(frozen=True, kw_only=True)
class NodeSpec:
    type_id: str
    version: int
    category: str
    title: str
    description: str = ""
    inputs: tuple[PortSpec, ...] = ()
    outputs: tuple[PortSpec, ...] = ()
    params: tuple[ParamSpec, ...] = ()
    # Format string over params for the canvas, e.g. "RSI {period}".
    summary: str = ""
    is_trigger: bool = False
    # How the executor may run this node: "io" runs on the loop, "cpu" may be sent to a thread.
    cost: str = "io"
    extra: dict[str, Any] = field(default_factory=dict)

    def input(self, name: str) -> PortSpec | None:
        return next((p for p in self.inputs if p.name == name), None)

    def output(self, name: str) -> PortSpec | None:
        return next((p for p in self.outputs if p.name == name), None)

    def param(self, name: str) -> ParamSpec | None:
        return next((p for p in self.params if p.name == name), None)

    def default_params(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params if p.default is not None}

    def describe(self, params: dict[str, Any]) -> str:
        """Short text of the key params for the canvas ("RSI 14"); never raises."""
        if not self.summary:
            return ""
        merged = {**self.default_params(), **params}
        try:
            return self.summary.format_map(_Missing(merged))
        except (ValueError, TypeError, IndexError, KeyError):
            return self.summary

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type_id,
            "version": self.version,
            "category": self.category,
            "title": self.title,
            "description": self.description,
            "is_trigger": self.is_trigger,
            "inputs": [
                {"name": p.name, "type": p.type, "accepts": list(p.accepts),
                 "required": p.required, "gate": p.gate, "help": p.help}
                for p in self.inputs
            ],
            "outputs": [{"name": p.name, "type": p.type, "help": p.help} for p in self.outputs],
            "params": [
                {"name": p.name, "kind": p.kind, "default": p.default, "help": p.help,
                 "minimum": p.minimum, "maximum": p.maximum, "choices": list(p.choices),
                 "required": p.required}
                for p in self.params
            ],
        }


class _Missing(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"
