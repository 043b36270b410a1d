"""ORM tables of the scheduler and the durable job queue (DESIGN.md §5, §6; the seed's
`scheduled_jobs` and `job_queue`, plus what the semantics need). Same `Base` and `UTCDateTime`
as store/tables.py; migration 0002 mirrors this file.

`scheduled_jobs.next_run` is the seed's column and *is* DESIGN.md's `next_fire_utc`: one column,
always UTC. `ScheduledJobRow.next_fire_utc` is an ORM synonym for it, so code written against
either name reads and writes the same value.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, synonym

from agentic_desktop.store.tables import Base, UTCDateTime


class ScheduledJobRow(Base):
    __tablename__ = "scheduled_jobs"
    __table_args__ = (Index("ix_scheduled_jobs_workflow_id", "workflow_id"),)

    # -- the seed's columns
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workflow_id: Mapped[int] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    trigger_type: Mapped[str] = mapped_column(String(20))
    trigger_config: Mapped[str] = mapped_column(Text, default="{}")  # JSON object
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_run: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The next nominal fire time in UTC (DESIGN.md's next_fire_utc); NULL for event triggers.
    next_run: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    run_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # -- what the semantics need
    name: Mapped[str] = mapped_column(String(200), default="")
    priority: Mapped[int] = mapped_column(Integer, default=0)
    max_retries: Mapped[int] = mapped_column(Integer, default=3)
    misfire_policy: Mapped[str] = mapped_column(String(10), default="coalesce")
    misfire_grace_seconds: Mapped[float] = mapped_column(Float, default=300.0)
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)  # IANA name
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    paused_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # Webhook triggers only. The secret is not here: it lives in the secret store.
    hook_id: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)

    next_fire_utc: Mapped[datetime | None] = synonym("next_run")


class JobQueueRow(Base):
    __tablename__ = "job_queue"
    __table_args__ = (
        # Each nominal fire is enqueued at most once: blocks DST doubles, clock roll-backs and
        # a second process (DESIGN.md §5). NULLs are distinct, so manual/webhook jobs pass.
        UniqueConstraint("scheduled_job_id", "nominal_fire_utc"),
        # Serves claim(): status IN (pending, retrying) AND scheduled_at <= now, and the
        # per-user running count (status = 'running').
        Index("ix_job_queue_claim", "status", "scheduled_at", "priority"),
        Index("ix_job_queue_user_started", "user_id", "started_at"),
        Index("ix_job_queue_scheduled_job_id", "scheduled_job_id"),
    )

    # -- the seed's columns
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # No foreign key on purpose: a job outlives its workflow, so deleting a workflow keeps the
    # queue history and a job still waiting fails with a clear reason instead of vanishing.
    workflow_id: Mapped[int] = mapped_column(Integer, index=True)
    user_id: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    status: Mapped[str] = mapped_column(String(20))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    retry_count: Mapped[int] = mapped_column(Integer, default=0)  # automatic retries so far
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime())  # due time (backoff included)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # -- what the semantics need
    scheduled_job_id: Mapped[int | None] = mapped_column(
        ForeignKey("scheduled_jobs.id", ondelete="SET NULL"), nullable=True
    )
    attempt: Mapped[int] = mapped_column(Integer, default=0)  # runs started (claims)
    max_retries: Mapped[int] = mapped_column(Integer, default=3)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    worker: Mapped[str | None] = mapped_column(String(100), nullable=True)
    trigger_type: Mapped[str] = mapped_column(String(20), default="manual")
    payload: Mapped[str] = mapped_column(Text, default="{}")  # JSON object
    nominal_fire_utc: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    outcome_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    execution_id: Mapped[int | None] = mapped_column(
        ForeignKey("executions.id", ondelete="SET NULL"), nullable=True
    )
