"""Trigger conditions like `price > 1.10` or `rsi < 30 and macd crosses_above signal`.

A small recursive-descent parser; nothing is ever evaluated as Python. Grammar:

    condition  := and_expr ('or' and_expr)*
    and_expr   := primary ('and' primary)*
    primary    := '(' condition ')' | comparison
    comparison := operand OPERATOR operand
    operand    := NUMBER | '-' NUMBER | NAME
    OPERATOR   := > >= < <= == != crosses_above crosses_below

`and` binds tighter than `or`; keywords are case-insensitive, names are case-sensitive.
Errors are ConditionError with the 0-based `position` of the offending token; messages give the
1-based column, the token and the fix.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from agentic_desktop.domain.errors import UserError

Operator = Literal[">", ">=", "<", "<=", "==", "!=", "crosses_above", "crosses_below"]
OPERATORS: tuple[Operator, ...] = (
    ">",
    ">=",
    "<",
    "<=",
    "==",
    "!=",
    "crosses_above",
    "crosses_below",
)
MAX_LENGTH = 500
MAX_DEPTH = 16  # parentheses
_KEYWORDS = {"and", "or", "crosses_above", "crosses_below"}
_NOT_NUMBERS = {"nan", "inf", "infinity"}
_LOOKALIKES = {"=": "==", "===": "==", "=>": ">=", "=<": "<=", "<>": "!=", "!": "!="}
_CHARACTER_HINT = "use numbers, names, comparison operators, 'and', 'or' and parentheses"
_OPERATOR_HINT = "use one of " + " ".join(OPERATORS)


class ConditionError(UserError):
    """An invalid condition. `position` is the 0-based offset of the offending token."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"condition: {message}")
        self.position = position

    @property
    def column(self) -> int:
        return self.position + 1


@dataclass(frozen=True, kw_only=True)
class Number:
    value: float
    position: int = field(default=0, compare=False)


@dataclass(frozen=True, kw_only=True)
class Name:
    name: str
    position: int = field(default=0, compare=False)


Operand: TypeAlias = Number | Name


@dataclass(frozen=True, kw_only=True)
class Comparison:
    left: Operand
    op: Operator
    right: Operand
    position: int = field(default=0, compare=False)


@dataclass(frozen=True, kw_only=True)
class BoolOp:
    op: Literal["and", "or"]
    operands: tuple[Condition, ...]  # at least two


Condition: TypeAlias = Comparison | BoolOp


# --------------------------------------------------------------------------- tokens

_TOKEN = re.compile(
    r"(?P<space>\s+)"
    r"|(?P<number>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<symbol>[<>=!]+|[()\-])"
)


@dataclass(frozen=True)
class _Token:
    kind: Literal["number", "word", "symbol", "bad", "end"]
    text: str
    position: int

    def show(self) -> str:
        return "end of text" if self.kind == "end" else repr(self.text)


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:  # reported when the parser gets here, so errors come in order
            tokens.append(_Token("bad", text[position], position))
            break
        kind = match.lastgroup
        if kind == "number":
            tokens.append(_Token("number", match.group(), position))
        elif kind == "word":
            tokens.append(_Token("word", match.group(), position))
        elif kind == "symbol":
            tokens.append(_Token("symbol", match.group(), position))
        position = match.end()
    else:
        tokens.append(_Token("end", "", len(text)))
    return tokens


# --------------------------------------------------------------------------- parser


