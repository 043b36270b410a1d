"""The paper broker: the default account, simulated against `MarketData` quotes and persisted
through a `PaperLedger` (DESIGN.md §4 idempotent orders).

Pricing model (stated here because every number a trader sees follows from it):

- Market orders fill at once: buys at the ask, sells at the bid, each moved against the trader by
  `slippage_pips * pip_size`.
- Limit orders fill when the quote crosses their price, at the current quote (the price or
  better), without slippage. Stop orders become market orders when crossed: current quote plus
  slippage.
- Positions are hedging-style: every fill opens its own position with its order's SL/TP.
  SL/TP are checked by `on_quotes()`: longs against the bid, shorts against the ask. A take
  profit closes at its price; a stop loss closes at the current quote, which is the SL price or
  worse when the market gapped through it. No extra slippage on SL/TP exits.
- Commission is charged per side (opening and closing fill): `commission_per_lot * volume +
  commission_pct / 100 * notional`, notional = volume * contract_size * price.
- P&L is (exit - entry) * volume * contract_size, negated for shorts, in the symbol's quote
  currency, converted to the account currency at the current mid of the pair joining them
  (USDJPY P&L in a USD account is divided by the USDJPY mid). When the market has no such pair
  (USDT vs USD) the two currencies are taken as equal.
- `commission_per_lot` is in the account currency; the % part is of the converted notional.
- Margin is notional (at the current mark price, converted) divided by a fixed leverage of 100.

Ledger calls run in a worker thread (`asyncio.to_thread`) so a `synchronous=FULL` commit never
stalls the event loop; the ledger's per-call transactions keep that safe.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, time
from typing import Any, TypeVar

from agentic_desktop.domain.errors import NotFoundError, UserError
from agentic_desktop.domain.trading import (
    AccountSnapshot,
    Order,
    OrderRequest,
    Position,
    Quote,
    Side,
    SymbolInfo,
)
from agentic_desktop.engine.ports import Clock, LedgerAccount, MarketData, PaperLedger

T = TypeVar("T")
LEVERAGE = 100.0
_SIDES = ("buy", "sell")
_TYPES = ("market", "limit", "stop")


class PaperBroker:
    """Implements `engine.ports.Broker`."""

    def __init__(self, market: MarketData, ledger: PaperLedger, clock: Clock) -> None:
        self._market = market
        self._ledger = ledger
        self._clock = clock

    # -- orders -----------------------------------------------------------------------

    async def place_order(self, request: OrderRequest) -> Order:
        found = await self._io(self._ledger.find_order, request.client_order_id)
        if found is not None:
            order = replace(found, existing=True)
        else:
            info = self._market.symbol_info(request.symbol)  # UnknownSymbolError names them
            quote = await self._market.quote(request.symbol)
            checked = validate_request(request, info, quote)
            order = await self._io(self._ledger.add_order, checked, status="pending",
                                   created_at=self._clock.now())
        if order.type == "market" and order.status == "pending":
            # Normally a fresh order; also recovers a market order whose fill never happened
            # (the run was cancelled or crashed between insert and fill).
            return await self._fill_market(order)
        return order

    async def _fill_market(self, order: Order) -> Order:
        info = self._market.symbol_info(order.symbol)
        quote = await self._market.quote(order.symbol)
        account = await self._io(self._ledger.account)
        price = _with_slippage(order.side, _entry_quote(order.side, quote), info, account)
        return await self._fill(order, price, info, account)

    async def _fill(self, order: Order, price: float, info: SymbolInfo,
                    account: LedgerAccount) -> Order:
        rate = await self._rate(info, account)
        commission = _commission(account, info, order.volume, price, rate)
        try:
            filled, _fill, _position = await self._io(
                self._ledger.fill_order, order.id, price=price, commission=commission,
                time=self._clock.now())
        except UserError:
            # Another caller filled it first (same client_order_id from two runs at once):
            # the ledger refused the second fill; report the order as it now stands.
            current = await self._io(self._ledger.find_order, order.client_order_id)
            if current is None or current.status == "pending":
                raise
            return replace(current, existing=True)
        return replace(filled, existing=order.existing)

    async def close_positions(
        self, *, client_order_id: str, symbol: str | None = None, side: Side | None = None
    ) -> list[Order]:
        closed: list[Order] = []
        for position in await self._io(self._ledger.positions):
            if symbol is not None and position.symbol != symbol:
                continue
            if side is not None and position.side != side:
                continue
            quote = await self._market.quote(position.symbol)
            account = await self._io(self._ledger.account)
            info = self._market.symbol_info(position.symbol)
            exit_side = _opposite(position.side)
            price = _with_slippage(exit_side, _entry_quote(exit_side, quote), info, account)
            order = await self._close(position, price, f"{client_order_id}:{position.id}",
                                      "close_positions", info, account)
            if order is not None:
                closed.append(order)
        return closed

    async def _close(self, position: Position, price: float, client_order_id: str,
                     reason: str, info: SymbolInfo, account: LedgerAccount) -> Order | None:
        """Close one position with a market order `client_order_id`. None when the position
        was already closed by someone else (or by an earlier run of the same request)."""
        request = OrderRequest(client_order_id=client_order_id, symbol=position.symbol,
                               side=_opposite(position.side), volume=position.volume,
                               comment=f"close position {position.id}")
        order = await self._io(self._ledger.add_order, request, status="pending",
                               created_at=self._clock.now(), reason=reason)
        if order.status != "pending":
            return None  # this closing order already ran
        rate = await self._rate(info, account)
        commission = _commission(account, info, position.volume, price, rate)
        pnl = position_pnl(position, price, info, rate)
        now = self._clock.now()
        try:
            fill = await self._io(self._ledger.close_position, position.id, order=order,
                                  price=price, commission=commission, pnl=pnl, time=now)
        except (NotFoundError, UserError):
            current = await self._io(self._ledger.find_order, client_order_id)
            if current is not None and current.status == "pending":
                await self._io(self._ledger.cancel_order, current.id,
                               reason=f"position {position.id} was already closed")
            return None
        return replace(order, status="filled", fill_price=fill.price, filled_at=fill.time)

    # -- quotes -----------------------------------------------------------------------

    async def on_quotes(self) -> list[Order]:
        """Fill pending orders and close positions whose SL/TP is hit; returns those orders
        (fills first, then closes) so the app can tell the trader."""
        quotes: dict[str, Quote] = {}  # one quote per symbol per pass, so checks agree
        done: list[Order] = []

        async def quote(symbol: str) -> Quote:
            if symbol not in quotes:
                quotes[symbol] = await self._market.quote(symbol)
            return quotes[symbol]

        account = await self._io(self._ledger.account)
        for order in await self._io(self._ledger.pending_orders):
            info = self._market.symbol_info(order.symbol)
            price = pending_fill_price(order, await quote(order.symbol), info, account)
            if price is not None:
                done.append(await self._fill(order, price, info, account))
        for position in await self._io(self._ledger.positions):
            info = self._market.symbol_info(position.symbol)
            hit = exit_trigger(position, await quote(position.symbol))
            if hit is not None:
                reason, price = hit
                closed = await self._close(position, price, f"{reason}:{position.id}", reason,
                                           info, account)
                if closed is not None:
                    done.append(closed)
        return done

    # -- reads ------------------------------------------------------------------------

    async def positions(self) -> list[Position]:
        return await self._marked(await self._io(self._ledger.positions))

    async def recent_orders(self, limit: int = 20) -> list[Order]:
        return await self._io(self._ledger.recent_orders, limit)

    async def account(self) -> AccountSnapshot:
        ledger = await self._io(self._ledger.account)
        marked = await self._mark(await self._io(self._ledger.positions), ledger)
        positions = [p for p, _ in marked]
        margin = sum(notional for _, notional in marked) / LEVERAGE
        equity = ledger.balance + sum(p.unrealized_pnl for p in positions)
        if equity > ledger.peak_equity:
            await self._io(self._ledger.set_peak_equity, equity)
        now = self._clock.now()
        today = now.astimezone(UTC).date()
        midnight = datetime.combine(today, time(0), tzinfo=UTC)  # "today" is the UTC day
        realized = await self._io(self._ledger.realized_pnl_since, midnight)
        return AccountSnapshot(
            balance=ledger.balance, equity=equity, margin=margin, currency=ledger.currency,
            positions=tuple(positions), peak_equity=max(ledger.peak_equity, equity),
            realized_pnl_today=realized, time=now,
        )

    async def _marked(self, positions: list[Position]) -> list[Position]:
        account = await self._io(self._ledger.account)
        return [p for p, _ in await self._mark(positions, account)]

    async def _mark(self, positions: list[Position],
                    account: LedgerAccount) -> list[tuple[Position, float]]:
        """Each position with its unrealized pnl (longs at the bid, shorts at the ask) and
        its notional at that mark price, both in the account currency."""
        quotes: dict[str, Quote] = {}
        marked = []
        for p in positions:
            info = self._market.symbol_info(p.symbol)
            if p.symbol not in quotes:
                quotes[p.symbol] = await self._market.quote(p.symbol)
            mark = _exit_quote(p.side, quotes[p.symbol])
            rate = await self._rate(info, account)
            marked.append((replace(p, unrealized_pnl=position_pnl(p, mark, info, rate)),
                           p.volume * info.contract_size * mark * rate))
        return marked

    async def _rate(self, info: SymbolInfo, account: LedgerAccount) -> float:
        """Multiplier from the symbol's quote currency to the account currency."""
        have, want = info.currency, account.currency
        if have == want:
            return 1.0
        for pair, invert in ((want + have, True), (have + want, False)):
            try:
                self._market.symbol_info(pair)
            except NotFoundError:
                continue
            mid = (await self._market.quote(pair)).mid
            return 1.0 / mid if invert else mid
        return 1.0  # no pair joins them (USDT vs USD): treat as equal, see the module doc

    @staticmethod
    async def _io(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        return await asyncio.to_thread(fn, *args, **kwargs)


# -- pure pricing rules (module-level so tests and the backtester can reuse them) ----------


def validate_request(request: OrderRequest, info: SymbolInfo, quote: Quote) -> OrderRequest:
    """The request with its volume rounded to the lot step, or a UserError naming the field."""
    where = f"order {request.client_order_id!r} ({request.symbol})"
    if request.side not in _SIDES:
        raise UserError(f"{where}: side must be 'buy' or 'sell', got {request.side!r}")
    if request.type not in _TYPES:
        raise UserError(f"{where}: type must be market, limit or stop, got {request.type!r}")
    volume = round_volume(request.volume, info)
    if request.type == "market":
        entry = _exit_quote(request.side, quote)  # where the new position will be marked
    else:
        if request.price is None or not _positive(request.price):
            raise UserError(f"{where}: a {request.type} order needs a positive price; "
                            "set the order's price")
        entry = request.price
    _check_level(where, "stop_loss", request.stop_loss, request.side, entry, below_for_buy=True)
    _check_level(where, "take_profit", request.take_profit, request.side, entry,
                 below_for_buy=False)
    return replace(request, volume=volume)


def round_volume(volume: float, info: SymbolInfo) -> float:
    """Volume rounded to the symbol's lot step; UserError when outside [min_lot, max_lot]."""
    step = info.lot_step
    decimals = max(0, -math.floor(math.log10(step))) + 2 if step > 0 else 8
    rounded = round(round(volume / step) * step, decimals) if _positive(volume) else 0.0
    tolerance = step * 1e-6
    if not (info.min_lot - tolerance <= rounded <= info.max_lot + tolerance):
        raise UserError(
            f"volume {volume} lots for {info.symbol} is outside the allowed range "
            f"{info.min_lot:g} to {info.max_lot:g} lots (step {step:g}): "
            "choose a volume in that range"
        )
    return rounded


def pending_fill_price(order: Order, quote: Quote, info: SymbolInfo,
                       account: LedgerAccount) -> float | None:
    """The fill price of a pending limit/stop order at this quote, or None if not triggered."""
    price = order.price
    if price is None:
        return None
    ask, bid = quote.ask, quote.bid
    if order.type == "limit":
        if order.side == "buy" and ask <= price:
            return ask
        if order.side == "sell" and bid >= price:
            return bid
    elif order.type == "stop":
        if order.side == "buy" and ask >= price:
            return _with_slippage("buy", ask, info, account)
        if order.side == "sell" and bid <= price:
            return _with_slippage("sell", bid, info, account)
    elif order.type == "market":
        return _with_slippage(order.side, _entry_quote(order.side, quote), info, account)
    return None


def exit_trigger(position: Position, quote: Quote) -> tuple[str, float] | None:
    """("stop_loss" | "take_profit", exit price) when this quote hits the position's SL/TP."""
    sl, tp = position.stop_loss, position.take_profit
    if position.side == "buy":
        bid = quote.bid
        if sl is not None and bid <= sl:
            return "stop_loss", bid  # the SL price, or worse if the market gapped through it
        if tp is not None and bid >= tp:
            return "take_profit", tp
    else:
        ask = quote.ask
        if sl is not None and ask >= sl:
            return "stop_loss", ask
        if tp is not None and ask <= tp:
            return "take_profit", tp
    return None


def position_pnl(position: Position, exit_price: float, info: SymbolInfo,
                 rate: float = 1.0) -> float:
    """P&L in the account currency; `rate` converts from the symbol's quote currency."""
    move = exit_price - position.open_price
    if position.side == "sell":
        move = -move
    return move * position.volume * info.contract_size * rate


def _commission(account: LedgerAccount, info: SymbolInfo, volume: float, price: float,
                rate: float = 1.0) -> float:
    notional = volume * info.contract_size * price * rate
    return account.commission_per_lot * volume + account.commission_pct / 100.0 * notional


def _with_slippage(side: Side, price: float, info: SymbolInfo, account: LedgerAccount) -> float:
    slip = account.slippage_pips * info.pip_size
    # Round to a tenth of a point: keeps 1.1002 + 0.0001 from printing as 1.1003000000000001.
    return round(price + slip if side == "buy" else price - slip, info.digits + 1)


def _entry_quote(side: Side, quote: Quote) -> float:
    return quote.ask if side == "buy" else quote.bid


def _exit_quote(side: Side, quote: Quote) -> float:
    return quote.bid if side == "buy" else quote.ask


def _opposite(side: Side) -> Side:
    return "sell" if side == "buy" else "buy"


def _positive(value: float) -> bool:
    return isinstance(value, int | float) and math.isfinite(value) and value > 0


def _check_level(where: str, name: str, level: float | None, side: Side, entry: float, *,
                 below_for_buy: bool) -> None:
    if level is None:
        return
    if not _positive(level):
        raise UserError(f"{where}: {name} {level} must be a positive price")
    below = below_for_buy == (side == "buy")
    if (level >= entry) if below else (level <= entry):
        raise UserError(
            f"{where}: {name} {level} is on the wrong side for a {side}: it must be "
            f"{'below' if below else 'above'} the entry price {entry}"
        )
