"""Stops and targets are enforced while the app runs: the watch asks the real paper broker
to re-check positions against the (scripted) market and tells the trader what closed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from agentic_desktop.brokers.paper import PaperBroker
from agentic_desktop.domain.trading import OrderRequest
from agentic_desktop.engine.broker_watch import BrokerWatch
from agentic_desktop.engine.clock import FakeClock
from agentic_desktop.market.scripted import ScriptedMarket
from agentic_desktop.store.db import open_database
from agentic_desktop.store.ledger import SqlPaperLedger
from tests.nodes.fakes import RecordingNotifier


@pytest.mark.asyncio
async def test_stop_loss_hit_closes_position_and_notifies(data_dir: Path) -> None:
    clock = FakeClock(datetime(2025, 3, 3, 10, tzinfo=UTC))
    market = ScriptedMarket(clock)
    market.set_price("EURUSD", 1.1000, 1.1001)
    broker = PaperBroker(market, SqlPaperLedger(open_database(data_dir)), clock)
    notifier = RecordingNotifier()
    watch = BrokerWatch(broker=broker, notifier=notifier, interval=0.01)
    await broker.place_order(OrderRequest(client_order_id="a", symbol="EURUSD", side="buy",
                                          volume=0.1, stop_loss=1.0950, take_profit=1.1100))
    assert await watch.check_once() == []  # price between stop and target: nothing happens
    market.set_price("EURUSD", 1.0940, 1.0941)  # through the stop
    closed = await watch.check_once()
    assert len(closed) == 1 and closed[0].reason == "stop_loss"
    assert await broker.positions() == []
    assert notifier.sent[-1].title == "Position closed"
    assert "stop loss hit" in notifier.sent[-1].message
    assert await watch.check_once() == []  # closed once, never twice


@pytest.mark.asyncio
async def test_watch_loop_runs_until_stopped(data_dir: Path) -> None:
    import asyncio

    clock = FakeClock(datetime(2025, 3, 3, 10, tzinfo=UTC))
    market = ScriptedMarket(clock)
    market.set_price("EURUSD", 1.1000, 1.1001)
    broker = PaperBroker(market, SqlPaperLedger(open_database(data_dir)), clock)
    notifier = RecordingNotifier()
    watch = BrokerWatch(broker=broker, notifier=notifier, interval=0.01)
    await broker.place_order(OrderRequest(client_order_id="b", symbol="EURUSD", side="buy",
                                          volume=0.1, take_profit=1.1050))
    await watch.start()
    market.set_price("EURUSD", 1.1060, 1.1061)
    for _ in range(200):
        if notifier.sent:
            break
        await asyncio.sleep(0.01)
    await watch.stop()
    assert notifier.sent and "take profit hit" in notifier.sent[0].message
