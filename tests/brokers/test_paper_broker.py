from __future__ import annotations

import asyncio
import threading

import pytest
from broker_fakes import HandClock, HandMarket

from agentic_desktop.brokers.paper import PaperBroker
from agentic_desktop.domain.errors import UnknownSymbolError, UserError
from agentic_desktop.domain.trading import OrderRequest
from agentic_desktop.store import SqlPaperLedger


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def buy(cid: str = "job-1:order", volume: float = 1.0, **kw) -> OrderRequest:  # type: ignore[no-untyped-def]
    return OrderRequest(client_order_id=cid, symbol="EURUSD", side="buy", volume=volume, **kw)


def sell(cid: str = "job-1:sell", volume: float = 1.0, **kw) -> OrderRequest:  # type: ignore[no-untyped-def]
    return OrderRequest(client_order_id=cid, symbol="EURUSD", side="sell", volume=volume, **kw)


# -- market fills ---------------------------------------------------------------------------


def test_market_orders_fill_at_the_spread(broker: PaperBroker, ledger: SqlPaperLedger) -> None:
    long = run(broker.place_order(buy()))
    short = run(broker.place_order(sell()))
    assert (long.status, long.fill_price) == ("filled", 1.10020)  # buy at the ask
    assert (short.status, short.fill_price) == ("filled", 1.10000)  # sell at the bid
    assert ledger.account().balance == 10000.0  # no commission configured
    account = run(broker.account())
    # Long marked at the bid, short at the ask: each loses the 2-pip spread = $20 per lot.
    assert [p.unrealized_pnl for p in account.positions] == pytest.approx([-20.0, -20.0])
    assert account.equity == pytest.approx(9960.0)
    assert account.margin == pytest.approx((110000.0 + 110020.0) / 100)


def test_slippage_and_commission(broker: PaperBroker, ledger: SqlPaperLedger) -> None:
    ledger.set_costs(commission_per_lot=3.5, commission_pct=0.001, slippage_pips=0.5)
    long = run(broker.place_order(buy(volume=2.0)))
    assert long.fill_price == pytest.approx(1.10025)  # ask + 0.5 pip against the buyer
    short = run(broker.place_order(sell(volume=1.0)))
    assert short.fill_price == pytest.approx(0.99995 + 0.1)  # bid - 0.5 pip
    commission_long = 3.5 * 2 + 0.001 / 100 * 2 * 100_000 * 1.10025
    commission_short = 3.5 * 1 + 0.001 / 100 * 1 * 100_000 * 1.09995
    fills = ledger.fills()
    assert [f.commission for f in fills] == pytest.approx([commission_long, commission_short])
    assert ledger.account().balance == pytest.approx(10000 - commission_long - commission_short)
    assert run(broker.account()).realized_pnl_today == pytest.approx(
        -commission_long - commission_short)


# -- pending orders -------------------------------------------------------------------------


def test_limit_and_stop_orders_wait_for_the_price(broker: PaperBroker, market: HandMarket,
                                                  ledger: SqlPaperLedger) -> None:
    orders = {
        "buy_limit": run(broker.place_order(buy("bl", type="limit", price=1.0990))),
        "sell_limit": run(broker.place_order(sell("sl", type="limit", price=1.1020))),
        "buy_stop": run(broker.place_order(buy("bs", type="stop", price=1.1030))),
        "sell_stop": run(broker.place_order(sell("ss", type="stop", price=1.0980))),
    }
    assert {o.status for o in orders.values()} == {"pending"}
    run(broker.on_quotes())
    assert len(ledger.pending_orders()) == 4

    def status() -> dict[str, str]:
        by_id = {o.client_order_id: o.status for o in ledger.recent_orders(10)}
        return {k: by_id[o.client_order_id] for k, o in orders.items()}

    market.set("EURUSD", 1.09880, 1.09900)  # ask touches the buy limit exactly
    run(broker.on_quotes())
    assert status() == {"buy_limit": "filled", "sell_limit": "pending",
                        "buy_stop": "pending", "sell_stop": "pending"}
    assert ledger.find_order("bl").fill_price == 1.09900  # type: ignore[union-attr]

    market.set("EURUSD", 1.09790, 1.09810)  # bid falls through the sell stop
    run(broker.on_quotes())
    assert status()["sell_stop"] == "filled"
    assert ledger.find_order("ss").fill_price == 1.09790  # type: ignore[union-attr]

    market.set("EURUSD", 1.10250, 1.10310)  # up through both the sell limit and the buy stop
    run(broker.on_quotes())
    assert set(status().values()) == {"filled"}
    assert ledger.find_order("sl").fill_price == 1.10250  # type: ignore[union-attr]
    assert ledger.find_order("bs").fill_price == 1.10310  # type: ignore[union-attr]
    assert len(ledger.positions()) == 4 and len(ledger.fills()) == 4


