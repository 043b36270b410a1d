"""JSON shapes of the local API. The seed's columns come first and keep their names
(scheduled_jobs: id, workflow_id, user_id, trigger_type, trigger_config, is_active, last_run,
next_run, run_count, created_at; job_queue: id, workflow_id, user_id, status, priority,
retry_count, scheduled_at, started_at, completed_at, error_message, created_at); ours follow.
Times are ISO 8601 UTC with a trailing Z."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agentic_desktop.domain.jobs import QueuedJob, QueueStatus, ScheduledJob
from agentic_desktop.engine.ports import StoredWorkflow


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def schedule_json(schedule: ScheduledJob, *, description: str, webhook_url: str | None = None,
                  webhook_secret: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": schedule.id,
        "workflow_id": schedule.workflow_id,
        "user_id": schedule.user_id,
        "trigger_type": schedule.trigger_type,
        "trigger_config": schedule.trigger_config,
        "is_active": schedule.is_active,
        "last_run": iso(schedule.last_run),
        "next_run": iso(schedule.next_run),
        "run_count": schedule.run_count,
        "created_at": iso(schedule.created_at),
        "name": schedule.name,
        "description": description,
        "priority": schedule.priority,
        "max_retries": schedule.max_retries,
        "misfire_policy": schedule.misfire_policy,
        "misfire_grace_seconds": schedule.misfire_grace_seconds,
        "timezone": schedule.timezone,
        "consecutive_failures": schedule.consecutive_failures,
        "paused_reason": schedule.paused_reason,
        "last_status": schedule.last_status,
    }
    if webhook_url is not None:
        out["webhook_url"] = webhook_url
    if webhook_secret is not None:
        out["webhook_secret"] = webhook_secret
    return out


def job_json(job: QueuedJob) -> dict[str, Any]:
    return {
        "id": job.id,
        "workflow_id": job.workflow_id,
        "user_id": job.user_id,
        "status": job.status,
        "priority": job.priority,
        "retry_count": job.retry_count,
        "scheduled_at": iso(job.scheduled_at),
        "started_at": iso(job.started_at),
        "completed_at": iso(job.completed_at),
        "error_message": job.error_message,
        "created_at": iso(job.created_at),
        "scheduled_job_id": job.scheduled_job_id,
        "attempt": job.attempt,
        "max_retries": job.max_retries,
        "trigger_type": job.trigger_type,
        "payload": job.payload,
        "nominal_fire_utc": iso(job.nominal_fire_utc),
        "outcome_reason": job.outcome_reason,
        "execution_id": job.execution_id,
        "lease_expires_at": iso(job.lease_expires_at),
    }


def queue_status_json(status: QueueStatus) -> dict[str, Any]:
    return {
        "pending": status.pending,
        "running": status.running,
        "retrying": status.retrying,
        "completed_today": status.completed_today,
        "failed_today": status.failed_today,
        "runs_today": status.runs_today,
        "max_runs_per_day": status.max_runs_per_day,
        "avg_wait_ms": status.avg_wait_ms,
        "avg_duration_ms": status.avg_duration_ms,
        "throughput_per_min": status.throughput_per_min,
    }


def workflow_json(stored: StoredWorkflow) -> dict[str, Any]:
    return {
        "id": stored.id,
        **stored.workflow.to_json(),
        "created_at": iso(stored.created_at),
        "updated_at": iso(stored.updated_at),
    }


def workflow_summary_json(stored: StoredWorkflow) -> dict[str, Any]:
    return {
        "id": stored.id,
        "name": stored.workflow.name,
        "description": stored.workflow.description,
        "node_count": len(stored.workflow.nodes),
        "created_at": iso(stored.created_at),
        "updated_at": iso(stored.updated_at),
    }
