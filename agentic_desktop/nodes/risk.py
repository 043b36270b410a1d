"""Risk Management nodes: Position Size, Stop Loss, Take Profit and the two guards.

The arithmetic lives in `riskmath` (pure, shared with backtests); these nodes read inputs,
quotes and the account, and explain what they decided.
"""

from __future__ import annotations

from typing import Any

from agentic_desktop.domain.errors import NotFoundError, UserError
from agentic_desktop.domain.nodespec import NodeSpec, ParamSpec, PortSpec
from agentic_desktop.domain.trading import AccountSnapshot
from agentic_desktop.engine.ports import NodeContext
from agentic_desktop.nodes import riskmath
from agentic_desktop.nodes._common import (
    account_of,
    candles_input,
    entry_price,
    number_input,
    side_param,
    symbol_param,
    when_port,
)
from agentic_desktop.nodes.registry import node

CATEGORY = "Risk Management"

ACCOUNT_IN = PortSpec(
    name="account", type="account", required=False,
    help="Account snapshot from the Account node. Unconnected: read fresh from the broker.",
)
ENTRY_IN = PortSpec(
    name="entry", type="number", accepts=("series",), required=False,
    help="Entry price. Unconnected: the current quote (ask for a buy, bid for a sell).",
)


# -- Position Size ----------------------------------------------------------------------

@node(NodeSpec(
    type_id="risk.position_size", version=1, category=CATEGORY, title="Position Size",
    description="Fixed-fractional sizing: lots such that hitting the stop loses risk_percent "
                "of equity, rounded down to the symbol's lot step and clamped to its min/max. "
                "Loss per lot = stop distance × contract size, in the symbol's quote currency, "
                "converted to the account currency at the mid of the pair joining them "
                "(USDJPY for a JPY-quoted symbol on a USD account), as the paper broker books "
                "P&L; taken 1:1 when no pair joins them (USDT vs USD).",
    inputs=(
        when_port("sizing"),
        ACCOUNT_IN,
        PortSpec(name="stop_distance", type="number", required=False,
                 help="Price distance from entry to stop, e.g. Stop Loss 'distance'. "
                      "Takes precedence over the stop_distance param."),
    ),
    outputs=(
        PortSpec(name="volume", type="number", help="Order size in lots."),
        PortSpec(name="risk_amount", type="number",
                 help="Money lost at the stop with this volume, in the account currency "
                      "(can exceed risk_percent when clamped up to the minimum lot)."),
    ),
    params=(
        symbol_param("Instrument the order is for (its contract size and lot limits)."),
        ParamSpec(name="risk_percent", kind="float", default=1.0, minimum=0.01, maximum=100.0,
                  help="Percent of equity to lose if the stop is hit (1.0 = 1%)."),
        ParamSpec(name="stop_distance", kind="float", required=False, minimum=0.0,
                  help="Stop distance in price units, used when the stop_distance input is "
                       "not connected (0.0020 on EURUSD = 20 pips)."),
        ParamSpec(name="min_volume", kind="float", required=False, minimum=0.0,
                  help="Optional smallest size in lots (never below the symbol's minimum)."),
        ParamSpec(name="max_volume", kind="float", required=False, minimum=0.0,
                  help="Optional largest size in lots (never above the symbol's maximum)."),
    ),
    summary="{symbol} risk {risk_percent}%",
))
async def position_size(ctx: NodeContext) -> dict[str, Any]:
    symbol = ctx.params["symbol"]
    info = ctx.market.symbol_info(symbol)
    stop = number_input(ctx, "stop_distance")
    if stop is None:
        stop = ctx.params.get("stop_distance")
    if stop is None or stop <= 0:
        raise UserError(
            "Position Size needs a stop distance: connect Stop Loss 'distance' to input "
            "'stop_distance' or set param 'stop_distance' (> 0)"
        )
    acct = await account_of(ctx)
    min_lot = max(info.min_lot, float(ctx.params.get("min_volume") or 0.0))
    max_lot = min(info.max_lot, float(ctx.params.get("max_volume") or info.max_lot))
    if min_lot > max_lot:
        raise UserError(f"param 'min_volume' {min_lot:g} is above max_volume {max_lot:g}: "
                        "lower min_volume or raise max_volume")
    rate = await quote_to_account_rate(ctx, info.currency, acct.currency)
    volume = riskmath.fixed_fractional_volume(
        equity=acct.equity, risk_percent=float(ctx.params["risk_percent"]),
        stop_dist=float(stop), contract_size=info.contract_size, lot_step=info.lot_step,
        min_lot=min_lot, max_lot=max_lot, quote_to_account=rate,
    )
    return {"volume": volume, "risk_amount": volume * float(stop) * info.contract_size * rate}


