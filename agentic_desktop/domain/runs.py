"""Records of one workflow execution: per-node runs and the seed's execution metrics."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

NodeStatus = Literal["pending", "running", "succeeded", "failed", "skipped", "cancelled"]
ExecutionStatus = Literal["running", "completed", "failed", "cancelled", "timed_out"]
# What must happen next after a failure (DESIGN.md §10): "user" needs the user and is never
# retried; "retryable" may succeed on a retry; "internal" is a bug in a node (retried, logged).
ErrorKind = Literal["user", "retryable", "internal"]


@dataclass(frozen=True, kw_only=True)
class NodeRun:
    node_id: str
    node_type: str
    status: NodeStatus
    started_at: datetime | None = None
    duration_ms: float = 0.0
    # Short, JSON-safe description of each output (numbers, last values, order ids).
    output_summary: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    skip_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class ExecutionMetrics:
    total_nodes: int
    successful_nodes: int
    failed_nodes: int
    total_time_ms: float
    avg_node_time_ms: float
    memory_used_mb: float


@dataclass(frozen=True, kw_only=True)
class ExecutionResult:
    workflow_id: int | None
    workflow_name: str
    status: ExecutionStatus
    started_at: datetime
    finished_at: datetime
    node_runs: tuple[NodeRun, ...]
    metrics: ExecutionMetrics
    idempotency_key: str
    trigger: str = "manual"
    payload: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    # Node id of the failing node, when one failed.
    failed_node: str | None = None
    error_kind: ErrorKind | None = None
    execution_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.status == "completed"

    def to_json(self) -> dict[str, Any]:
        return {
            "execution_id": self.execution_id,
            "workflow_id": self.workflow_id,
            "workflow_name": self.workflow_name,
            "status": self.status,
            "trigger": self.trigger,
            "idempotency_key": self.idempotency_key,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat(),
            "error": self.error,
            "failed_node": self.failed_node,
            "error_kind": self.error_kind,
            "payload": self.payload,
            "nodes": [
                {
                    "node_id": r.node_id,
                    "type": r.node_type,
                    "status": r.status,
                    "started_at": r.started_at.isoformat() if r.started_at else None,
                    "duration_ms": round(r.duration_ms, 3),
                    "outputs": r.output_summary,
                    "error": r.error,
                    "skip_reason": r.skip_reason,
                }
                for r in self.node_runs
            ],
            "metrics": {
                "total_nodes": self.metrics.total_nodes,
                "successful_nodes": self.metrics.successful_nodes,
                "failed_nodes": self.metrics.failed_nodes,
                "total_time_ms": round(self.metrics.total_time_ms, 3),
                "avg_node_time_ms": round(self.metrics.avg_node_time_ms, 3),
                "memory_used_mb": round(self.metrics.memory_used_mb, 2),
            },
        }
