"""The six trigger nodes: declared as triggers, output the run's payload and its useful parts,
and never fail when run by hand without one."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
import talib

from agentic_desktop.domain.nodespec import CATEGORIES

from .fakes import CATALOG, NOW, World, make_candles, random_walk, workflow

TRIGGERS = ("trigger.schedule", "trigger.price", "trigger.indicator", "trigger.time",
            "trigger.webhook", "trigger.manual")
NOW_ISO = "2025-03-10T12:00:00Z"


def test_catalog_counts_per_category() -> None:
    counts = Counter(s.category for s in CATALOG.specs())
    assert [counts[c] for c in CATEGORIES] == [3, 5, 5, 2, 2, 1, 6]
    assert len(CATALOG) == 24  # the 3/5/5/2/2/1/6 split sums to 24


def test_trigger_nodes_are_declared_as_triggers() -> None:
    for type_id in TRIGGERS:
        spec = CATALOG.get(type_id)
        assert spec is not None, type_id
        assert spec.category == "Triggers" and spec.is_trigger and spec.inputs == ()
        assert spec.outputs[0].name == "payload" and spec.outputs[0].type == "payload"
        assert spec.title and spec.description
        for item in (*spec.params, *spec.outputs):
            assert item.help, (type_id, item.name)
        for p in spec.params:
            assert p.check(p.default) is None, (type_id, p.name)
        if spec.summary:
            assert "?" not in spec.describe({}), type_id
    assert not any(s.is_trigger for s in CATALOG.specs() if s.type_id not in TRIGGERS)


@pytest.mark.asyncio
async def test_schedule_and_time_output_the_nominal_fire_time() -> None:
    payload = {"trigger": "cron", "fire_time": "2025-03-10T09:00:00Z", "schedule_id": 3}
    for type_id in ("trigger.schedule", "trigger.time"):
        out = await World().call(type_id, payload=payload)
        assert out == {"payload": payload, "fire_time": "2025-03-10T09:00:00Z"}
        by_hand = await World().call(type_id)
        assert by_hand["fire_time"] == NOW_ISO
        assert by_hand["payload"] == {"trigger": "manual", "fire_time": NOW_ISO}


@pytest.mark.asyncio
async def test_price_outputs_the_price_that_fired_or_the_current_one() -> None:
    fired = {"trigger": "price", "symbol": "EURUSD", "price": 1.1012, "source": "mid",
             "condition": "price > 1.10", "time": NOW_ISO}
    out = await World().call("trigger.price", payload=fired)
    assert out == {"payload": fired, "price": 1.1012, "symbol": "EURUSD"}
    by_hand = await World().call("trigger.price", params={"source": "ask"})  # 1.1000/1.1002
    assert by_hand["price"] == 1.1002 and by_hand["symbol"] == "EURUSD"
    assert by_hand["payload"]["trigger"] == "manual" and by_hand["payload"]["bid"] == 1.1
    no_quote = await World().call("trigger.price", params={"symbol": "NOPE"})
    assert math.isnan(no_quote["price"]) and no_quote["payload"]["trigger"] == "manual"


@pytest.mark.asyncio
async def test_indicator_outputs_values_from_the_payload_or_the_last_closed_bar() -> None:
    fired = {"trigger": "indicator", "indicator": "macd", "symbol": "EURUSD",
             "values": {"macd": 0.0012, "signal": 0.001, "hist": 0.0002, "close": 1.1,
                        "price": 1.1}, "price": 1.1, "bar_time": "2025-03-10T11:00:00Z"}
    out = await World().call("trigger.indicator", payload=fired)
    assert (out["value"], out["price"], out["bar_time"]) == (0.0012, 1.1,
                                                             "2025-03-10T11:00:00Z")
    w = World()
    closes = random_walk(300)
    end = int(NOW.timestamp()) - 3600  # the last bar closed at NOW
    w.set_bars(make_candles(closes, start=end - 3600 * 299))
    by_hand = await w.call("trigger.indicator", params={"period": 14})
    expected = talib.RSI(np.asarray(closes[-200:]), timeperiod=14)[-1]
    assert by_hand["value"] == pytest.approx(expected, rel=1e-12)
    assert by_hand["price"] == pytest.approx(closes[-1])
    assert by_hand["payload"]["trigger"] == "manual"
    empty = await World().call("trigger.indicator", params={"symbol": "NOPE"})
    assert math.isnan(empty["value"])


@pytest.mark.asyncio
async def test_webhook_outputs_the_body_and_its_text() -> None:
    alert = {"ticker": "EURUSD", "action": "buy", "price": 1.1}
    out = await World().call("trigger.webhook", payload=alert)
    assert out["payload"] == out["body"] == alert
    assert out["text"] == '{"ticker": "EURUSD", "action": "buy", "price": 1.1}'
    text = await World().call("trigger.webhook", payload={"text": "BUY EURUSD @ 1.1"})
    assert text["text"] == "BUY EURUSD @ 1.1"
    listed = await World().call("trigger.webhook", payload={"body": [1, 2]})
    assert listed["text"] == "[1, 2]"
    by_hand = await World().call("trigger.webhook")
    assert by_hand["body"] == {} and by_hand["text"] == ""
    assert by_hand["payload"]["trigger"] == "manual"


@pytest.mark.asyncio
async def test_a_trigger_starts_a_workflow_and_its_payload_reaches_templates() -> None:
    w = World()
    wf = workflow({"t": ("trigger.price", {"symbol": "EURUSD"}),
                   "n": ("notify.message", {"message": "fired at {t.price}"})},
                  [])  # a trigger needs no edge: its outputs reach templates by node id
    result = await w.run(wf, payload={"trigger": "price", "symbol": "EURUSD", "price": 1.2345})
    assert result.ok
    assert w.outputs["t"]["price"] == 1.2345
    assert "1.2345" in w.notifier.sent[0].message


@pytest.mark.asyncio
async def test_manual_trigger_passes_the_payload_through() -> None:
    out = await World().call("trigger.manual", payload={"note": "hello"})
    assert out["payload"] == {"note": "hello"} and out["fire_time"] == NOW_ISO