async def quote_to_account_rate(ctx: NodeContext, quote_ccy: str, account_ccy: str) -> float:
    """Multiplier from the symbol's quote currency to the account currency: the mid of the
    pair joining them, 1.0 when they are equal or no pair joins them."""
    if not quote_ccy or not account_ccy or quote_ccy == account_ccy:
        return 1.0
    for pair, invert in ((account_ccy + quote_ccy, True), (quote_ccy + account_ccy, False)):
        try:
            ctx.market.symbol_info(pair)
        except NotFoundError:
            continue
        mid = float((await ctx.market.quote(pair)).mid)
        return 1.0 / mid if invert else mid
    return 1.0


# -- Stop Loss / Take Profit ------------------------------------------------------------

_SIDE_HELP = "Side of the trade being protected: buy (stop below entry) or sell (above)."


@node(NodeSpec(
    type_id="risk.stop_loss", version=1, category=CATEGORY, title="Stop Loss",
    description="A stop price at a fixed price distance, a percent of entry, or a multiple of "
                "the ATR (Wilder) from entry.",
    inputs=(
        when_port("the stop"),
        PortSpec(name="candles", type="candles", required=False,
                 help="Bars for the ATR; required in 'atr' mode."),
        ENTRY_IN,
    ),
    outputs=(
        PortSpec(name="stop_price", type="number", help="Where the stop sits."),
        PortSpec(name="distance", type="number",
                 help="Price distance from entry to stop: feed Position Size and Take Profit."),
    ),
    params=(
        symbol_param("Instrument of the trade (for its quote and price digits)."),
        side_param(_SIDE_HELP),
        ParamSpec(name="mode", kind="choice", choices=("percent", "price", "atr"),
                  default="percent",
                  help="percent: 'distance' percent of entry. price: 'distance' in price units. "
                       "atr: atr_multiple × ATR(atr_period) of the connected candles."),
        ParamSpec(name="distance", kind="float", default=1.0, minimum=0.0,
                  help="Percent of entry (percent mode) or a price difference (price mode: "
                       "0.0020 on EURUSD = 20 pips). Unused in atr mode."),
        ParamSpec(name="atr_period", kind="int", default=14, minimum=1, maximum=1000,
                  help="Bars of the ATR (atr mode)."),
        ParamSpec(name="atr_multiple", kind="float", default=2.0, minimum=0.01, maximum=100.0,
                  help="How many ATRs from entry the stop sits (atr mode)."),
    ),
    summary="{side} stop {mode} {distance}",
))
async def stop_loss(ctx: NodeContext) -> dict[str, Any]:
    p = ctx.params
    symbol, side, mode = p["symbol"], p["side"], p["mode"]
    info = ctx.market.symbol_info(symbol)
    atr_value = None
    if mode == "atr":
        bars = candles_input(ctx)
        if bars is None:
            raise UserError("Stop Loss mode 'atr' needs candles: connect a Candles node to "
                            "input 'candles' (or use mode percent/price)")
        atr_value = riskmath.last_atr(bars.high, bars.low, bars.close, int(p["atr_period"]))
    entry = await entry_price(ctx, symbol, side)
    dist = riskmath.stop_distance(mode, entry=entry, distance=float(p["distance"]),
                                  atr_value=atr_value, atr_multiple=float(p["atr_multiple"]))
    price = round(riskmath.stop_price(side, entry, dist), info.digits)
    return {"stop_price": price, "distance": dist}


