"""Order nodes: Place Order and Close Position. Both act once per run on the last bar, and
both are idempotent: the client order id comes from the run's idempotency key and the node id,
so a re-run of the same job finds its order instead of placing another (DESIGN.md §4)."""

from __future__ import annotations

import math
from typing import Any

from agentic_desktop.domain.errors import UserError
from agentic_desktop.domain.nodespec import NodeSpec, ParamSpec, PortSpec
from agentic_desktop.domain.trading import OrderRequest
from agentic_desktop.engine.ports import NodeContext
from agentic_desktop.nodes._common import number_input, positive, side_param, when_port
from agentic_desktop.nodes.registry import node

CATEGORY = "Orders"


@node(NodeSpec(
    type_id="order.place", version=1, category=CATEGORY, title="Place Order",
    description="Sends a market, limit or stop order to the broker, with optional stop loss and "
                "take profit. Running the same job again returns the order already placed.",
    inputs=(
        when_port("the order"),
        PortSpec(name="volume", type="number", required=False,
                 help="Size in lots, e.g. from Position Size. Unconnected: the volume param."),
        PortSpec(name="stop_loss", type="number", required=False,
                 help="Stop-loss price, e.g. Stop Loss 'stop_price'."),
        PortSpec(name="take_profit", type="number", required=False,
                 help="Take-profit price, e.g. Take Profit 'take_profit'."),
    ),
    outputs=(
        PortSpec(name="order", type="order", help="The order as the broker recorded it."),
        PortSpec(name="fill_price", type="number",
                 help="Price it filled at (NaN while a limit/stop order is pending)."),
        PortSpec(name="status", type="text", help="pending, filled, cancelled or rejected."),
    ),
    params=(
        ParamSpec(name="symbol", kind="symbol", default="EURUSD", help="Instrument to trade."),
        side_param("buy or sell."),
        ParamSpec(name="order_type", kind="choice", choices=("market", "limit", "stop"),
                  default="market",
                  help="market fills now; limit waits for a better price; stop waits for the "
                       "price to break through 'price'."),
        ParamSpec(name="volume", kind="float", default=0.01, minimum=0.0,
                  help="Size in lots when the volume input is not connected."),
        ParamSpec(name="price", kind="float", required=False, minimum=0.0,
                  help="Trigger price of a limit or stop order (unused for market)."),
        ParamSpec(name="comment", kind="str", default="",
                  help="Free text stored with the order."),
    ),
    summary="{side} {symbol} {order_type}",
))
async def place_order(ctx: NodeContext) -> dict[str, Any]:
    p = ctx.params
    volume = number_input(ctx, "volume")
    if volume is None:
        volume = float(p["volume"])
    positive(volume, "order volume", "connect Position Size 'volume' or raise param 'volume'")
    price = None
    if p["order_type"] != "market":
        if p.get("price") is None:
            raise UserError(f"a {p['order_type']} order needs param 'price': set the trigger "
                            "price (or use order_type market)")
        price = positive(float(p["price"]), "param 'price'", "set the trigger price")
    stop, target = number_input(ctx, "stop_loss"), number_input(ctx, "take_profit")
    for name, value in (("stop_loss", stop), ("take_profit", target)):
        if value is not None:
            positive(value, f"input {name!r}", "check the risk node feeding it")
    request = OrderRequest(
        client_order_id=ctx.client_order_id(), symbol=p["symbol"], side=p["side"],
        volume=volume, type=p["order_type"], price=price, stop_loss=stop, take_profit=target,
        comment=str(p.get("comment") or ""),
    )
    order = await ctx.broker.place_order(request)
    if order.status == "rejected":
        raise UserError(f"the broker rejected the {order.side} {order.volume:g} {order.symbol} "
                        f"order: {order.reason or 'no reason given'}")
    return {"order": order,
            "fill_price": float(order.fill_price) if order.fill_price is not None else math.nan,
            "status": order.status}


@node(NodeSpec(
    type_id="order.close", version=1, category=CATEGORY, title="Close Position",
    description="Closes open positions at market: all of them, one symbol's, optionally only "
                "one side. Running the same job again does not close anything twice.",
    inputs=(when_port("closing"),),
    outputs=(
        PortSpec(name="closed", type="number", help="How many positions were closed."),
        PortSpec(name="orders", type="any", help="The closing orders (a list)."),
    ),
    params=(
        ParamSpec(name="symbol", kind="str", default="",
                  help="Only close this symbol's positions; empty closes every symbol."),
        ParamSpec(name="side", kind="choice", choices=("any", "buy", "sell"), default="any",
                  help="Only close buy (long) or sell (short) positions, or any."),
    ),
    summary="close {symbol} {side}",
))
async def close_position(ctx: NodeContext) -> dict[str, Any]:
    symbol = (ctx.params.get("symbol") or "").strip() or None
    if symbol is not None:
        ctx.market.symbol_info(symbol)  # an unknown symbol is a typo, not "nothing to close"
    side = ctx.params.get("side", "any")
    orders = await ctx.broker.close_positions(
        client_order_id=ctx.client_order_id(), symbol=symbol,
        side=None if side == "any" else side,
    )
    return {"closed": float(len(orders)), "orders": list(orders)}


NODES = (place_order, close_position)