# -- SL / TP --------------------------------------------------------------------------------


def test_take_profit_and_stop_loss_close_with_the_right_pnl(
        broker: PaperBroker, market: HandMarket, ledger: SqlPaperLedger) -> None:
    run(broker.place_order(buy("long", volume=0.5, stop_loss=1.0950, take_profit=1.1050)))
    run(broker.place_order(sell("short", volume=0.2, stop_loss=1.1040, take_profit=1.0900)))

    market.set("EURUSD", 1.10600, 1.10620)  # long TP hit (gapped above it), short SL hit
    run(broker.on_quotes())
    assert ledger.positions() == []
    closing = {o.reason: o for o in ledger.recent_orders(2)}
    tp, sl = closing["take_profit"], closing["stop_loss"]
    assert (tp.side, tp.fill_price) == ("sell", 1.1050)  # TP closes at its price
    assert (sl.side, sl.fill_price) == ("buy", 1.10620)  # SL closes at the quote (gapped)
    long_pnl = (1.1050 - 1.10020) * 0.5 * 100_000  # +240
    short_pnl = (1.10000 - 1.10620) * 0.2 * 100_000  # -124
    assert ledger.account().balance == pytest.approx(10000 + long_pnl + short_pnl)
    account = run(broker.account())
    assert account.realized_pnl_today == pytest.approx(long_pnl + short_pnl)
    assert account.positions == ()

    run(broker.on_quotes())  # nothing left to close, nothing booked twice
    assert ledger.account().balance == pytest.approx(10000 + long_pnl + short_pnl)


def test_stop_loss_at_its_exact_price_and_peak_equity(
        broker: PaperBroker, market: HandMarket, ledger: SqlPaperLedger) -> None:
    run(broker.place_order(buy(stop_loss=1.0990)))
    market.set("EURUSD", 1.10500, 1.10520)
    peak = run(broker.account())
    assert peak.equity == pytest.approx(10000 + 480.0)
    assert ledger.account().peak_equity == pytest.approx(10480.0)

    market.set("EURUSD", 1.09900, 1.09920)  # bid lands exactly on the stop
    run(broker.on_quotes())
    stop = ledger.recent_orders(1)[0]
    assert (stop.reason, stop.fill_price) == ("stop_loss", 1.0990)
    after = run(broker.account())
    assert after.balance == pytest.approx(10000 + (1.0990 - 1.10020) * 100_000)  # -120
    assert after.peak_equity == pytest.approx(10480.0)  # the peak stays


# -- idempotency ----------------------------------------------------------------------------


def test_duplicate_client_order_id_returns_the_existing_order(
        broker: PaperBroker, market: HandMarket, ledger: SqlPaperLedger) -> None:
    first = run(broker.place_order(buy()))
    market.set("EURUSD", 1.20000, 1.20020)  # a re-run later must not fill again
    again = run(broker.place_order(buy(volume=3.0)))
    assert again.existing and not first.existing
    assert (again.id, again.fill_price, again.volume) == (first.id, 1.10020, 1.0)
    assert len(ledger.recent_orders(10)) == 1 and len(ledger.fills()) == 1


