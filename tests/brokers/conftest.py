"""Broker tests: real ledger on real SQLite; only the market and the clock are fakes."""

from __future__ import annotations

from pathlib import Path

import pytest
from broker_fakes import EURUSD, START, USDJPY, XAUUSD, HandClock, HandMarket

from agentic_desktop.brokers.paper import PaperBroker
from agentic_desktop.store import SqlPaperLedger, open_database


@pytest.fixture
def clock() -> HandClock:
    return HandClock(START)


@pytest.fixture
def market(clock: HandClock) -> HandMarket:
    m = HandMarket(clock, [EURUSD, USDJPY, XAUUSD])
    m.set("EURUSD", 1.10000, 1.10020)  # 2-pip spread
    m.set("XAUUSD", 2350.00, 2350.30)
    m.set("USDJPY", 149.990, 150.010)
    return m


@pytest.fixture
def ledger(data_dir: Path) -> SqlPaperLedger:
    return SqlPaperLedger(open_database(data_dir))


@pytest.fixture
def broker(market: HandMarket, ledger: SqlPaperLedger, clock: HandClock) -> PaperBroker:
    return PaperBroker(market, ledger, clock)
