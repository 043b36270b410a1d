from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agentic_desktop.domain.errors import NotFoundError, UserError
from agentic_desktop.domain.trading import OrderRequest
from agentic_desktop.store import SqlPaperLedger, open_database

T0 = datetime(2025, 6, 2, 9, 30, tzinfo=UTC)


def _req(cid: str = "job-1:buy", side: str = "buy") -> OrderRequest:
    return OrderRequest(client_order_id=cid, symbol="EURUSD", side=side,  # type: ignore[arg-type]
                        volume=0.1, stop_loss=1.0, take_profit=1.2)


@pytest.fixture
def ledger(data_dir: Path) -> SqlPaperLedger:
    return SqlPaperLedger(open_database(data_dir))


def test_account_is_seeded(ledger: SqlPaperLedger) -> None:
    a = ledger.account()
    assert (a.balance, a.currency, a.starting_balance, a.peak_equity) == (
        10000.0, "USD", 10000.0, 10000.0)


def test_open_then_close_books_commission_and_pnl(ledger: SqlPaperLedger) -> None:
    order = ledger.add_order(_req(), status="pending", created_at=T0)
    assert order.status == "pending" and not order.existing
    filled, fill, position = ledger.fill_order(order.id, price=1.1, commission=2.0, time=T0)
    assert filled.status == "filled" and filled.fill_price == 1.1 and filled.filled_at == T0
    assert (fill.price, fill.commission) == (1.1, 2.0)
    assert (position.side, position.stop_loss, position.take_profit) == ("buy", 1.0, 1.2)
    assert ledger.account().balance == 9998.0
    with pytest.raises(UserError, match="not pending"):
        ledger.fill_order(order.id, price=1.1, commission=2.0, time=T0)

    closing = ledger.add_order(_req("close:1", "sell"), status="pending", created_at=T0)
    later = T0 + timedelta(hours=1)
    ledger.close_position(position.id, order=closing, price=1.11, commission=2.0, pnl=100.0,
                          time=later)
    assert ledger.positions() == []
    assert ledger.account().balance == pytest.approx(10096.0)
    assert ledger.realized_pnl_since(T0) == pytest.approx(96.0)
    assert ledger.realized_pnl_since(later + timedelta(seconds=1)) == 0.0
    with pytest.raises(NotFoundError, match="not open"):
        ledger.close_position(position.id, order=closing, price=1.11, commission=2.0,
                              pnl=100.0, time=later)
    assert ledger.account().balance == pytest.approx(10096.0)
    assert [o.client_order_id for o in ledger.recent_orders(5)] == ["close:1", "job-1:buy"]


def test_duplicate_client_order_id_returns_the_existing_order(ledger: SqlPaperLedger) -> None:
    first = ledger.add_order(_req(), status="pending", created_at=T0)
    again = ledger.add_order(_req(), status="pending", created_at=T0)
    assert again.existing and again.id == first.id
    assert len(ledger.recent_orders(10)) == 1


def test_concurrent_add_order_makes_one_row(ledger: SqlPaperLedger) -> None:
    barrier = threading.Barrier(8)
    results = []

    def place() -> None:
        barrier.wait()
        results.append(ledger.add_order(_req(), status="pending", created_at=T0))

    threads = [threading.Thread(target=place) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({o.id for o in results}) == 1
    assert sum(not o.existing for o in results) == 1
    assert len(ledger.recent_orders(10)) == 1


def test_cancel_reset_peak_and_costs(ledger: SqlPaperLedger) -> None:
    order = ledger.add_order(_req(), status="pending", created_at=T0)
    assert ledger.cancel_order(order.id, reason="expired").status == "cancelled"
    assert ledger.pending_orders() == []
    ledger.set_peak_equity(12000.0)
    ledger.set_peak_equity(11000.0)
    assert ledger.account().peak_equity == 12000.0
    ledger.set_costs(commission_per_lot=7.0, slippage_pips=0.5)
    a = ledger.account()
    assert (a.commission_per_lot, a.commission_pct, a.slippage_pips) == (7.0, 0.0, 0.5)
    ledger.reset(balance=5000.0, currency="EUR")
    a = ledger.account()
    assert (a.balance, a.peak_equity, a.currency) == (5000.0, 5000.0, "EUR")
    assert ledger.recent_orders(10) == []