def test_duplicate_client_order_id_from_two_threads(broker: PaperBroker,
                                                    ledger: SqlPaperLedger) -> None:
    barrier = threading.Barrier(6)
    results = []

    def place() -> None:
        barrier.wait()
        results.append(run(broker.place_order(buy())))

    threads = [threading.Thread(target=place) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 6
    assert len({o.id for o in results}) == 1
    assert {o.status for o in results} == {"filled"}
    assert len(ledger.recent_orders(10)) == 1
    assert len(ledger.fills()) == 1 and len(ledger.positions()) == 1


def test_a_market_order_left_pending_by_a_crash_is_filled_once_on_rerun(
        broker: PaperBroker, ledger: SqlPaperLedger, clock: HandClock) -> None:
    ledger.add_order(buy(), status="pending", created_at=clock.now())  # crashed before filling
    order = run(broker.place_order(buy()))
    assert order.existing and order.status == "filled" and order.fill_price == 1.10020
    assert len(ledger.fills()) == 1


def test_close_positions_is_idempotent_and_filters(
        broker: PaperBroker, market: HandMarket, ledger: SqlPaperLedger) -> None:
    run(broker.place_order(buy("a")))
    run(broker.place_order(sell("b")))
    run(broker.place_order(OrderRequest(client_order_id="c", symbol="XAUUSD", side="buy",
                                        volume=0.1)))
    closed = run(broker.close_positions(client_order_id="job-9:close", symbol="EURUSD",
                                        side="buy"))
    assert [(o.side, o.fill_price, o.reason) for o in closed] == [
        ("sell", 1.10000, "close_positions")]
    position_id = closed[0].comment.rsplit(" ", 1)[1]
    assert closed[0].client_order_id == f"job-9:close:{position_id}"
    assert ledger.account().balance == pytest.approx(10000 - 20.0)

    assert run(broker.close_positions(client_order_id="job-9:close", symbol="EURUSD",
                                      side="buy")) == []
    everything = run(broker.close_positions(client_order_id="job-10:close"))
    assert {o.symbol for o in everything} == {"EURUSD", "XAUUSD"}
    assert run(broker.close_positions(client_order_id="job-10:close")) == []
    assert ledger.positions() == []
    assert len(ledger.fills()) == 6  # 3 opens + 3 closes, none twice


# -- validation -----------------------------------------------------------------------------


def test_volume_is_rounded_to_the_lot_step(broker: PaperBroker) -> None:
    assert run(broker.place_order(buy("x", volume=0.123))).volume == 0.12
    assert run(broker.place_order(buy("y", volume=0.016))).volume == 0.02


@pytest.mark.parametrize("volume", [0.004, 0.0, -1.0, 100.01, 1000.0, float("nan")])
def test_volume_outside_the_range_is_rejected(broker: PaperBroker, ledger: SqlPaperLedger,
                                              volume: float) -> None:
    with pytest.raises(UserError, match=r"volume .* EURUSD .* range 0.01 to 100 lots"):
        run(broker.place_order(buy(volume=volume)))
    assert ledger.recent_orders(5) == []  # nothing written


@pytest.mark.parametrize(("request_", "message"), [
    (buy(stop_loss=1.1005), r"stop_loss 1.1005 is on the wrong side for a buy: .*below"),
    (buy(take_profit=1.0995), r"take_profit 1.0995 is on the wrong side for a buy: .*above"),
    (sell(stop_loss=1.0990), r"stop_loss 1.099 is on the wrong side for a sell: .*above"),
    (buy(type="limit", price=1.0900, stop_loss=1.0950), r"stop_loss .* below the entry .*1.09"),
    (buy(type="limit"), r"a limit order needs a positive price"),
    (sell(type="stop", price=-1.0), r"a stop order needs a positive price"),
])
def test_invalid_orders_are_rejected_before_writing(
        broker: PaperBroker, ledger: SqlPaperLedger, request_: OrderRequest,
        message: str) -> None:
    with pytest.raises(UserError, match=message):
        run(broker.place_order(request_))
    assert ledger.recent_orders(5) == []


def test_unknown_symbol(broker: PaperBroker) -> None:
    with pytest.raises(UnknownSymbolError, match="'NOPE'.*EURUSD"):
        run(broker.place_order(OrderRequest(client_order_id="z", symbol="NOPE", side="buy",
                                            volume=1.0)))


def test_realized_pnl_today_starts_at_utc_midnight(
        broker: PaperBroker, market: HandMarket, clock: HandClock) -> None:
    run(broker.place_order(buy()))
    run(broker.close_positions(client_order_id="close"))
    assert run(broker.account()).realized_pnl_today == pytest.approx(-20.0)
    clock.advance(24 * 3600)
    assert run(broker.account()).realized_pnl_today == 0.0


def test_pnl_in_another_quote_currency_is_converted(
        broker: PaperBroker, market: HandMarket, ledger: SqlPaperLedger) -> None:
    run(broker.place_order(OrderRequest(client_order_id="jpy", symbol="USDJPY", side="buy",
                                        volume=1.0)))
    account = run(broker.account())
    # 2 yen-pips of spread on 100k USD = 2000 JPY, at a mid of 150.000 = $13.33.
    assert account.positions[0].unrealized_pnl == pytest.approx(-2000 / 150.0)
    assert account.margin == pytest.approx(100_000 * 149.990 / 150.0 / 100)
    market.set("USDJPY", 151.010, 151.030)
    run(broker.close_positions(client_order_id="close"))
    assert ledger.account().balance == pytest.approx(10000 + 100_000 * 1.0 / 151.020)
