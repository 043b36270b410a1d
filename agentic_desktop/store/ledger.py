"""The paper broker's persistence (engine.ports.PaperLedger) on SQLite.

Every method is one write transaction (BEGIN IMMEDIATE), so the broker's money moves are
atomic: an order is never filled without its fill, position and commission, and a position is
never closed without its pnl being booked. State checks (`status == 'pending'`, position still
open) happen inside the same transaction, so a repeated or concurrent call cannot double-book.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agentic_desktop.domain.errors import NotFoundError, UserError
from agentic_desktop.domain.trading import (
    Fill,
    Order,
    OrderRequest,
    OrderStatus,
    OrderType,
    Position,
    Side,
)
from agentic_desktop.engine.ports import LedgerAccount
from agentic_desktop.store.db import Database
from agentic_desktop.store.tables import AccountRow, FillRow, OrderRow, PositionRow

ACCOUNT_ID = 1


class SqlPaperLedger:
    def __init__(self, db: Database) -> None:
        self._db = db

    # -- account ----------------------------------------------------------------------

    def account(self) -> LedgerAccount:
        with self._db.read() as s:
            a = _account_row(s)
            return LedgerAccount(
                balance=a.balance, currency=a.currency, peak_equity=a.peak_equity,
                commission_per_lot=a.commission_per_lot, commission_pct=a.commission_pct,
                slippage_pips=a.slippage_pips, starting_balance=a.starting_balance,
            )

    def set_costs(self, *, commission_per_lot: float | None = None,
                  commission_pct: float | None = None,
                  slippage_pips: float | None = None) -> None:
        """Change the simulated trading costs (not part of the port: a settings concern)."""
        for name, value in (("commission_per_lot", commission_per_lot),
                            ("commission_pct", commission_pct),
                            ("slippage_pips", slippage_pips)):
            if value is not None and value < 0:
                raise UserError(f"{name} must be zero or more, got {value}")
        with self._db.write() as s:
            a = _account_row(s)
            if commission_per_lot is not None:
                a.commission_per_lot = commission_per_lot
            if commission_pct is not None:
                a.commission_pct = commission_pct
            if slippage_pips is not None:
                a.slippage_pips = slippage_pips

    def set_peak_equity(self, value: float) -> None:
        with self._db.write() as s:
            a = _account_row(s)
            # Only upward: two concurrent snapshots must not lower the peak.
            a.peak_equity = max(a.peak_equity, value)

    def reset(self, *, balance: float, currency: str) -> None:
        if balance <= 0:
            raise UserError(f"starting balance must be positive, got {balance}")
        with self._db.write() as s:
            s.execute(delete(PositionRow))
            s.execute(delete(FillRow))
            s.execute(delete(OrderRow))
            a = _account_row(s)
            a.balance = a.starting_balance = a.peak_equity = balance
            a.currency = currency

    # -- orders -----------------------------------------------------------------------

    def find_order(self, client_order_id: str) -> Order | None:
        with self._db.read() as s:
            row = s.scalars(select(OrderRow)
                            .where(OrderRow.client_order_id == client_order_id)).first()
            return None if row is None else _order(row)

    def add_order(self, request: OrderRequest, *, status: str, created_at: datetime,
                  reason: str = "") -> Order:
        try:
            with self._db.write() as s:
                row = OrderRow(
                    client_order_id=request.client_order_id, symbol=request.symbol,
                    side=request.side, volume=request.volume, type=request.type,
                    status=status, created_at=created_at, price=request.price,
                    stop_loss=request.stop_loss, take_profit=request.take_profit,
                    reason=reason, comment=request.comment,
                    filled_at=None, fill_price=None,
                )
                s.add(row)
                s.flush()
                return _order(row)
        except IntegrityError:
            # UNIQUE(client_order_id) refused a second row: this is a re-run of the same order.
            existing = self.find_order(request.client_order_id)
            if existing is None:  # the failure was some other constraint
                raise
            return replace(existing, existing=True)

    def fill_order(self, order_id: int, *, price: float, commission: float,
                   time: datetime) -> tuple[Order, Fill, Position]:
        with self._db.write() as s:
            row = _order_row(s, order_id)
            if row.status != "pending":
                raise UserError(
                    f"order {order_id} ({row.client_order_id}) is {row.status}, not pending: "
                    "it cannot be filled again"
                )
            row.status, row.fill_price, row.filled_at = "filled", price, time
            fill = FillRow(order_id=row.id, symbol=row.symbol, side=row.side,
                           volume=row.volume, price=price, commission=commission,
                           realized_pnl=0.0, time=time)
            position = PositionRow(order_id=row.id, symbol=row.symbol, side=row.side,
                                   volume=row.volume, open_price=price, opened_at=time,
                                   stop_loss=row.stop_loss, take_profit=row.take_profit)
            s.add_all([fill, position])
            _account_row(s).balance -= commission
            s.flush()
            return _order(row), _fill(fill), _position(position)

    def close_position(self, position_id: int, *, order: Order, price: float,
                       commission: float, pnl: float, time: datetime) -> Fill:
        with self._db.write() as s:
            position = s.get(PositionRow, position_id)
            if position is None:
                raise NotFoundError(
                    f"position {position_id} is not open (already closed?): "
                    "see `agentic-desktop account`"
                )
            row = _order_row(s, order.id)
            if row.status != "pending":
                raise UserError(
                    f"closing order {row.client_order_id} is {row.status}, not pending"
                )
            row.status, row.fill_price, row.filled_at = "filled", price, time
            fill = FillRow(order_id=row.id, symbol=row.symbol, side=row.side,
                           volume=row.volume, price=price, commission=commission,
                           realized_pnl=pnl, time=time)
            s.add(fill)
            s.delete(position)
            _account_row(s).balance += pnl - commission
            s.flush()
            return _fill(fill)

    def cancel_order(self, order_id: int, *, reason: str) -> Order:
        with self._db.write() as s:
            row = _order_row(s, order_id)
            if row.status == "pending":
                row.status, row.reason = "cancelled", reason
            return _order(row)

    def pending_orders(self) -> list[Order]:
        with self._db.read() as s:
            rows = s.scalars(select(OrderRow).where(OrderRow.status == "pending")
                             .order_by(OrderRow.id)).all()
            return [_order(r) for r in rows]

    def positions(self) -> list[Position]:
        with self._db.read() as s:
            return [_position(r) for r in s.scalars(select(PositionRow)
                                                    .order_by(PositionRow.id)).all()]

    def recent_orders(self, limit: int) -> list[Order]:
        with self._db.read() as s:
            rows = s.scalars(select(OrderRow).order_by(OrderRow.id.desc())
                             .limit(max(limit, 0))).all()
            return [_order(r) for r in rows]

    def realized_pnl_since(self, since: datetime) -> float:
        """Net realized pnl of fills at or after `since`: closing pnl minus every commission
        paid (opening and closing), which is what a daily loss limit should see."""
        query = select(func.coalesce(func.sum(FillRow.realized_pnl - FillRow.commission), 0.0))
        with self._db.read() as s:
            return float(s.execute(query.where(FillRow.time >= since)).scalar_one())

    def fills(self, order_id: int | None = None) -> list[Fill]:
        """All fills (or one order's), oldest first. Not in the port; for reports and tests."""
        query = select(FillRow).order_by(FillRow.id)
        if order_id is not None:
            query = query.where(FillRow.order_id == order_id)
        with self._db.read() as s:
            return [_fill(r) for r in s.scalars(query).all()]


def _account_row(s: Session) -> AccountRow:
    row = s.get(AccountRow, ACCOUNT_ID)
    if row is None:  # open_database seeds it; a missing row means a damaged data dir
        raise UserError("the paper account is missing: run `agentic-desktop account` "
                        "after reopening the data dir, or reset the paper account")
    return row


def _order_row(s: Session, order_id: int) -> OrderRow:
    row = s.get(OrderRow, order_id)
    if row is None:
        raise NotFoundError(f"order {order_id} does not exist: see `agentic-desktop account`")
    return row


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _order(r: OrderRow) -> Order:
    return Order(
        id=r.id, client_order_id=r.client_order_id, symbol=r.symbol,
        side=cast(Side, r.side), volume=r.volume, type=cast(OrderType, r.type),
        status=cast(OrderStatus, r.status), created_at=_utc(r.created_at), price=r.price,
        stop_loss=r.stop_loss, take_profit=r.take_profit, fill_price=r.fill_price,
        filled_at=None if r.filled_at is None else _utc(r.filled_at),
        reason=r.reason, comment=r.comment,
    )


def _fill(r: FillRow) -> Fill:
    return Fill(id=r.id, order_id=r.order_id, symbol=r.symbol, side=cast(Side, r.side),
                volume=r.volume, price=r.price, commission=r.commission, time=_utc(r.time))


def _position(r: PositionRow) -> Position:
    return Position(id=r.id, symbol=r.symbol, side=cast(Side, r.side), volume=r.volume,
                    open_price=r.open_price, opened_at=_utc(r.opened_at),
                    stop_loss=r.stop_loss, take_profit=r.take_profit)
