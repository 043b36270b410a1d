"""Market and trading values shared by the market, the broker, the nodes and the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

Side = Literal["buy", "sell"]
OrderType = Literal["market", "limit", "stop"]
OrderStatus = Literal["pending", "filled", "cancelled", "rejected"]
PriceSource = Literal["bid", "ask", "mid", "last"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, kw_only=True)
class SymbolInfo:
    symbol: str
    description: str
    digits: int  # price decimals
    pip_size: float
    contract_size: float  # units per 1.0 lot
    lot_step: float
    min_lot: float
    max_lot: float
    currency: str = "USD"  # quote currency


@dataclass(frozen=True, kw_only=True)
class Quote:
    symbol: str
    bid: float
    ask: float
    last: float
    time: datetime  # UTC, aware

    @property
    def mid(self) -> float:
        return (self.bid + self.ask) / 2.0

    def price(self, source: PriceSource) -> float:
        return {"bid": self.bid, "ask": self.ask, "mid": self.mid, "last": self.last}[source]


@dataclass(frozen=True, kw_only=True)
class Candles:
    """OHLCV bars; `time` is each bar's open time in UTC epoch seconds. Closed bars only."""

    symbol: str
    timeframe: str
    time: IntArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray

    def __len__(self) -> int:
        return int(self.time.shape[0])


@dataclass(frozen=True, kw_only=True)
class Series:
    """Values aligned to candle times (NaN before an indicator's first output)."""

    time: IntArray
    values: npt.NDArray[Any]
    name: str = ""

    def __len__(self) -> int:
        return int(self.values.shape[0])

    @property
    def last(self) -> Any:
        return self.values[-1].item() if len(self) else None


@dataclass(frozen=True, kw_only=True)
class OrderRequest:
    client_order_id: str
    symbol: str
    side: Side
    volume: float  # lots
    type: OrderType = "market"
    price: float | None = None  # limit/stop trigger price
    stop_loss: float | None = None
    take_profit: float | None = None
    comment: str = ""


@dataclass(frozen=True, kw_only=True)
class Order:
    id: int
    client_order_id: str
    symbol: str
    side: Side
    volume: float
    type: OrderType
    status: OrderStatus
    created_at: datetime
    price: float | None = None
    stop_loss: float | None = None
    take_profit: float | None = None
    fill_price: float | None = None
    filled_at: datetime | None = None
    reason: str = ""  # why rejected or cancelled, or what closed it ("stop_loss")
    comment: str = ""
    # True when place_order found this client_order_id already placed (an idempotent re-run).
    existing: bool = False


@dataclass(frozen=True, kw_only=True)
class Fill:
    id: int
    order_id: int
    symbol: str
    side: Side
    volume: float
    price: float
    commission: float
    time: datetime


@dataclass(frozen=True, kw_only=True)
class Position:
    id: int
    symbol: str
    side: Side
    volume: float
    open_price: float
    opened_at: datetime
    stop_loss: float | None = None
    take_profit: float | None = None
    unrealized_pnl: float = 0.0


@dataclass(frozen=True, kw_only=True)
class AccountSnapshot:
    balance: float
    equity: float
    margin: float
    currency: str
    positions: tuple[Position, ...] = ()
    peak_equity: float = 0.0
    realized_pnl_today: float = 0.0
    time: datetime | None = None

    @property
    def free_margin(self) -> float:
        return self.equity - self.margin


@dataclass(frozen=True, kw_only=True)
class Notification:
    title: str
    message: str
    level: Literal["info", "warning", "error"] = "info"
    # Channel names beyond the log: "desktop", "apprise" (the configured URLs), "log" for the
    # log only. Empty means log + desktop. URLs never travel here: they hold tokens.
    channels: tuple[str, ...] = field(default_factory=tuple)
