"""Condition nodes: Compare and Logic. They turn series into bool series (signals); the
executor gates action nodes on a signal's last bar (DESIGN.md §4)."""

from __future__ import annotations

import math
import operator as op
from collections.abc import Callable
from typing import Any

import numpy as np

from agentic_desktop.domain.errors import UserError
from agentic_desktop.domain.nodespec import NodeSpec, ParamSpec, PortSpec
from agentic_desktop.domain.trading import Series
from agentic_desktop.engine.ports import NodeContext
from agentic_desktop.engine.summary import last_scalar
from agentic_desktop.nodes._common import align_values, as_bool_array
from agentic_desktop.nodes.registry import node

CATEGORY = "Conditions"
COMPARE_OPS = ("crosses_above", "crosses_below", ">", ">=", "<", "<=", "==", "!=")
_ELEMENTWISE: dict[str, Callable[[Any, Any], Any]] = {
    ">": op.gt, ">=": op.ge, "<": op.lt, "<=": op.le, "==": op.eq, "!=": op.ne,
}

Operand = Series | float


def _operand(value: Any, port: str) -> Operand:
    if isinstance(value, Series):
        return value
    scalar = last_scalar(value)
    if isinstance(scalar, bool) or not isinstance(scalar, (int, float)):
        raise UserError(
            f"input {port!r} must be a series or a number, got {type(value).__name__}: "
            "connect an indicator, a price or a number output"
        )
    return float(scalar)


def compare_values(a: Operand, b: Operand, operator: str) -> Series | bool:
    """Compare two operands. Series results are aligned to a's bar times (b's when only b is
    a series). NaN compares false. crosses_above at bar i: a[i-1] <= b[i-1] and a[i] > b[i]."""
    if operator not in COMPARE_OPS:
        raise UserError(f"param 'operator' must be one of {', '.join(COMPARE_OPS)}, "
                        f"got {operator!r}")
    if not isinstance(a, Series) and not isinstance(b, Series):
        if operator.startswith("crosses"):
            raise UserError(
                f"{operator} needs a series: two plain numbers have no previous bar to cross "
                "from; connect an indicator or Candles 'close' to input 'a'"
            )
        if math.isnan(a) or math.isnan(b):
            return False
        return bool(_ELEMENTWISE[operator](a, b))
    time = a.time if isinstance(a, Series) else b.time  # type: ignore[union-attr]
    av = _values_on(a, time)
    bv = _values_on(b, time)
    with np.errstate(invalid="ignore"):
        if operator in _ELEMENTWISE:
            result = _ELEMENTWISE[operator](av, bv)
            if operator == "!=":  # NaN != x is True in IEEE; a missing value is no signal
                result &= ~(np.isnan(av) | np.isnan(bv))
        else:
            above = operator == "crosses_above"
            now = av > bv if above else av < bv
            before = av <= bv if above else av >= bv
            result = np.zeros(len(time), dtype=bool)
            result[1:] = before[:-1] & now[1:]
    return Series(time=time, values=np.asarray(result, dtype=bool))


def _values_on(x: Operand, time: np.ndarray) -> np.ndarray:
    if isinstance(x, Series):
        return np.asarray(align_values(time, x, np.nan), dtype=np.float64)
    return np.full(len(time), x, dtype=np.float64)


@node(NodeSpec(
    type_id="condition.compare", version=1, category=CATEGORY, title="Compare",
    description="Compares two inputs (or an input and a constant) bar by bar. Crosses fire "
                "only on the bar where a moves from at-or-below b to above it (or the reverse).",
    inputs=(
        PortSpec(name="a", type="series", accepts=("number",),
                 help="Left side: a series (indicator, close prices) or a number."),
        PortSpec(name="b", type="series", accepts=("number",), required=False,
                 help="Right side. Leave unconnected to compare with the 'value' param."),
    ),
    outputs=(PortSpec(name="result", type="signal",
                      help="True where the comparison holds: a bool series when an input is a "
                           "series, else true/false. Connect to an action's 'when'."),),
    params=(
        ParamSpec(name="operator", kind="choice", choices=COMPARE_OPS, default=">",
                  help="How to compare a with b: >, >=, <, <=, ==, != per bar, or "
                       "crosses_above / crosses_below (true only on the crossing bar)."),
        ParamSpec(name="value", kind="float", default=0.0,
                  help="The constant b when input b is not connected (e.g. 30 for RSI < 30)."),
    ),
    summary="a {operator} {value}",
))
async def compare(ctx: NodeContext) -> dict[str, Any]:
    a = _operand(ctx.inputs.get("a"), "a")
    b = _operand(ctx.inputs["b"], "b") if "b" in ctx.inputs else float(ctx.params["value"])
    return {"result": compare_values(a, b, ctx.params["operator"])}


def _signal(value: Any, port: str) -> Series | bool:
    if isinstance(value, Series):
        return Series(time=value.time, values=as_bool_array(value.values), name=value.name)
    scalar = last_scalar(value)
    if scalar is None or (isinstance(scalar, float) and math.isnan(scalar)):
        return False
    if isinstance(scalar, (bool, int, float)):
        return bool(scalar)
    raise UserError(f"input {port!r} must be a signal or true/false, got {type(value).__name__}: "
                    "connect a Compare or Logic result")


def combine_signals(a: Series | bool, b: Series | bool | None, operator: str) -> Series | bool:
    """AND / OR elementwise (aligned to a's bar times, b's when only b is a series), NOT of a."""
    if operator == "NOT":
        if isinstance(a, Series):
            return Series(time=a.time, values=~as_bool_array(a.values))
        return not a
    if operator not in ("AND", "OR"):
        raise UserError(f"param 'operator' must be AND, OR or NOT, got {operator!r}")
    if b is None:
        raise UserError(f"{operator} needs two inputs: connect input 'b' (or use NOT)")
    fn = np.logical_and if operator == "AND" else np.logical_or
    if not isinstance(a, Series) and not isinstance(b, Series):
        return bool(fn(a, b))
    time = a.time if isinstance(a, Series) else b.time  # type: ignore[union-attr]
    av = align_values(time, a, False) if isinstance(a, Series) else np.full(len(time), a)
    bv = align_values(time, b, False) if isinstance(b, Series) else np.full(len(time), b)
    return Series(time=time, values=fn(as_bool_array(av), as_bool_array(bv)))


@node(NodeSpec(
    type_id="condition.logic", version=1, category=CATEGORY, title="Logic",
    description="Combines signals bar by bar: AND (both true), OR (either true), NOT (inverts a).",
    inputs=(
        PortSpec(name="a", type="signal", accepts=("bool",),
                 help="First signal (the only one NOT uses)."),
        PortSpec(name="b", type="signal", accepts=("bool",), required=False,
                 help="Second signal, needed for AND and OR."),
    ),
    outputs=(PortSpec(name="result", type="signal",
                      help="The combined signal: a bool series when an input is a series."),),
    params=(ParamSpec(name="operator", kind="choice", choices=("AND", "OR", "NOT"),
                      default="AND",
                      help="AND: both true. OR: at least one true. NOT: true where a is false. "
                           "Missing values (NaN) count as false."),),
    summary="{operator}",
))
async def logic(ctx: NodeContext) -> dict[str, Any]:
    a = _signal(ctx.inputs.get("a"), "a")
    b = _signal(ctx.inputs["b"], "b") if "b" in ctx.inputs else None
    return {"result": combine_signals(a, b, ctx.params["operator"])}


NODES = (compare, logic)
