"""Trigger nodes: the six ways a workflow starts (DESIGN.md §5). A trigger node has no inputs;
it outputs the run's payload (what the scheduler, a market trigger or a webhook put in it: the
fire time, the price that fired, the indicator values, the webhook body) plus the most useful
parts of it as typed outputs.

The params mirror the schedule's trigger_config, so the editor can show and edit what a
schedule of this kind watches; the schedule itself (trigger_type + trigger_config) is what the
scheduler runs. Run by hand ("run now", no payload), a trigger node never fails: it makes a
manual payload from the clock (and, for price and indicator triggers, the market now).
"""

from __future__ import annotations

import json
import logging
import math
from datetime import UTC, datetime
from typing import Any

from agentic_desktop.domain.errors import AgenticError
from agentic_desktop.domain.nodespec import NodeSpec, ParamSpec, PortSpec
from agentic_desktop.domain.trading import PriceSource
from agentic_desktop.engine.ports import NodeContext
from agentic_desktop.engine.triggers.indicator import INDICATORS, compute
from agentic_desktop.engine.triggers.indicator import parse_indicator_trigger as parse_indicator
from agentic_desktop.nodes._common import DEFAULT_TIMEFRAME, symbol_param
from agentic_desktop.nodes.registry import node

CATEGORY = "Triggers"
log = logging.getLogger(__name__)

PAYLOAD_OUT = PortSpec(
    name="payload", type="payload",
    help="Everything the trigger passed to this run (fire time, price, indicator values or "
         "webhook body), for templates and downstream nodes.",
)
FIRE_TIME_OUT = PortSpec(
    name="fire_time", type="text",
    help="When the run was due, ISO 8601 UTC (the nominal fire time, not when it started).",
)
_SOURCES: tuple[PriceSource, ...] = ("bid", "ask", "mid", "last")


def _iso_now(ctx: NodeContext) -> str:
    return ctx.clock.now().isoformat().replace("+00:00", "Z")


def _manual(ctx: NodeContext, **extra: Any) -> dict[str, Any]:
    return {"trigger": "manual", "fire_time": _iso_now(ctx), **extra}


def _float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan
    return float(value)


def _timed(ctx: NodeContext) -> dict[str, Any]:
    payload = dict(ctx.payload) if ctx.payload else _manual(ctx)
    fire_time = payload.get("fire_time")
    if not isinstance(fire_time, str):
        fire_time = _iso_now(ctx)
    return {"payload": payload, "fire_time": fire_time}


@node(NodeSpec(
    type_id="trigger.schedule", version=1, category=CATEGORY, title="Schedule Trigger",
    description="Starts the workflow on a cron schedule in a time zone, e.g. every weekday at "
                "09:00 London time. Daylight-saving changes follow cron's rules: a skipped "
                "time runs once at the end of the gap, a repeated time runs once.",
    params=(
        ParamSpec(name="cron_expression", kind="str", default="0 9 * * 1-5",
                  help="5 fields: minute hour day-of-month month day-of-week (or 6 with "
                       "seconds first), or @hourly, @daily, @weekly, @monthly."),
        ParamSpec(name="timezone", kind="str", default="UTC",
                  help="IANA time zone the cron times are read in, e.g. Europe/London."),
    ),
    outputs=(PAYLOAD_OUT, FIRE_TIME_OUT),
    summary="{cron_expression} ({timezone})", is_trigger=True,
))
async def schedule_trigger(ctx: NodeContext) -> dict[str, Any]:
    return _timed(ctx)


@node(NodeSpec(
    type_id="trigger.time", version=1, category=CATEGORY, title="Time Trigger",
    description="Starts the workflow every N minutes, counted in UTC from when the schedule "
                "was created (clock changes and daylight saving do not shift it).",
    params=(
        ParamSpec(name="interval_minutes", kind="int", default=15, minimum=1,
                  maximum=366 * 24 * 60, help="Minutes between runs."),
    ),
    outputs=(PAYLOAD_OUT, FIRE_TIME_OUT),
    summary="every {interval_minutes} min", is_trigger=True,
))
async def time_trigger(ctx: NodeContext) -> dict[str, Any]:
    return _timed(ctx)