@node(NodeSpec(
    type_id="risk.take_profit", version=1, category=CATEGORY, title="Take Profit",
    description="A take-profit price at a fixed price distance, a percent of entry, or an "
                "R-multiple of the stop distance.",
    inputs=(
        when_port("the target"),
        PortSpec(name="stop_distance", type="number", required=False,
                 help="Stop Loss 'distance'; required in r_multiple mode."),
        ENTRY_IN,
    ),
    outputs=(
        PortSpec(name="take_profit", type="number", help="Where the take-profit sits."),
        PortSpec(name="distance", type="number", help="Price distance from entry to target."),
    ),
    params=(
        symbol_param("Instrument of the trade (for its quote and price digits)."),
        side_param("Side of the trade: buy (target above entry) or sell (below)."),
        ParamSpec(name="mode", kind="choice", choices=("percent", "price", "r_multiple"),
                  default="percent",
                  help="percent: 'distance' percent of entry. price: 'distance' in price units. "
                       "r_multiple: r_multiple × the connected stop distance."),
        ParamSpec(name="distance", kind="float", default=2.0, minimum=0.0,
                  help="Percent of entry (percent mode) or a price difference (price mode). "
                       "Unused in r_multiple mode."),
        ParamSpec(name="r_multiple", kind="float", default=2.0, minimum=0.01, maximum=100.0,
                  help="Target distance as a multiple of the stop distance (2 = 2R)."),
    ),
    summary="{side} target {mode}",
))
async def take_profit(ctx: NodeContext) -> dict[str, Any]:
    p = ctx.params
    symbol, side = p["symbol"], p["side"]
    info = ctx.market.symbol_info(symbol)
    stop_dist = number_input(ctx, "stop_distance")
    entry = await entry_price(ctx, symbol, side)
    dist = riskmath.target_distance(p["mode"], entry=entry, distance=float(p["distance"]),
                                    stop_dist=stop_dist, r_multiple=float(p["r_multiple"]))
    price = round(riskmath.target_price(side, entry, dist), info.digits)
    return {"take_profit": price, "distance": dist}


# -- guards -----------------------------------------------------------------------------

def _guard_outputs(what: str) -> tuple[PortSpec, ...]:
    return (
        PortSpec(name="ok", type="signal",
                 help=f"True while {what}. Connect to the 'when' of the next node to block "
                      "everything downstream."),
        PortSpec(name="reason", type="text",
                 help="Why trading is blocked (or 'within limits')."),
    )


def drawdown_percent(acct: AccountSnapshot) -> float:
    """Equity drawdown from its peak, in percent (0 at a new peak)."""
    peak = max(acct.peak_equity, acct.equity)
    if peak <= 0:
        return 0.0
    return max(0.0, (peak - acct.equity) / peak * 100.0)


@node(NodeSpec(
    type_id="risk.max_drawdown", version=1, category=CATEGORY, title="Max Drawdown Guard",
    description="Blocks everything downstream while equity has fallen more than "
                "max_drawdown_percent from its peak.",
    inputs=(ACCOUNT_IN,),
    outputs=(
        _guard_outputs("drawdown is within the limit")[0],
        PortSpec(name="drawdown_percent", type="number",
                 help="(peak equity − equity) / peak equity, in percent."),
        _guard_outputs("")[1],
    ),
    params=(ParamSpec(name="max_drawdown_percent", kind="float", default=10.0, minimum=0.01,
                      maximum=100.0,
                      help="Largest allowed fall of equity from its peak, in percent. Trading "
                           "is blocked while the drawdown is above it."),),
    summary="max DD {max_drawdown_percent}%",
))
async def max_drawdown(ctx: NodeContext) -> dict[str, Any]:
    acct = await account_of(ctx)
    limit = float(ctx.params["max_drawdown_percent"])
    dd = drawdown_percent(acct)
    ok = dd <= limit
    reason = ("within limits" if ok else
              f"drawdown {dd:.2f}% exceeds the {limit:g}% limit (equity {acct.equity:.2f}, "
              f"peak {max(acct.peak_equity, acct.equity):.2f})")
    return {"ok": ok, "drawdown_percent": dd, "reason": reason}


