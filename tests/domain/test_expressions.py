"""The safe condition parser: grammar, evaluation, errors that point at the token, fuzzing."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentic_desktop.domain.errors import UserError
from agentic_desktop.domain.expressions import (
    MAX_DEPTH,
    OPERATORS,
    BoolOp,
    Comparison,
    Condition,
    ConditionError,
    Name,
    Number,
    evaluate,
    parse_condition,
    referenced_names,
    render,
    uses_crossing,
)

PRICE_NAMES = {"price", "bid", "ask", "mid", "last"}


def cmp(left: str | float, op: str, right: str | float) -> Comparison:
    def operand(x: str | float) -> Name | Number:
        return Name(name=x) if isinstance(x, str) else Number(value=float(x))

    return Comparison(left=operand(left), op=op, right=operand(right))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("price > 1.10", cmp("price", ">", 1.10)),
        ("price>1.10", cmp("price", ">", 1.10)),
        ("  rsi <30 ", cmp("rsi", "<", 30)),
        ("bid >= .5", cmp("bid", ">=", 0.5)),
        ("ask <= 2.", cmp("ask", "<=", 2.0)),
        ("macd < -0.25", cmp("macd", "<", -0.25)),
        ("hist != 0", cmp("hist", "!=", 0)),
        ("value == 1e3", cmp("value", "==", 1000)),
        ("1.2 < price", cmp(1.2, "<", "price")),
        ("macd crosses_above signal", cmp("macd", "crosses_above", "signal")),
        ("price CROSSES_BELOW lower", cmp("price", "crosses_below", "lower")),
        ("ema_20 > sma_50", cmp("ema_20", ">", "sma_50")),
        (
            "rsi < 30 and price > 1",
            BoolOp(op="and", operands=(cmp("rsi", "<", 30), cmp("price", ">", 1))),
        ),
        (
            "a > 1 or b > 2 and c > 3",  # and binds tighter
            BoolOp(
                op="or",
                operands=(
                    cmp("a", ">", 1),
                    BoolOp(op="and", operands=(cmp("b", ">", 2), cmp("c", ">", 3))),
                ),
            ),
        ),
        (
            "(a > 1 OR b > 2) AND c > 3",
            BoolOp(
                op="and",
                operands=(
                    BoolOp(op="or", operands=(cmp("a", ">", 1), cmp("b", ">", 2))),
                    cmp("c", ">", 3),
                ),
            ),
        ),
        ("((price > 1))", cmp("price", ">", 1)),
    ],
)
def test_parses(text: str, expected: Condition) -> None:
    assert parse_condition(text) == expected


def test_positions_are_recorded() -> None:
    cond = parse_condition("rsi < 30 and  price > 1")
    assert isinstance(cond, BoolOp)
    second = cond.operands[1]
    assert isinstance(second, Comparison) and second.position == 14
    assert isinstance(second.right, Number) and second.right.position == 22


def test_allowed_names_are_checked() -> None:
    assert parse_condition("price > 1.1", allowed_names=PRICE_NAMES) == cmp("price", ">", 1.1)
    with pytest.raises(ConditionError) as info:
        parse_condition("price > 1 and prcie < 2", allowed_names=PRICE_NAMES)
    assert info.value.position == 14 and info.value.column == 15
    assert "unknown name 'prcie' at column 15" in str(info.value)
    assert "did you mean 'price'?" in str(info.value)
    assert "use one of ask, bid, last, mid, price" in str(info.value)


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ("price >> 1.10", 6, "unexpected '>>' at column 7 in 'price >> 1.10': use one of > >="),
        ("price = 1", 6, "did you mean '=='?"),
        ("price => 1", 6, "did you mean '>='?"),
        ("price <> 1", 6, "did you mean '!='?"),
        ("price 1", 6, "unexpected '1' at column 7"),
        ("price", 5, "unexpected end of text at column 6"),
        ("price >", 7, "expected a number or a name"),
        ("> 1", 0, "expected a number or a name"),
        ("price > and", 8, "unexpected 'and'"),
        ("price > 1 2", 10, "expected 'and', 'or' or the end"),
        ("price > 1 and", 13, "unexpected end of text"),
        ("a < b < c", 6, "join comparisons with 'and' or 'or'"),
        ("(price > 1", 10, "expected ')' to close the '(' at column 1"),
        ("price > 1)", 9, "unexpected ')'"),
        ("()", 1, "unexpected ')'"),
        ("price > $1", 8, "unexpected '$' at column 9"),
        ("price > 1 && bid > 2", 10, "unexpected '&'"),
        ("price > 1e999", 8, "number '1e999' at column 9"),
        ("price > NaN", 8, "not a number: 'NaN'"),
        ("inf < price", 0, "not a number: 'inf'"),
        ("1 > 2", 0, "two numbers compared at column 1"),
        ("price > -bid", 8, "unexpected '-'"),
        ("price > __import__('os')", 18, "unexpected '('"),
        ("", 0, "condition: is empty"),
        ("   ", 0, "condition: is empty"),
        ("price > " + "1" * 600, 500, "is too long (608 characters)"),
        ("(" * (MAX_DEPTH + 1) + "a > 1" + ")" * (MAX_DEPTH + 1), MAX_DEPTH, "too deeply nested"),
        ("price > 1 and", 13, "in 'price > 1 and'"),
    ],
)
def test_errors_point_at_the_token(text: str, position: int, fragment: str) -> None:
    with pytest.raises(ConditionError) as info:
        parse_condition(text)
    assert isinstance(info.value, UserError)
    assert info.value.position == position, str(info.value)
    assert fragment in str(info.value)
    assert str(info.value).startswith("condition: ")


def test_max_depth_itself_is_fine() -> None:
    text = "(" * MAX_DEPTH + "a > 1" + ")" * MAX_DEPTH
    assert parse_condition(text) == cmp("a", ">", 1)


# ----------------------------------------------------------------- evaluate


@pytest.mark.parametrize(
    ("text", "current", "result"),
    [
        ("price > 1.10", {"price": 1.11}, True),
        ("price > 1.10", {"price": 1.10}, False),
        ("price >= 1.10", {"price": 1.10}, True),
        ("price < bid", {"price": 1.0, "bid": 1.5}, True),
        ("price <= 1", {"price": 1.0}, True),
        ("price == 1", {"price": 1.0}, True),
        ("price != 1", {"price": 1.0}, False),
        ("price > 1 and rsi < 30", {"price": 2, "rsi": 40}, False),
        ("price > 1 or rsi < 30", {"price": 2, "rsi": 40}, True),
        ("price > 1", {"price": math.nan}, False),
    ],
)
def test_evaluate(text: str, current: dict[str, float], result: bool) -> None:
    assert evaluate(parse_condition(text), current) is result


def test_crossings_need_previous_values() -> None:
    above = parse_condition("macd crosses_above signal")
    below = parse_condition("price crosses_below 1.10")
    assert not evaluate(above, {"macd": 2, "signal": 1}, None)
    assert not evaluate(above, {"macd": 2, "signal": 1}, {"macd": 0})  # no previous signal
    assert evaluate(above, {"macd": 2, "signal": 1}, {"macd": 0, "signal": 1})
    assert evaluate(above, {"macd": 2, "signal": 1}, {"macd": 1, "signal": 1})  # from equal
    assert not evaluate(above, {"macd": 2, "signal": 1}, {"macd": 3, "signal": 1})  # was above
    assert not evaluate(above, {"macd": 1, "signal": 1}, {"macd": 0, "signal": 1})  # only touches
    assert evaluate(below, {"price": 1.09}, {"price": 1.10})
    assert not evaluate(below, {"price": 1.09}, {"price": 1.08})
    assert uses_crossing(above) and not uses_crossing(parse_condition("price > 1"))


def test_missing_current_value_is_an_error_naming_it() -> None:
    with pytest.raises(ConditionError) as info:
        evaluate(parse_condition("price > 1 and rsi < 30"), {"price": 2})
    assert "no value for 'rsi' at column 15" in str(info.value)


def test_referenced_names() -> None:
    cond = parse_condition("(macd crosses_above signal or rsi < 30) and price > 1.1")
    assert referenced_names(cond) == {"macd", "signal", "rsi", "price"}
    assert referenced_names(parse_condition("1 < price")) == {"price"}


def test_render_round_trips() -> None:
    text = "(a > 1 or b <= -2.5) and c crosses_above d and e != 100"
    cond = parse_condition(text)
    assert render(cond) == text
    assert parse_condition(render(cond)) == cond


# ----------------------------------------------------------------- properties

ALPHABET = st.sampled_from(
    list("abcpr ()<>=!-.0123456789eE_&$'\"\t\n\\") + ["and", "or", "crosses_above", " nan "]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(ALPHABET, max_size=40).map("".join))
def test_parse_never_raises_anything_but_condition_error(text: str) -> None:
    try:
        cond = parse_condition(text, allowed_names={"a", "b", "price"})
    except ConditionError as exc:
        assert 0 <= exc.position <= len(text)
    else:
        assert referenced_names(cond) <= {"a", "b", "price"}


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=600))
def test_parse_arbitrary_unicode(text: str) -> None:
    try:
        parse_condition(text)
    except ConditionError as exc:
        assert 0 <= exc.position <= max(len(text), 500)


names = st.sampled_from(["price", "rsi", "macd", "signal", "x_1"])
numbers = st.floats(allow_nan=False, allow_infinity=False, width=64).map(lambda v: v + 0.0)
operands = st.one_of(names.map(lambda n: Name(name=n)), numbers.map(lambda v: Number(value=v)))
comparisons = st.builds(
    lambda left, op, right: Comparison(left=left, op=op, right=right),
    names.map(lambda n: Name(name=n)),
    st.sampled_from(OPERATORS),
    operands,
)
conditions = st.recursive(
    comparisons,
    lambda inner: st.builds(
        lambda op, parts: BoolOp(op=op, operands=tuple(parts)),
        st.sampled_from(["and", "or"]),
        st.lists(inner, min_size=2, max_size=3),
    ),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None)
@given(conditions)
def test_render_then_parse_is_identity(cond: Condition) -> None:
    text = render(cond)
    if len(text) <= 500:
        assert parse_condition(text) == cond


def reference(cond: Condition, cur: dict[str, float], prev: dict[str, float]) -> bool:
    if isinstance(cond, BoolOp):
        results = [reference(c, cur, prev) for c in cond.operands]
        return all(results) if cond.op == "and" else any(results)

    def val(o: Name | Number, values: dict[str, float]) -> float:
        return values[o.name] if isinstance(o, Name) else o.value

    a, b = val(cond.left, cur), val(cond.right, cur)
    pa, pb = val(cond.left, prev), val(cond.right, prev)
    return {
        ">": a > b,
        ">=": a >= b,
        "<": a < b,
        "<=": a <= b,
        "==": a == b,
        "!=": a != b,
        "crosses_above": pa <= pb and a > b,
        "crosses_below": pa >= pb and a < b,
    }[cond.op]


values = st.fixed_dictionaries(
    {n: st.integers(-3, 3).map(float) for n in ["price", "rsi", "macd", "signal", "x_1"]}
)


@settings(max_examples=300, deadline=None)
@given(conditions, values, values)
def test_evaluate_matches_reference(
    cond: Condition, cur: dict[str, float], prev: dict[str, float]
) -> None:
    assert evaluate(cond, cur, prev) == reference(cond, cur, prev)
