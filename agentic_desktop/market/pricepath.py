"""A deterministic price path per symbol, defined for every instant, computable in any window.

Why this shape: quotes, M1 bars and W1 bars must all be views of one path, and any window must
be computable without generating all of history. The path is built top-down as Brownian
bridges, each level seeded by a counter-based generator (Philox) keyed by (seed, symbol, level,
index), so any piece is generated on its own:

1. anchors every 64 days: the symbol's level times a small random factor (keeps prices
   realistic for decades instead of drifting like an unbounded random walk);
2. one knot per UTC midnight: a Brownian bridge between the two anchors around it;
3. one tick every 20 seconds: a Brownian bridge between the two midnight knots, with
   volatility shaped by the hour of day and a per-day volatility factor (quiet and busy days).

Ticks are rounded to the symbol's digits and the price is constant between ticks, so a bar's
OHLC is exactly first/max/min/last of the ticks it contains, for every timeframe, and a quote
is always inside the bar being formed. Volumes are integers per tick, so sums agree exactly.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from agentic_desktop.domain.trading import FloatArray
from agentic_desktop.market.symbols import SimSymbol

TICK_SECONDS = 20
DAY_SECONDS = 86_400
TICKS_PER_DAY = DAY_SECONDS // TICK_SECONDS
TILE_DAYS = 64
WEEK_DAYS = 7
_INDEX_MASK = (1 << 56) - 1
_ANCHOR, _TILE, _DAY = 1, 2, 3
_DAY_CACHE = 64  # days of raw ticks kept per symbol (~70 KB each)


@dataclass(frozen=True)
class Bars:
    """Raw OHLCV arrays of consecutive bars (no symbol/timeframe attached)."""

    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray

    @staticmethod
    def aggregate(o: FloatArray, h: FloatArray, low: FloatArray, c: FloatArray,
                  v: FloatArray, per_bar: int) -> Bars:
        """Group consecutive rows `per_bar` at a time into bigger bars."""
        n = o.shape[0] // per_bar
        return Bars(
            open=o.reshape(n, per_bar)[:, 0].copy(),
            high=h.reshape(n, per_bar).max(axis=1),
            low=low.reshape(n, per_bar).min(axis=1),
            close=c.reshape(n, per_bar)[:, -1].copy(),
            volume=v.reshape(n, per_bar).sum(axis=1),
        )

    @staticmethod
    def concat(parts: list[Bars]) -> Bars:
        return Bars(*(np.concatenate([getattr(p, f) for p in parts])
                      for f in ("open", "high", "low", "close", "volume")))

    def slice(self, start: int, stop: int) -> Bars:
        return Bars(self.open[start:stop], self.high[start:stop], self.low[start:stop],
                    self.close[start:stop], self.volume[start:stop])


def _splitmix64(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return x ^ (x >> 31)


class PricePath:
    def __init__(self, spec: SimSymbol, seed: int) -> None:
        self.spec = spec
        self.digits = spec.info.digits
        # blake2b, not hash(): Python's str hash is salted per process.
        digest = hashlib.blake2b(f"{seed}:{spec.info.symbol}".encode(), digest_size=8).digest()
        self._key = int.from_bytes(digest, "little")
        self._log_level = float(np.log(spec.level))

        per_hour = TICKS_PER_DAY // 24
        weight = np.repeat(np.asarray(spec.hourly_vol, dtype=np.float64) ** 2, per_hour)
        weight /= weight.mean()
        # Per-tick stdev so that one day's ticks add up to the daily volatility.
        self._tick_sd = np.sqrt(weight) * spec.daily_vol / np.sqrt(TICKS_PER_DAY)
        # Share of the day's variance elapsed before tick k: a bridge under time-varying
        # volatility pins its drift to elapsed variance, not elapsed clock time.
        cum = np.cumsum(weight) / weight.sum()
        self._elapsed = np.concatenate(([0.0], cum[:-1]))
        self._vol_scale = np.sqrt(weight) * spec.tick_volume

        self._lock = threading.Lock()
        self._tiles: OrderedDict[int, FloatArray] = OrderedDict()
        self._days: OrderedDict[int, tuple[FloatArray, FloatArray]] = OrderedDict()
        self._daily: dict[int, tuple[float, float, float, float, float]] = {}

    # -- random streams ------------------------------------------------------------------

    def _normals(self, kind: int, index: int, n: int) -> FloatArray:
        stream = (kind << 56) | (index & _INDEX_MASK)
        bitgen = np.random.Philox(key=np.array([self._key, stream], dtype=np.uint64))
        return np.random.Generator(bitgen).standard_normal(n)

    # -- levels 1 and 2: anchors and midnight knots --------------------------------------

    def _anchor(self, tile: int) -> float:
        z = float(self._normals(_ANCHOR, tile, 1)[0])
        return self._log_level + self.spec.anchor_vol * z

    def _tile(self, tile: int) -> FloatArray:
        """Log price at the 65 midnights from the tile's start to the next tile's start."""
        with self._lock:
            cached = self._tiles.get(tile)
        if cached is not None:
            return cached
        a, b = self._anchor(tile), self._anchor(tile + 1)
        walk = np.concatenate(([0.0], np.cumsum(self._normals(_TILE, tile, TILE_DAYS))))
        walk *= self.spec.daily_vol
        frac = np.arange(TILE_DAYS + 1) / TILE_DAYS
        knots: FloatArray = a + (b - a) * frac + walk - frac * walk[-1]
        with self._lock:
            self._tiles[tile] = knots
            if len(self._tiles) > 16:
                self._tiles.popitem(last=False)
        return knots

    def _knots(self, day: int) -> tuple[float, float]:
        tile, i = divmod(day, TILE_DAYS)
        knots = self._tile(tile)
        return float(knots[i]), float(knots[i + 1])

    # -- level 3: ticks ------------------------------------------------------------------

    def _compute_day(self, day: int) -> tuple[FloatArray, FloatArray]:
        start, end = self._knots(day)
        z = self._normals(_DAY, day, TICKS_PER_DAY + 1)
        # Busy and quiet days: a lognormal factor with mean ~1 on the day's volatility.
        day_factor = float(np.exp(0.3 * z[0] - 0.045))
        steps = z[1:] * self._tick_sd * day_factor
        walk = np.cumsum(steps)
        walk_before = np.concatenate(([0.0], walk[:-1]))
        log_price = start + (end - start) * self._elapsed + walk_before - self._elapsed * walk[-1]
        prices = np.round(np.exp(log_price), self.digits)
        # Volume follows activity: more in busy hours and on big moves.
        volumes = np.maximum(1.0, np.rint(self._vol_scale * day_factor
                                          * (0.3 + 0.7 * np.abs(z[1:]))))
        return prices, volumes

    def day_ticks(self, day: int, *, keep: bool = True) -> tuple[FloatArray, FloatArray]:
        """(prices, volumes) of the day's 4320 ticks, starting at midnight UTC.

        `keep=False` for long histories, so one big request does not evict the recent days
        that quotes and live runs keep asking for."""
        with self._lock:
            cached = self._days.get(day)
            if cached is not None:
                self._days.move_to_end(day)
                return cached
        ticks = self._compute_day(day)
        if keep:
            with self._lock:
                self._days[day] = ticks
                if len(self._days) > _DAY_CACHE:
                    self._days.popitem(last=False)
        return ticks

    def price_at(self, t: int) -> tuple[float, int]:
        """(price, global tick index) in effect at epoch second `t`."""
        day, offset = divmod(t, DAY_SECONDS)
        prices, _ = self.day_ticks(day)
        k = offset // TICK_SECONDS
        return float(prices[k]), day * TICKS_PER_DAY + k

    def spread_points(self, tick_index: int) -> int:
        lo, hi = self.spec.spread_points
        u = _splitmix64(self._key ^ (tick_index & 0xFFFFFFFFFFFFFFFF)) / 2.0**64
        return lo + int(u * (hi - lo + 1))

    # -- bars ----------------------------------------------------------------------------

    def _day_bars(self, day: int, tf_seconds: int, keep: bool) -> Bars:
        prices, volumes = self.day_ticks(day, keep=keep)
        return Bars.aggregate(prices, prices, prices, prices, volumes, tf_seconds // TICK_SECONDS)

    def _daily_bars(self, first_day: int, n_days: int) -> Bars:
        rows = []
        for day in range(first_day, first_day + n_days):
            row = self._daily.get(day)
            if row is None:
                prices, volumes = self.day_ticks(day, keep=False)
                row = (float(prices[0]), float(prices.max()), float(prices.min()),
                       float(prices[-1]), float(volumes.sum()))
                with self._lock:
                    self._daily[day] = row  # 40 bytes a day: decades fit easily
            rows.append(row)
        arr = np.asarray(rows, dtype=np.float64).reshape(n_days, 5)
        return Bars(*(arr[:, i].copy() for i in range(5)))

    def bars(self, tf_seconds: int, first_open: int, count: int) -> Bars:
        """`count` bars of `tf_seconds` starting at the aligned epoch second `first_open`."""
        if tf_seconds == WEEK_DAYS * DAY_SECONDS:
            daily = self._daily_bars(first_open // DAY_SECONDS, count * WEEK_DAYS)
            return Bars.aggregate(daily.open, daily.high, daily.low, daily.close,
                                  daily.volume, WEEK_DAYS)
        if tf_seconds == DAY_SECONDS:
            return self._daily_bars(first_open // DAY_SECONDS, count)
        last_open = first_open + (count - 1) * tf_seconds
        first_day, last_day = first_open // DAY_SECONDS, last_open // DAY_SECONDS
        keep = last_day - first_day < _DAY_CACHE // 4
        parts = [self._day_bars(d, tf_seconds, keep) for d in range(first_day, last_day + 1)]
        start = (first_open - first_day * DAY_SECONDS) // tf_seconds
        return Bars.concat(parts).slice(start, start + count)
