"""A safe message formatter for user-written templates such as "{symbol} RSI {rsi:.1f}".

`str.format` on a user template can walk attributes and items ("{x.__class__.__mro__}",
"{x[0]}") and pad to gigabytes ("{x:999999999}"). This formatter only looks up flat names in
a mapping (dots are part of the name, never attribute access), only accepts a standard format
spec with bounded width and precision, and renders what it cannot resolve as "?" so that a
notification still goes out.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from agentic_desktop.domain.trading import Order

MAX_TEMPLATE = 4000
MAX_OUTPUT = 8000
UNKNOWN = "?"

_TOKEN = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_.]*)(?::([^{}]*))?\}")
# [[fill]align][sign][z][#][0][width][grouping][.precision][type]; width/precision ≤ 2 digits.
_SPEC = re.compile(r"^(?:[^{}]?[<>=^])?[+\- ]?z?#?0?(?:\d{1,2})?[,_]?(?:\.\d{1,2})?"
                   r"[bcdeEfFgGnosxX%]?$")


@dataclass(frozen=True, kw_only=True)
class Rendered:
    text: str
    unknown: tuple[str, ...] = ()  # names with no value (rendered as "?")


def render(template: str, values: Mapping[str, Any]) -> Rendered:
    """Render `{name}` / `{name:spec}` from `values`; `{{` and `}}` are literal braces.

    A name is looked up as is; failing that, a dotted name walks nested dicts (payload
    fields such as `{alert.price}`), dict keys only. Anything else is literal text.
    """
    template = template[:MAX_TEMPLATE]
    unknown: list[str] = []

    def substitute(match: re.Match[str]) -> str:
        whole = match.group(0)
        if whole == "{{":
            return "{"
        if whole == "}}":
            return "}"
        name, spec = match.group(1), match.group(2) or ""
        found, value = lookup(values, name)
        if not found or value is None:
            if name not in unknown:
                unknown.append(name)
            return UNKNOWN
        return format_value(value, spec)

    text = _TOKEN.sub(substitute, template)
    return Rendered(text=text[:MAX_OUTPUT], unknown=tuple(unknown))


def lookup(values: Mapping[str, Any], name: str) -> tuple[bool, Any]:
    if name in values:
        return True, values[name]
    head, *rest = name.split(".")
    if head not in values:
        return False, None
    current = values[head]
    for part in rest:
        if not isinstance(current, Mapping) or part not in current:
            return False, None
        current = current[part]
    return True, current


def format_value(value: Any, spec: str) -> str:
    """Format plain values only; objects become a short description, never their attributes."""
    value = _plain(value)
    if not _SPEC.match(spec):
        spec = ""
    if isinstance(value, float) and math.isnan(value) and spec:
        return "nan"
    try:
        return format(value, spec)
    except (ValueError, TypeError):
        return format(str(value), "")


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, Order):
        price = f" @ {value.fill_price:g}" if value.fill_price is not None else ""
        return f"{value.side} {value.volume:g} {value.symbol}{price} ({value.status})"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(_plain(v)) for v in value[:20])
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={_plain(v)}" for k, v in list(value.items())[:20])
    return type(value).__name__
