"""Notify and its safe template formatter: values from the run, bounded format specs, no
attribute or index access, unknown names as '?', channels from the params."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from agentic_desktop.domain.trading import Series
from agentic_desktop.domain.workflow import loads
from agentic_desktop.nodes.templates import render

from .fakes import World, make_candles, random_walk, statuses, workflow

ROOT = Path(__file__).resolve().parents[2]


def test_names_and_format_specs() -> None:
    values = {"symbol": "EURUSD", "rsi": 28.456, "rsi.rsi": 28.456, "n": 3, "ok": True,
              "big": 1234567.891, "pct": 0.125}
    out = render("{symbol} RSI {rsi:.1f} / {rsi.rsi:.2f} n={n:03d} {ok} "
                 "{big:,.2f} {pct:.1%} {symbol:>8}|", values)
    assert out.text == "EURUSD RSI 28.5 / 28.46 n=003 True 1,234,567.89 12.5%   EURUSD|"
    assert out.unknown == ()


def test_unknown_names_render_as_question_marks_and_are_listed() -> None:
    out = render("{symbol}: {rsi:.1f} {nope} {nope}", {"symbol": "EURUSD"})
    assert out.text == "EURUSD: ? ? ?"
    assert out.unknown == ("rsi", "nope")


@pytest.mark.parametrize("template", [
    "{x.__class__}", "{x.__class__.__mro__}", "{x.__init__.__globals__}", "{x[0]}",
    "{x.__dict__}", "{0}", "{}", "{x!r}", "{x:{y}}",
])
def test_templates_cannot_reach_attributes_or_items(template: str) -> None:
    class Secretive:
        secret = "TOKEN-123"

        def __repr__(self) -> str:
            return "TOKEN-123"

        def __str__(self) -> str:
            return "TOKEN-123"

    out = render(template, {"x": Secretive(), "y": "s"})
    assert "TOKEN" not in out.text
    assert "class" not in out.text.replace("__class__", "")  # no type leaked
    assert "<" not in out.text


def test_objects_render_as_their_type_name_only() -> None:
    class Thing:
        def __format__(self, spec: str) -> str:
            raise AssertionError("must not be called")

    assert render("{t}", {"t": Thing()}).text == "Thing"


def test_format_specs_are_bounded_and_bad_ones_fall_back() -> None:
    assert render("{x:999999999}", {"x": 1.5}).text == "1.5"  # no gigabyte padding
    assert len(render("{x:>99}", {"x": 1}).text) == 99
    assert render("{x:.2f}", {"x": "text"}).text == "text"  # wrong type: plain text
    assert render("{x:.1f}", {"x": float("nan")}).text == "nan"
    assert render("{x:.3f}", {"x": np.float64(1.23456)}).text == "1.235"


def test_braces_escapes_and_nested_payload() -> None:
    out = render("{{literal}} {alert.price:.2f} {alert.missing} {", {"alert": {"price": 3.14159}})
    assert out.text == "{literal} 3.14 ? {"
    assert out.unknown == ("alert.missing",)
    # dotted lookup walks dicts only, never objects
    assert render("{s.upper}", {"s": "abc"}).text == "?"


@pytest.mark.asyncio
async def test_notify_renders_run_values_and_sends_to_the_chosen_channels() -> None:
    w = World()
    w.set_bars(make_candles(random_walk(100, seed=9)))
    wf = workflow(
        {"c": ("market.candles", {"symbol": "EURUSD"}), "rsi": ("indicator.rsi", {}),
         "say": ("notify.message", {"title": "Check", "level": "warning",
                                    "message": "{symbol} RSI {rsi:.1f} ({rsi.rsi:.3f}) "
                                               "last {value:.5f} {missing}",
                                    "apprise": True})},
        ["c.candles -> rsi.candles", "c.close -> say.value"],
    )
    result = await w.run(wf)
    assert result.ok, result.error
    rsi = w.outputs["rsi"]["rsi"].values[-1]
    close = w.outputs["c"]["close"].values[-1]
    expected = f"EURUSD RSI {rsi:.1f} ({rsi:.3f}) last {close:.5f} ?"
    [note] = w.notifier.sent
    assert (note.title, note.message, note.level) == ("Check", expected, "warning")
    assert note.channels == ("desktop", "apprise")
    assert w.outputs["say"] == {"message": expected, "sent": True, "unknown": "missing",
                                "failed": ""}


@pytest.mark.asyncio
async def test_notify_channel_choices_and_failures() -> None:
    w = World()
    out = await w.call("notify.message", params={"desktop": False, "message": "hi"})
    assert w.notifier.sent[-1].channels == ("log",)
    assert out["sent"] is True
    w.notifier.failing = ("apprise",)
    out = await w.call("notify.message", params={"desktop": False, "apprise": True})
    assert w.notifier.sent[-1].channels == ("apprise",)
    assert out["sent"] is False and out["failed"] == "apprise"


@pytest.mark.asyncio
async def test_notify_uses_payload_fields() -> None:
    w = World()
    out = await w.call("notify.message", params={"message": "{alert.ticker} @ {price}"},
                       payload={"alert": {"ticker": "EURUSD"}, "price": 1.1})
    assert out["message"] == "EURUSD @ 1.1"


@pytest.mark.asyncio
async def test_notify_value_input_takes_the_last_bar() -> None:
    w = World()
    s = Series(time=np.arange(3), values=np.array([1.0, 2.0, 3.5]))
    out = await w.call("notify.message", params={"message": "{value}"}, inputs={"value": s})
    assert out["message"] == "3.5"


def test_notify_params_hold_no_urls() -> None:
    from .fakes import CATALOG
    spec = CATALOG.get("notify.message")
    assert spec is not None
    assert {p.name for p in spec.params} == {"title", "message", "level", "desktop", "apprise"}


# -- the shipped example workflows run end to end ----------------------------------------

EXAMPLES = sorted((ROOT / "resources" / "examples").glob("*.json"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
@pytest.mark.asyncio
async def test_example_workflows_run(path: Path) -> None:
    wf = loads(path.read_text(), source=path.name)
    w = World()
    # Make every condition true: a dip for the RSI example, a breakout for the alert.
    w.set_bars(make_candles(np.linspace(1.2, 1.0, 200)))
    w.market.set_price("EURUSD", 1.1500, 1.1502)
    result = await w.run(wf, idempotency_key=f"example:{path.stem}")
    assert result.ok, result.error
    assert "skipped" not in statuses(result).values(), statuses(result)
    assert w.notifier.sent, "every example ends in a notification"
    for note in w.notifier.sent:
        assert "?" not in note.message, note.message
    json.dumps(result.to_json())  # summaries are JSON-safe