def exposure_problems(acct: AccountSnapshot, *, symbol: str, max_open_positions: int,
                      max_volume_per_symbol: float, daily_loss_limit: float,
                      new_volume: float = 0.0) -> list[str]:
    """Every exposure limit a new order would break (empty: trading is allowed).

    A limit counts as reached when one more order would go past it: with max 5 positions
    and 5 open, the guard blocks. `new_volume` is the size about to be ordered (0: unknown).
    """
    problems: list[str] = []
    scope = [p for p in acct.positions if not symbol or p.symbol == symbol]
    where = f" on {symbol}" if symbol else ""
    if len(scope) + 1 > max_open_positions:
        problems.append(f"{len(scope)} open positions{where}: at the limit of "
                        f"{max_open_positions}")
    volumes: dict[str, float] = {}
    for p in scope:
        volumes[p.symbol] = volumes.get(p.symbol, 0.0) + p.volume
    if symbol:
        volumes.setdefault(symbol, 0.0)
    for sym, vol in sorted(volumes.items()):
        after = vol + new_volume
        # Unknown order size: any further order would go past a symbol already at its limit.
        breach = (after > max_volume_per_symbol + 1e-9 if new_volume > 0
                  else vol >= max_volume_per_symbol - 1e-9)
        if breach:
            added = f" + {new_volume:g} new" if new_volume > 0 else ""
            problems.append(f"{sym} has {vol:g} lots open{added}: the limit is "
                            f"{max_volume_per_symbol:g} lots per symbol")
    if daily_loss_limit > 0:
        unrealized = sum(p.unrealized_pnl for p in acct.positions)
        loss = -(acct.realized_pnl_today + unrealized)
        if loss >= daily_loss_limit:
            problems.append(f"today's loss {loss:.2f} {acct.currency} reaches the daily limit "
                            f"of {daily_loss_limit:g}")
    return problems


@node(NodeSpec(
    type_id="risk.exposure_limit", version=1, category=CATEGORY, title="Exposure Limit",
    description="Blocks everything downstream when one more order would exceed the maximum "
                "number of open positions, the maximum lots per symbol, or when today's loss "
                "(realized + open) has reached the daily loss limit.",
    inputs=(
        ACCOUNT_IN,
        PortSpec(name="volume", type="number", required=False,
                 help="Optional size of the order about to be placed, e.g. Position Size "
                      "'volume': then open lots + this volume must stay within the limit."),
    ),
    outputs=_guard_outputs("every exposure limit holds"),
    params=(
        ParamSpec(name="max_open_positions", kind="int", default=5, minimum=0, maximum=10000,
                  help="Most positions open at once (counted on 'symbol' when it is set)."),
        ParamSpec(name="max_volume_per_symbol", kind="float", default=1.0, minimum=0.0,
                  help="Most lots open on any one symbol."),
        ParamSpec(name="symbol", kind="str", default="",
                  help="Only check this symbol; leave empty to check every symbol."),
        ParamSpec(name="daily_loss_limit", kind="float", default=500.0, minimum=0.0,
                  help="Block once today's realized plus open loss reaches this amount in the "
                       "account currency. 0 turns the check off."),
    ),
    summary="≤{max_open_positions} pos, ≤{max_volume_per_symbol} lots",
))
async def exposure_limit(ctx: NodeContext) -> dict[str, Any]:
    acct = await account_of(ctx)
    p = ctx.params
    symbol = (p.get("symbol") or "").strip()
    problems = exposure_problems(
        acct, symbol=symbol, max_open_positions=int(p["max_open_positions"]),
        max_volume_per_symbol=float(p["max_volume_per_symbol"]),
        daily_loss_limit=float(p["daily_loss_limit"]),
        new_volume=number_input(ctx, "volume") or 0.0,
    )
    return {"ok": not problems, "reason": "; ".join(problems) or "within limits"}


NODES = (position_size, stop_loss, take_profit, max_drawdown, exposure_limit)
