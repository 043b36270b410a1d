"""Compare and Logic: bool series aligned to bar times, crosses on the crossing bar only,
NaN compares false, and gating through the executor."""

from __future__ import annotations

import numpy as np
import pytest

from agentic_desktop.domain.errors import UserError
from agentic_desktop.domain.trading import Series
from agentic_desktop.nodes.conditions import combine_signals, compare_values

from .fakes import World, make_candles, run_of, statuses, workflow

NAN = np.nan


def s(values, time=None) -> Series:
    values = np.asarray(values)
    return Series(time=np.arange(len(values)) if time is None else np.asarray(time),
                  values=values)


def test_series_against_constant_elementwise_and_nan_is_false() -> None:
    a = s([NAN, 1.0, 2.0, 3.0])
    assert compare_values(a, 2.0, ">").values.tolist() == [False, False, False, True]
    assert compare_values(a, 2.0, ">=").values.tolist() == [False, False, True, True]
    assert compare_values(a, 2.0, "<").values.tolist() == [False, True, False, False]
    assert compare_values(a, 2.0, "<=").values.tolist() == [False, True, True, False]
    assert compare_values(a, 2.0, "==").values.tolist() == [False, False, True, False]
    assert compare_values(a, 2.0, "!=").values.tolist() == [False, True, False, True]
    assert compare_values(a, 2.0, ">").values.dtype == np.bool_


def test_crosses_above_and_below_between_two_series() -> None:
    a = s([1.0, 2.0, 3.0, 2.0, 1.0, 2.0, 2.0, 3.0])
    b = s([2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0])
    # above at i: a[i-1] <= b[i-1] and a[i] > b[i]
    assert compare_values(a, b, "crosses_above").values.tolist() == [
        False, False, True, False, False, False, False, True]
    assert compare_values(a, b, "crosses_below").values.tolist() == [
        False, False, False, False, True, False, False, False]
    # touching (2 → 2) is not a cross; NaN before never crosses
    c = s([NAN, 3.0, 1.0, NAN, 3.0])
    assert compare_values(c, 2.0, "crosses_above").values.tolist() == [False] * 5
    assert compare_values(c, 2.0, "crosses_below").values.tolist() == [False, False, True,
                                                                        False, False]


def test_two_moving_series_cross() -> None:
    fast = s([1.0, 1.5, 2.5, 3.0])
    slow = s([2.0, 2.0, 2.0, 3.5])
    assert compare_values(fast, slow, "crosses_above").values.tolist() == [False, False, True,
                                                                            False]
    assert compare_values(fast, slow, "crosses_below").values.tolist() == [False, False, False,
                                                                            True]


def test_number_against_series_aligns_to_the_series() -> None:
    b = s([1.0, 5.0], time=[100, 200])
    out = compare_values(3.0, b, ">")
    assert out.time.tolist() == [100, 200]
    assert out.values.tolist() == [True, False]


def test_series_with_different_times_align_on_exact_bar_time() -> None:
    a = s([1.0, 2.0, 3.0, 4.0], time=[10, 20, 30, 40])
    b = s([0.0, 5.0, 0.0], time=[20, 30, 50])
    out = compare_values(a, b, ">")
    assert out.time.tolist() == [10, 20, 30, 40]
    assert out.values.tolist() == [False, True, False, False]  # no b bar at 10 or 40


def test_plain_numbers() -> None:
    assert compare_values(1.2, 1.1, ">") is True
    assert compare_values(1.0, 1.1, ">") is False
    assert compare_values(NAN, 1.1, "<") is False
    with pytest.raises(UserError, match="crosses_above needs a series"):
        compare_values(1.2, 1.1, "crosses_above")


def test_logic_on_series_and_bools() -> None:
    a = s(np.array([True, True, False, False]))
    b = s(np.array([True, False, True, False]))
    assert combine_signals(a, b, "AND").values.tolist() == [True, False, False, False]
    assert combine_signals(a, b, "OR").values.tolist() == [True, True, True, False]
    assert combine_signals(a, None, "NOT").values.tolist() == [False, False, True, True]
    assert combine_signals(a, True, "AND").values.tolist() == [True, True, False, False]
    assert combine_signals(False, b, "OR").values.tolist() == [True, False, True, False]
    assert combine_signals(True, False, "AND") is False
    assert combine_signals(True, False, "OR") is True
    assert combine_signals(True, None, "NOT") is False
    with pytest.raises(UserError, match="connect input 'b'"):
        combine_signals(True, None, "AND")


@pytest.mark.asyncio
async def test_logic_node_treats_nan_as_false() -> None:
    w = World()
    a = s([1.0, NAN, 0.0, 1.0])
    out = await w.call("condition.logic", params={"operator": "NOT"}, inputs={"a": a})
    assert out["result"].values.tolist() == [False, True, True, False]
    out = await w.call("condition.logic", params={"operator": "OR"},
                       inputs={"a": None, "b": True})
    assert out["result"] is True


@pytest.mark.asyncio
async def test_compare_node_uses_value_param_when_b_is_unconnected() -> None:
    w = World()
    out = await w.call("condition.compare", params={"operator": "<", "value": 30.0},
                       inputs={"a": s([20.0, 40.0])})
    assert out["result"].values.tolist() == [True, False]
    out = await w.call("condition.compare", params={"operator": ">"},
                       inputs={"a": 1.5, "b": 1.0})
    assert out["result"] is True
    with pytest.raises(UserError, match="input 'a' must be a series or a number"):
        await w.call("condition.compare", inputs={"a": "text"})


def _gated(close: np.ndarray, operator: str, value: float):
    w = World()
    w.set_bars(make_candles(close))
    wf = workflow(
        {"c": ("market.candles", {"symbol": "EURUSD", "lookback": len(close)}),
         "cmp": ("condition.compare", {"operator": operator, "value": value}),
         "note": ("notify.message", {"message": "{symbol} closed at {c:.4f}"}),
         "after": ("notify.message", {"message": "after"})},
        ["c.close -> cmp.a", "cmp.result -> note.when", "note.message -> after.value"],
    )
    return w, wf


@pytest.mark.asyncio
async def test_false_last_bar_skips_the_gated_node_and_everything_behind_it() -> None:
    close = np.linspace(1.0, 1.2, 50)
    w, wf = _gated(close, ">", 1.5)  # never true
    result = await w.run(wf)
    assert result.ok
    assert statuses(result) == {"c": "succeeded", "cmp": "succeeded", "note": "skipped",
                                "after": "skipped"}
    assert "is false" in run_of(result, "note").skip_reason
    assert w.notifier.sent == []


@pytest.mark.asyncio
async def test_gate_acts_on_the_last_bar_only() -> None:
    # True on earlier bars, false on the last one: skipped.
    close = np.concatenate((np.full(30, 2.0), [1.0]))
    w, wf = _gated(close, ">", 1.5)
    assert statuses(await w.run(wf))["note"] == "skipped"
    # A cross on the last bar: runs.
    close = np.concatenate((np.full(30, 1.0), [2.0]))
    w, wf = _gated(close, "crosses_above", 1.5)
    result = await w.run(wf)
    assert statuses(result) == {"c": "succeeded", "cmp": "succeeded", "note": "succeeded",
                                "after": "succeeded"}
    assert w.notifier.sent[0].message == "EURUSD closed at 2.0000"
