"""Polling of the market triggers (price, indicator), grouped by check interval.

Each group is one asyncio task that wakes every `check_interval` seconds, fetches ONE quote per
symbol for all its price triggers (and candles only for indicator triggers whose next bar can
have closed), evaluates, and hands fires to the scheduler. Before each tick the shared
`ClockWatch` is consulted: after a sleep or a clock jump every trigger's state is reset, and
quotes stamped before the jump are never used.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from agentic_desktop.domain.errors import AgenticError
from agentic_desktop.domain.jobs import QueuedJob, ScheduledJob
from agentic_desktop.domain.schedule import ScheduleError
from agentic_desktop.domain.trading import Quote
from agentic_desktop.engine.ports import Clock, MarketData
from agentic_desktop.engine.triggers.clockwatch import ClockWatch
from agentic_desktop.engine.triggers.indicator import IndicatorState, parse_indicator_trigger
from agentic_desktop.engine.triggers.price import (
    PriceBook,
    parse_price_trigger,
    stale_after_seconds,
)

log = logging.getLogger(__name__)

# fire(schedule, payload, idempotency-key suffix, nominal fire time or None)
FireFn = Callable[[ScheduledJob, dict[str, object], str, datetime | None], QueuedJob | None]


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


class _Group:
    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.prices = PriceBook()
        self.indicators: dict[int, IndicatorState] = {}
        self.task: asyncio.Task[None] | None = None

    def __len__(self) -> int:
        return len(self.prices) + len(self.indicators)

    def reset(self) -> None:
        self.prices.reset()
        for state in self.indicators.values():
            state.reset()


class MarketTriggers:
    def __init__(self, *, market: MarketData, clock: Clock, watch: ClockWatch,
                 fire: FireFn) -> None:
        self._market = market
        self._clock = clock
        self._watch = watch
        self._fire = fire
        self._groups: dict[float, _Group] = {}
        self._where: dict[int, float] = {}  # schedule id -> its group's interval
        self._epoch = watch.epoch
        self._running = False
        self.stale_skipped = 0  # quotes not acted on because stale or from before a jump
        self._stale: set[str] = set()  # symbols whose last quote was unusable (log once)

    def __len__(self) -> int:
        return len(self._where)

    # -- membership -----------------------------------------------------------------------

    def add(self, job: ScheduledJob) -> bool:
        """Start watching a price or indicator schedule. An invalid config is logged and
        left out (the API validates before saving). Returns whether it was added."""
        self.remove(job.id)
        try:
            if job.trigger_type == "price":
                price = parse_price_trigger(job.trigger_config)
                group = self._group(price.check_interval)
                group.prices.add(job, price)
            else:
                indicator = parse_indicator_trigger(job.trigger_config)
                group = self._group(indicator.check_interval)
                group.indicators[job.id] = IndicatorState(job=job, cond=indicator)
        except ScheduleError as exc:
            log.error("schedule %d is not watched: %s", job.id, exc)
            return False
        self._where[job.id] = group.interval
        if self._running and group.task is None:
            group.task = asyncio.get_running_loop().create_task(
                self._poll(group), name=f"market-triggers-{group.interval:g}s")
        return True

    def remove(self, schedule_id: int) -> None:
        interval = self._where.pop(schedule_id, None)
        if interval is None:
            return
        group = self._groups[interval]
        group.prices.remove(schedule_id)
        group.indicators.pop(schedule_id, None)
        if not len(group):
            if group.task is not None:
                group.task.cancel()
            del self._groups[interval]

    def clear(self) -> None:
        for schedule_id in list(self._where):
            self.remove(schedule_id)

    def reset(self) -> None:
        """Forget all edge state (after a sleep or clock jump)."""
        self._epoch = self._watch.epoch
        for group in self._groups.values():
            group.reset()

    def _group(self, interval: float) -> _Group:
        group = self._groups.get(interval)
        if group is None:
            group = self._groups[interval] = _Group(interval)
        return group

    # -- running --------------------------------------------------------------------------

    def start(self) -> None:
        self._running = True
        loop = asyncio.get_running_loop()
        for group in self._groups.values():
            if group.task is None:
                group.task = loop.create_task(self._poll(group),
                                              name=f"market-triggers-{group.interval:g}s")

    async def stop(self) -> None:
        self._running = False
        tasks = [g.task for g in self._groups.values() if g.task is not None]
        for group in self._groups.values():
            group.task = None
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _poll(self, group: _Group) -> None:
        while True:
            await asyncio.sleep(group.interval)
            try:
                await self.tick(group.interval)
            except Exception:  # a market outage must not kill the poller
                log.exception("market triggers (every %g s) failed; retrying", group.interval)

    async def tick_all(self) -> list[QueuedJob]:
        """Evaluate every group once (tests and manual checks)."""
        out: list[QueuedJob] = []
        for interval in list(self._groups):
            out.extend(await self.tick(interval))
        return out

    async def tick(self, interval: float) -> list[QueuedJob]:
        """One evaluation of the group polled every `interval` seconds."""
        group = self._groups.get(interval)
        if group is None:
            return []
        if self._watch.check() or self._watch.epoch != self._epoch:
            log.warning("clock jump detected: market triggers start over (their next check "
                        "only establishes state)")
            self.reset()
        out: list[QueuedJob] = []
        if len(group.prices):
            out.extend(await self._tick_prices(group))
        if group.indicators:
            out.extend(await self._tick_indicators(group))
        return out

    async def fetch_quotes(self, symbols: list[str], interval: float) -> dict[str, Quote]:
        """One quote per symbol, keeping only usable ones (fresh, and stamped after the last
        detected clock jump)."""
        now = self._clock.now()
        limit = stale_after_seconds(interval)
        jump_at = self._watch.last_jump_at
        quotes: dict[str, Quote] = {}
        for symbol in symbols:
            try:
                quote = await self._market.quote(symbol)
            except Exception as exc:  # one symbol's outage must not stop the others
                if symbol not in self._stale:
                    self._stale.add(symbol)
                    log.warning("price triggers on %s wait for a quote: %s", symbol, exc)
                continue
            age = (now - quote.time).total_seconds()
            if abs(age) > limit or (jump_at is not None and quote.time < jump_at):
                self.stale_skipped += 1
                if symbol not in self._stale:
                    self._stale.add(symbol)
                    log.info("price triggers on %s ignore stale quotes (the last from %s, "
                             "%.1f s old, limit %.0f s) until a fresh one arrives", symbol,
                             _iso(quote.time), age, limit)
                continue
            if symbol in self._stale:
                self._stale.discard(symbol)
                log.info("price triggers on %s have fresh quotes again", symbol)
            quotes[symbol] = quote
        return quotes

    async def _tick_prices(self, group: _Group) -> list[QueuedJob]:
        quotes = await self.fetch_quotes(group.prices.symbols(), group.interval)
        out = []
        for fire in group.prices.evaluate(quotes):
            queued = self._fire(fire.job, dict(fire.payload), f"price:{_iso(fire.quote.time)}",
                                None)
            if queued is not None:
                out.append(queued)
        return out

    async def _tick_indicators(self, group: _Group) -> list[QueuedJob]:
        now = self._clock.now()
        now_epoch = now.timestamp()
        out = []
        for state in list(group.indicators.values()):
            if not state.wants_candles(now_epoch):
                continue
            cond = state.cond
            try:
                candles = await self._market.candles(cond.symbol, cond.timeframe,
                                                     cond.lookback, end=now)
            except AgenticError as exc:
                log.warning("indicator trigger %d skips this check: %s", state.job.id, exc)
                continue
            fire = state.on_candles(candles, now_epoch, log.warning)
            if fire is None:
                continue
            queued = self._fire(fire.job, dict(fire.payload),
                                f"indicator:{_iso(fire.bar_close)}", fire.bar_close)
            if queued is not None:
                out.append(queued)
        return out
