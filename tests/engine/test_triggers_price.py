"""Price triggers through the scheduler: edge-triggered, re-arm, hysteresis, price sources,
stale quotes and quotes from before a sleep (DESIGN.md §5). The market is scripted; one tick
is `scheduler.market_triggers.tick_all()`."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agentic_desktop.domain.schedule import ScheduleError
from agentic_desktop.domain.trading import Quote
from agentic_desktop.engine.clock import SystemClock
from agentic_desktop.engine.events import EventBus
from agentic_desktop.engine.memory_repos import (
    InMemoryJobQueueRepository,
    InMemoryScheduleRepository,
)
from agentic_desktop.engine.ports import NewSchedule
from agentic_desktop.engine.scheduler import Scheduler
from agentic_desktop.engine.triggers.price import PriceBook, parse_price_trigger
from agentic_desktop.market.scripted import ScriptedMarket
from tests.engine.test_scheduler import Rig, make_rig

START = datetime(2025, 6, 2, 12, tzinfo=UTC)


class LaggingMarket:
    """The scripted market, but quotes carry a time `lag` seconds behind the clock (a feed that
    stopped updating), or a fixed `stamp`."""

    def __init__(self, inner: ScriptedMarket) -> None:
        self.inner = inner
        self.lag = 0.0
        self.stamp: datetime | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def quote(self, symbol: str) -> Quote:
        q = await self.inner.quote(symbol)
        when = self.stamp if self.stamp is not None else q.time - timedelta(seconds=self.lag)
        return replace(q, time=when)


async def ticks(rig: Rig, symbol: str, prices: list[Any], step: float = 5.0) -> list[int]:
    """Feed one price per tick; return the indexes of the ticks that fired."""
    fired = []
    for i, p in enumerate(prices):
        rig.market.set_price(symbol, *p) if isinstance(p, tuple) else rig.market.set_price(
            symbol, p)
        if await rig.scheduler.market_triggers.tick_all():
            fired.append(i)
        rig.clock.advance(step)
    return fired


def price_rig(**config: Any) -> tuple[Rig, int]:
    rig = make_rig(START)
    s = rig.add("price", {"symbol": "EURUSD", "check_interval": 5, **config})
    return rig, s.id


@pytest.mark.asyncio
async def test_fires_when_the_condition_becomes_true_and_rearms_when_false() -> None:
    rig, sid = price_rig(condition="price > 1.10")
    assert await ticks(rig, "EURUSD", [1.09, 1.11, 1.12, 1.10, 1.11, 1.115]) == [1, 4]
    jobs = rig.jobs(sid)
    assert [j.trigger_type for j in jobs] == ["price", "price"]
    first = jobs[0]
    assert first.payload == {
        "trigger": "price", "schedule_id": sid, "symbol": "EURUSD", "price": 1.11,
        "source": "mid", "condition": "price > 1.10", "time": "2025-06-02T12:00:05Z",
        "bid": 1.11, "ask": 1.11, "last": 1.11}
    assert first.idempotency_key == f"schedule:{sid}:price:2025-06-02T12:00:05Z"
    assert first.nominal_fire_utc is None
    assert rig.schedules.get(sid).last_run == START + timedelta(seconds=20)  # the 2nd fire


@pytest.mark.asyncio
async def test_first_evaluation_only_establishes_state() -> None:
    rig, _ = price_rig(condition="price > 1.10")
    # Already true at start: not an edge we saw. It must turn false, then true again.
    assert await ticks(rig, "EURUSD", [1.20, 1.21, 1.05, 1.20]) == [3]


@pytest.mark.asyncio
async def test_hysteresis_needs_a_real_retreat_before_rearming() -> None:
    rig, _ = price_rig(condition="price > 1.10", hysteresis=0.005)
    prices = [1.09, 1.101, 1.099, 1.101, 1.0951, 1.101, 1.095, 1.101]
    #         arm   fire   band   no     band    no     rearm  fire
    assert await ticks(rig, "EURUSD", prices) == [1, 7]


@pytest.mark.asyncio
async def test_below_operators_and_number_on_the_left() -> None:
    rig, _ = price_rig(condition="1.10 > price", hysteresis=0.01)  # i.e. price < 1.10
    assert await ticks(rig, "EURUSD", [1.2, 1.09, 1.105, 1.08, 1.11, 1.09]) == [1, 5]
    rig, _ = price_rig(condition="price <= 1.10")
    assert await ticks(rig, "EURUSD", [1.2, 1.10, 1.10, 1.2, 1.1]) == [1, 4]


@pytest.mark.asyncio
async def test_crosses_operators_fire_on_the_crossing() -> None:
    rig, _ = price_rig(condition="price crosses_above 1.10")
    assert await ticks(rig, "EURUSD", [1.09, 1.10, 1.11, 1.12, 1.09, 1.12]) == [2, 5]
    rig, _ = price_rig(condition="price crosses_below 1.10")
    assert await ticks(rig, "EURUSD", [1.11, 1.09, 1.08, 1.12, 1.05]) == [1, 4]


@pytest.mark.asyncio
async def test_sources_from_config_or_named_in_the_condition() -> None:
    rig, sid = price_rig(condition="price >= 1.1010", source="ask")
    assert await ticks(rig, "EURUSD", [(1.1000, 1.1005), (1.1005, 1.1010)]) == [1]
    assert rig.jobs(sid)[0].payload["source"] == "ask"
    assert rig.jobs(sid)[0].payload["price"] == 1.1010
    rig, sid = price_rig(condition="bid > 1.1003", source="ask")  # the name wins
    assert await ticks(rig, "EURUSD", [(1.1000, 1.1010), (1.1004, 1.1010)]) == [1]
    assert rig.jobs(sid)[0].payload["source"] == "bid"


@pytest.mark.asyncio
async def test_compound_conditions_take_the_scalar_path_with_the_same_edges() -> None:
    rig, _ = price_rig(condition="bid > 1.10 and ask < 1.12")
    prices = [(1.09, 1.095), (1.105, 1.11), (1.106, 1.11), (1.11, 1.13), (1.11, 1.115)]
    assert await ticks(rig, "EURUSD", prices) == [1, 4]


@pytest.mark.asyncio
async def test_never_fires_on_a_stale_quote() -> None:
    lagging: list[LaggingMarket] = []
    rig = make_rig(START, market=lambda m: lagging.append(LaggingMarket(m)) or lagging[0])
    rig.add("price", {"symbol": "EURUSD", "condition": "price > 1.10", "check_interval": 5})
    market = lagging[0]
    assert await ticks(rig, "EURUSD", [1.05]) == []
    market.lag = 11  # older than max(2 x 5 s, 10 s)
    assert await ticks(rig, "EURUSD", [1.20, 1.20]) == []
    assert rig.scheduler.market_triggers.stale_skipped == 2
    market.lag = 9  # fresh enough: the first fresh look at the true condition fires
    assert await ticks(rig, "EURUSD", [1.20]) == [0]


@pytest.mark.asyncio
async def test_a_sleep_resets_state_and_quotes_from_before_it_are_ignored() -> None:
    lagging: list[LaggingMarket] = []
    rig = make_rig(START, market=lambda m: lagging.append(LaggingMarket(m)) or lagging[0])
    rig.add("price", {"symbol": "EURUSD", "condition": "price > 1.10", "check_interval": 5})
    market = lagging[0]
    assert await ticks(rig, "EURUSD", [1.05]) == []  # armed
    before = rig.clock.now()
    rig.clock.sleep_wall(8)  # short sleep: a quote stamped before it is not yet "stale"
    market.stamp = before
    assert await ticks(rig, "EURUSD", [1.20], step=0) == []  # quote from before the sleep
    market.stamp = None
    # State was reset by the jump: this fresh look only establishes it (already true).
    assert await ticks(rig, "EURUSD", [1.20, 1.20, 1.05, 1.20]) == [3]


def test_validation_names_the_field() -> None:
    with pytest.raises(ScheduleError) as err:
        parse_price_trigger({"symbol": "EURUSD", "condition": "prce > 1.1"})
    assert err.value.field == "condition" and "column 1" in str(err.value)
    assert "did you mean 'price'" in str(err.value)
    with pytest.raises(ScheduleError) as err:
        parse_price_trigger({"symbol": "EURUSD", "condition": "price > 1", "source": "close"})
    assert err.value.field == "source"
    with pytest.raises(ScheduleError) as err:
        parse_price_trigger({"symbol": "EURUSD", "condition": "price > 1 or price < 0.5",
                             "hysteresis": 0.1})
    assert err.value.field == "hysteresis"
    with pytest.raises(ScheduleError) as err:
        parse_price_trigger({"condition": "price > 1"})
    assert err.value.field == "symbol"
    with pytest.raises(ScheduleError) as err:
        parse_price_trigger({"symbol": "X", "condition": "price > 1", "check_interval": 0})
    assert err.value.field == "check_interval"


def test_book_keeps_state_across_membership_changes() -> None:
    def quote(p: float) -> dict[str, Quote]:
        return {s: Quote(symbol=s, bid=p, ask=p, last=p, time=START) for s in ("A", "B")}

    rig = make_rig(START)
    a = rig.add("manual", {})  # any ScheduledJob will do as the book's payload owner
    b = replace(a, id=a.id + 1)
    book = PriceBook()
    book.add(a, parse_price_trigger({"symbol": "A", "condition": "price > 1"}))
    assert book.evaluate(quote(0.5)) == []
    book.add(b, parse_price_trigger({"symbol": "B", "condition": "price > 1"}))  # rebuild
    fired = book.evaluate(quote(2.0))
    assert [f.job.id for f in fired] == [a.id]  # a kept its armed state, b only looked
    book.remove(a.id)
    assert book.symbols() == ["B"]


@pytest.mark.asyncio
async def test_the_polling_loop_fires_through_the_real_scheduler() -> None:
    clock = SystemClock()
    market = ScriptedMarket(clock)
    market.script_quotes("EURUSD", [1.0, 1.2])
    schedules = InMemoryScheduleRepository()
    queue = InMemoryJobQueueRepository(schedules)
    schedules.add(NewSchedule(workflow_id=1, trigger_type="price", created_at=clock.now(),
                              trigger_config={"symbol": "EURUSD", "condition": "price > 1.1",
                                              "check_interval": 0.5}))
    scheduler = Scheduler(schedules=schedules, queue=queue, clock=clock, events=EventBus(),
                          market=market)
    await scheduler.start()
    try:
        for _ in range(300):
            if queue.list():
                break
            await asyncio.sleep(0.01)
    finally:
        await scheduler.stop()
    assert [j.payload["price"] for j in queue.list()] == [1.2]
