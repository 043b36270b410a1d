"""Market Data nodes: Price, Candles and Account (the sources every workflow starts from)."""

from __future__ import annotations

from typing import Any

from agentic_desktop.domain.errors import UserError
from agentic_desktop.domain.nodespec import NodeSpec, ParamSpec, PortSpec
from agentic_desktop.domain.trading import Series
from agentic_desktop.engine.ports import NodeContext
from agentic_desktop.nodes._common import DEFAULT_TIMEFRAME, account_of, symbol_param
from agentic_desktop.nodes.registry import node

CATEGORY = "Market Data"


def _price_port(name: str, help: str) -> PortSpec:
    return PortSpec(name=name, type="number", help=help)


@node(NodeSpec(
    type_id="market.price", version=1, category=CATEGORY, title="Price",
    description="The current quote of a symbol: bid, ask, mid and last price.",
    params=(
        symbol_param("Instrument to quote, e.g. EURUSD."),
        ParamSpec(name="source", kind="choice", choices=("bid", "ask", "mid", "last"),
                  default="mid",
                  help="Which price the 'price' output carries: bid (what you sell at), "
                       "ask (what you buy at), mid (their average) or last traded."),
    ),
    outputs=(
        _price_port("price", "The price chosen by the 'source' param."),
        _price_port("bid", "Best bid: the price a sell order fills at."),
        _price_port("ask", "Best ask: the price a buy order fills at."),
        _price_port("mid", "Average of bid and ask."),
        _price_port("last", "Last traded price."),
    ),
    summary="{symbol} {source}",
))
async def price(ctx: NodeContext) -> dict[str, Any]:
    quote = await ctx.market.quote(ctx.params["symbol"])
    return {
        "price": float(quote.price(ctx.params["source"])),
        "bid": float(quote.bid), "ask": float(quote.ask),
        "mid": float(quote.mid), "last": float(quote.last),
    }


@node(NodeSpec(
    type_id="market.candles", version=1, category=CATEGORY, title="Candles",
    description="The last closed OHLCV bars of a symbol and timeframe (imported data when "
                "available, else the market's own history).",
    params=(
        symbol_param("Instrument to load bars for, e.g. EURUSD."),
        ParamSpec(name="timeframe", kind="timeframe", default=DEFAULT_TIMEFRAME,
                  help="Bar length: M1, M5, M15, M30, H1, H4, D1 or W1."),
        ParamSpec(name="lookback", kind="int", default=200, minimum=10, maximum=20000,
                  help="How many closed bars to load. Indicators need at least their period "
                       "(MACD 34, RSI 14 needs 15); more bars let EMA-based ones settle."),
    ),
    outputs=(
        PortSpec(name="candles", type="candles",
                 help="The bars (open, high, low, close, volume), oldest first."),
        PortSpec(name="close", type="series", help="Close prices as a series."),
    ),
    summary="{symbol} {timeframe} ×{lookback}",
))
async def candles(ctx: NodeContext) -> dict[str, Any]:
    symbol, timeframe, lookback = (ctx.params["symbol"], ctx.params["timeframe"],
                                   ctx.params["lookback"])
    bars = await ctx.market.candles(symbol, timeframe, int(lookback), end=ctx.clock.now())
    if len(bars) == 0:
        raise UserError(
            f"no {timeframe} candles for {symbol}: import data for it or pick another timeframe"
        )
    return {"candles": bars,
            "close": Series(time=bars.time, values=bars.close, name=f"{symbol} close")}


@node(NodeSpec(
    type_id="market.account", version=1, category=CATEGORY, title="Account",
    description="A snapshot of the trading account: balance, equity, margin and open positions.",
    outputs=(
        PortSpec(name="account", type="account",
                 help="The whole snapshot, for Position Size and the guards."),
        PortSpec(name="balance", type="number", help="Balance: closed-trade money."),
        PortSpec(name="equity", type="number", help="Equity: balance plus open profit/loss."),
        PortSpec(name="margin", type="number", help="Margin in use by open positions."),
        PortSpec(name="open_positions", type="number", help="Number of open positions."),
    ),
))
async def account(ctx: NodeContext) -> dict[str, Any]:
    snap = await account_of(ctx)
    return {"account": snap, "balance": float(snap.balance), "equity": float(snap.equity),
            "margin": float(snap.margin), "open_positions": float(len(snap.positions))}


NODES = (price, candles, account)