@node(NodeSpec(
    type_id="trigger.price", version=1, category=CATEGORY, title="Price Trigger",
    description="Starts the workflow when a price condition becomes true, e.g. 'price > "
                "1.10'. It fires once per crossing and re-arms when the condition is false "
                "again; stale quotes are never acted on.",
    params=(
        symbol_param("Instrument to watch, e.g. EURUSD."),
        ParamSpec(name="condition", kind="str", default="price > 1.10",
                  help="A comparison of price (or bid, ask, mid, last) with a number, using "
                       "> >= < <= crosses_above crosses_below; join several with and/or."),
        ParamSpec(name="check_interval", kind="int", default=5, minimum=1, maximum=86400,
                  help="Seconds between checks of the quote."),
        ParamSpec(name="source", kind="choice", choices=_SOURCES, default="mid",
                  help="Which side of the quote 'price' means: bid, ask, mid or last."),
    ),
    outputs=(
        PAYLOAD_OUT,
        PortSpec(name="price", type="number",
                 help="The price that fired the trigger (the current price when run by hand)."),
        PortSpec(name="symbol", type="text", help="The instrument that fired."),
    ),
    summary="{symbol}: {condition}", is_trigger=True,
))
async def price_trigger(ctx: NodeContext) -> dict[str, Any]:
    payload = dict(ctx.payload)
    symbol = str(payload.get("symbol") or ctx.params.get("symbol") or "")
    if "price" not in payload:
        source: PriceSource = next(
            (s for s in _SOURCES if s == ctx.params.get("source")), "mid")
        extra: dict[str, Any] = {"symbol": symbol, "source": source,
                                 "condition": ctx.params.get("condition", "")}
        try:
            quote = await ctx.market.quote(symbol)
            extra.update(price=float(quote.price(source)), bid=float(quote.bid),
                         ask=float(quote.ask), last=float(quote.last),
                         time=quote.time.isoformat().replace("+00:00", "Z"))
        except AgenticError as exc:  # by hand with no market: still a payload, never a failure
            log.info("price trigger run by hand without a quote for %s: %s", symbol, exc)
        payload = {**_manual(ctx), **extra, **payload}
    return {"payload": payload, "price": _float(payload.get("price")), "symbol": symbol}


def _indicator_config(ctx: NodeContext) -> dict[str, Any]:
    indicator = str(ctx.params.get("indicator", "rsi"))
    period = ctx.params.get("period")
    defaults = INDICATORS[indicator][1] if indicator in INDICATORS else {}
    params = {"period": period} if "period" in defaults and period is not None else {}
    return {"symbol": ctx.params.get("symbol"), "timeframe": ctx.params.get("timeframe"),
            "indicator": indicator, "params": params, "condition": ctx.params.get("condition")}


async def _indicator_now(ctx: NodeContext) -> dict[str, Any]:
    """Values on the last closed bar, for a run by hand."""
    try:
        cond = parse_indicator(_indicator_config(ctx))
        bars = await ctx.market.candles(cond.symbol, cond.timeframe, cond.lookback,
                                        end=ctx.clock.now())
        if len(bars) == 0:
            return {}
        series = compute(cond, bars.close)
        values = {name: float(arr[-1]) for name, arr in series.items()}
        values["close"] = values["price"] = float(bars.close[-1])
        bar_time = int(bars.time[-1])
    except AgenticError as exc:
        log.info("indicator trigger run by hand without values: %s", exc)
        return {}
    return {"values": {k: (None if math.isnan(v) else v) for k, v in values.items()},
            "price": values["close"],
            "bar_time": datetime.fromtimestamp(bar_time, UTC).isoformat().replace("+00:00", "Z")}


