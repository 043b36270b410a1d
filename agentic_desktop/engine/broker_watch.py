"""Keeps the broker's pending orders and attached stop-loss/take-profit alive while the app
runs: every `interval` seconds the broker re-checks them against current quotes, and each fill
or close is told to the trader (log, desktop/tray)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from agentic_desktop.domain.trading import Notification, Order
from agentic_desktop.engine.ports import Broker, Notifier

log = logging.getLogger(__name__)

CLOSED_TITLE = "Position closed"
FILLED_TITLE = "Order filled"


def describe_fill(order: Order) -> Notification:
    price = f"{order.fill_price:g}" if order.fill_price is not None else "?"
    if order.reason in ("stop_loss", "take_profit"):
        why = "stop loss" if order.reason == "stop_loss" else "take profit"
        return Notification(
            title=CLOSED_TITLE, level="warning" if order.reason == "stop_loss" else "info",
            message=f"{order.symbol}: {why} hit, {order.side} {order.volume:g} at {price}")
    return Notification(title=FILLED_TITLE,
                        message=f"{order.symbol}: {order.type} {order.side} {order.volume:g} "
                                f"filled at {price}")


class BrokerWatch:
    def __init__(self, *, broker: Broker, notifier: Notifier, interval: float = 1.0) -> None:
        self._broker = broker
        self._notifier = notifier
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="broker-watch")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def check_once(self) -> list[Order]:
        orders = await self._broker.on_quotes()
        for order in orders:
            await self._notifier.notify(describe_fill(order))
        return orders

    async def _loop(self) -> None:
        while True:
            try:
                await self.check_once()
            except Exception:  # a bad quote must not stop SL/TP checks for good
                log.exception("checking pending orders and stops failed; retrying")
            await asyncio.sleep(self._interval)