class _Parser:
    def __init__(self, text: str, allowed: frozenset[str] | None) -> None:
        self.text = text
        self.allowed = allowed
        self.tokens = _tokenize(text)
        self.index = 0
        self.depth = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.index]

    def keyword(self) -> str | None:
        tok = self.token
        return tok.text.lower() if tok.kind == "word" and tok.text.lower() in _KEYWORDS else None

    def fail(self, what: str, fix: str, token: _Token | None = None) -> ConditionError:
        tok = token or self.token
        if tok.kind == "bad":
            what, fix = "unexpected", _CHARACTER_HINT
        return ConditionError(
            f"{what} {tok.show()} at column {tok.position + 1} in {self.text!r}: {fix}",
            tok.position,
        )

    def parse(self) -> Condition:
        condition = self.condition()
        if self.token.kind != "end":
            tok = self.token
            if tok.kind == "symbol" and tok.text in OPERATORS:
                raise self.fail("unexpected", "join comparisons with 'and' or 'or'")
            raise self.fail("unexpected", "expected 'and', 'or' or the end of the condition")
        return condition

    def condition(self) -> Condition:
        parts = [self.and_expr()]
        while self.keyword() == "or":
            self.index += 1
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else BoolOp(op="or", operands=tuple(parts))

    def and_expr(self) -> Condition:
        parts = [self.primary()]
        while self.keyword() == "and":
            self.index += 1
            parts.append(self.primary())
        return parts[0] if len(parts) == 1 else BoolOp(op="and", operands=tuple(parts))

    def primary(self) -> Condition:
        tok = self.token
        if tok.text != "(":
            return self.comparison()
        if self.depth >= MAX_DEPTH:
            raise self.fail("too deeply nested", f"use at most {MAX_DEPTH} levels of parentheses")
        self.depth += 1
        self.index += 1
        inner = self.condition()
        if self.token.text != ")":
            raise self.fail(
                "unexpected", f"expected ')' to close the '(' at column {tok.position + 1}"
            )
        self.index += 1
        self.depth -= 1
        return inner

    def comparison(self) -> Comparison:
        left = self.operand()
        tok = self.token
        op = tok.text.lower() if tok.kind == "word" else tok.text
        if tok.kind not in ("symbol", "word") or op not in OPERATORS:
            meant = _LOOKALIKES.get(tok.text)
            raise self.fail(
                "unexpected", f"did you mean {meant!r}? " * bool(meant) + _OPERATOR_HINT
            )
        self.index += 1
        right = self.operand()
        if isinstance(left, Number) and isinstance(right, Number):
            raise ConditionError(
                f"two numbers compared at column {left.position + 1} in {self.text!r}: "
                "compare a name like price with a number",
                left.position,
            )
        return Comparison(left=left, op=_as_operator(op), right=right, position=left.position)

    def operand(self) -> Operand:
        tok = self.token
        sign = 1.0
        if tok.text == "-" and self.tokens[self.index + 1].kind == "number":
            sign = -1.0
            self.index += 1
        num = self.token
        if num.kind == "number":
            value = float(num.text)
            if not math.isfinite(value):
                raise self.fail("number", "use a finite number", num)
            self.index += 1
            return Number(value=sign * value + 0.0, position=tok.position)
        if tok.kind == "word" and tok.text.lower() not in _KEYWORDS:
            self.check_name(tok)
            self.index += 1
            return Name(name=tok.text, position=tok.position)
        raise self.fail("unexpected", "expected a number or a name like price")

    def check_name(self, tok: _Token) -> None:
        if tok.text.lower() in _NOT_NUMBERS:
            raise self.fail("not a number:", "use a finite number", tok)
        if self.allowed is None or tok.text in self.allowed:
            return
        allowed = sorted(self.allowed)
        close = difflib.get_close_matches(tok.text, allowed, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        names = ", ".join(allowed) if allowed else "(none here)"
        raise self.fail("unknown name", f"{hint}use one of {names}", tok)


def _as_operator(text: str) -> Operator:
    for op in OPERATORS:
        if op == text:
            return op
    raise AssertionError(text)  # pragma: no cover - checked by the caller


def parse_condition(text: str, *, allowed_names: Iterable[str] | None = None) -> Condition:
    """Parse `text`; with `allowed_names`, any other name is an error pointing at it."""
    if not isinstance(text, str) or not text.strip():
        raise ConditionError("is empty: write a comparison like 'price > 1.10'", 0)
    if len(text) > MAX_LENGTH:
        raise ConditionError(
            f"is too long ({len(text)} characters): keep it under {MAX_LENGTH}", MAX_LENGTH
        )
    allowed = None if allowed_names is None else frozenset(allowed_names)
    return _Parser(text, allowed).parse()


# --------------------------------------------------------------------------- use


def referenced_names(condition: Condition) -> frozenset[str]:
    if isinstance(condition, BoolOp):
        return frozenset().union(*(referenced_names(c) for c in condition.operands))
    return frozenset(o.name for o in (condition.left, condition.right) if isinstance(o, Name))


def uses_crossing(condition: Condition) -> bool:
    """True if evaluating needs the previous values."""
    if isinstance(condition, BoolOp):
        return any(uses_crossing(c) for c in condition.operands)
    return condition.op in ("crosses_above", "crosses_below")


def _value(operand: Operand, values: Mapping[str, float]) -> float:
    if isinstance(operand, Number):
        return operand.value
    try:
        return float(values[operand.name])
    except KeyError:
        raise ConditionError(
            f"no value for {operand.name!r} at column {operand.position + 1}: "
            f"available are {', '.join(sorted(values)) or 'none'}",
            operand.position,
        ) from None


def evaluate(
    condition: Condition,
    current: Mapping[str, float],
    previous: Mapping[str, float] | None = None,
) -> bool:
    """True if `condition` holds for `current`. A crossing needs `previous`: without it (or
    without a previous value for a name it uses) it is False. `crosses_above` means
    prev_left <= prev_right and left > right; `crosses_below` the mirror."""
    if isinstance(condition, BoolOp):
        parts = (evaluate(c, current, previous) for c in condition.operands)
        return all(parts) if condition.op == "and" else any(parts)
    left, right = _value(condition.left, current), _value(condition.right, current)
    op = condition.op
    if op == ">":
        return left > right
    if op == ">=":
        return left >= right
    if op == "<":
        return left < right
    if op == "<=":
        return left <= right
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    if previous is None or any(
        isinstance(o, Name) and o.name not in previous for o in (condition.left, condition.right)
    ):
        return False
    before_left = _value(condition.left, previous)
    before_right = _value(condition.right, previous)
    if op == "crosses_above":
        return before_left <= before_right and left > right
    return before_left >= before_right and left < right


def render(condition: Condition) -> str:
    """Canonical text; parse_condition(render(c)) == c."""
    if isinstance(condition, BoolOp):
        inner = f" {condition.op} ".join(
            f"({render(c)})" if isinstance(c, BoolOp) else render(c) for c in condition.operands
        )
        return inner
    return f"{_render_operand(condition.left)} {condition.op} {_render_operand(condition.right)}"


def _render_operand(operand: Operand) -> str:
    if isinstance(operand, Name):
        return operand.name
    text = repr(operand.value)
    return text[:-2] if text.endswith(".0") else text