@node(NodeSpec(
    type_id="trigger.indicator", version=1, category=CATEGORY, title="Indicator Trigger",
    description="Starts the workflow when an indicator condition becomes true on a closed "
                "bar, e.g. 'rsi < 30'. Checked once per new bar; fires once per crossing.",
    params=(
        symbol_param("Instrument to watch, e.g. EURUSD."),
        ParamSpec(name="timeframe", kind="timeframe", default=DEFAULT_TIMEFRAME,
                  help="Bar length the indicator is computed on."),
        ParamSpec(name="indicator", kind="choice", choices=tuple(INDICATORS), default="rsi",
                  help="rsi, sma, ema, macd (12/26/9) or bbands (20, 2σ)."),
        ParamSpec(name="period", kind="int", default=14, minimum=2, maximum=1000,
                  help="Bars the indicator averages over (rsi, sma, ema, bbands)."),
        ParamSpec(name="condition", kind="str", default="rsi < 30",
                  help="Names: rsi | sma | ema | macd, signal, hist | upper, middle, lower, "
                       "and close / price; e.g. 'rsi < 30' or 'macd crosses_above signal'."),
        ParamSpec(name="check_interval", kind="int", default=5, minimum=1, maximum=86400,
                  help="Seconds between checks for a newly closed bar."),
    ),
    outputs=(
        PAYLOAD_OUT,
        PortSpec(name="value", type="number",
                 help="The indicator's main value on the bar that fired (rsi, sma, ema, macd "
                      "or the middle band)."),
        PortSpec(name="price", type="number", help="Close of the bar that fired."),
        PortSpec(name="bar_time", type="text", help="Open time of that bar, ISO 8601 UTC."),
    ),
    summary="{symbol} {timeframe}: {condition}", is_trigger=True,
))
async def indicator_trigger(ctx: NodeContext) -> dict[str, Any]:
    payload = dict(ctx.payload)
    if "values" not in payload:
        payload = {**_manual(ctx), "symbol": ctx.params.get("symbol"),
                   "timeframe": ctx.params.get("timeframe"),
                   "indicator": ctx.params.get("indicator"),
                   "condition": ctx.params.get("condition"), **await _indicator_now(ctx),
                   **payload}
    raw_values = payload.get("values")
    values: dict[str, Any] = raw_values if isinstance(raw_values, dict) else {}
    indicator = str(payload.get("indicator") or ctx.params.get("indicator") or "rsi")
    main = {"macd": "macd", "bbands": "middle"}.get(indicator, indicator)
    bar_time = payload.get("bar_time")
    return {"payload": payload, "value": _float(values.get(main)),
            "price": _float(payload.get("price")),
            "bar_time": bar_time if isinstance(bar_time, str) else ""}


@node(NodeSpec(
    type_id="trigger.webhook", version=1, category=CATEGORY, title="Webhook Trigger",
    description="Starts the workflow when its URL receives a POST (e.g. a TradingView alert). "
                "The request body becomes the run's payload; the secret is checked first.",
    outputs=(
        PAYLOAD_OUT,
        PortSpec(name="body", type="payload",
                 help="The JSON body as sent (without its secret); plain text arrives as "
                      "{\"text\": ...}."),
        PortSpec(name="text", type="text",
                 help="The body as text: plain-text alerts as they came, JSON as JSON."),
    ),
    is_trigger=True,
))
async def webhook_trigger(ctx: NodeContext) -> dict[str, Any]:
    body = dict(ctx.payload)
    if set(body) == {"text"} and isinstance(body["text"], str):
        text = body["text"]
    elif set(body) == {"body"}:
        raw = body["body"]
        text = raw if isinstance(raw, str) else json.dumps(raw, default=str)
    else:
        text = json.dumps(body, default=str, ensure_ascii=False) if body else ""
    payload = body if body else _manual(ctx)
    return {"payload": payload, "body": body, "text": text}


@node(NodeSpec(
    type_id="trigger.manual", version=1, category=CATEGORY, title="Manual Trigger",
    description="Starts the workflow only when you ask: Run now in the editor, the tray, the "
                "CLI or POST /api/agentic/scheduler/jobs/{id}/run.",
    outputs=(PAYLOAD_OUT,
             PortSpec(name="fire_time", type="text",
                      help="When the run was asked for, ISO 8601 UTC.")),
    is_trigger=True,
))
async def manual_trigger(ctx: NodeContext) -> dict[str, Any]:
    return _timed(ctx)


NODES = (schedule_trigger, price_trigger, indicator_trigger, time_trigger, webhook_trigger,
         manual_trigger)
