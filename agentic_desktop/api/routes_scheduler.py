"""The seed's scheduler routes, plus run-now and preview (DESIGN.md §7)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request

from agentic_desktop.api.views import iso, job_json, queue_status_json, schedule_json
from agentic_desktop.domain.jobs import ScheduledJob
from agentic_desktop.engine.scheduling import SchedulingService
from agentic_desktop.engine.schemas import (
    MAX_ID,
    PreviewRequest,
    RunRequest,
    ScheduleCreate,
    ScheduleUpdate,
)

Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=MAX_ID)]
WebhookUrl = Callable[[Request, str], str]


def scheduler_router(service: SchedulingService, webhook_url: WebhookUrl) -> APIRouter:
    router = APIRouter(prefix="/api/agentic/scheduler", tags=["scheduler"])

    def render(request: Request, schedule: ScheduledJob,
               secret: str | None = None) -> dict[str, Any]:
        url = webhook_url(request, schedule.hook_id) if schedule.hook_id else None
        return schedule_json(schedule, description=service.describe(schedule),
                             webhook_url=url, webhook_secret=secret)

    @router.post("/jobs", status_code=201, summary="Create a schedule")
    async def create_schedule(request: Request, body: ScheduleCreate) -> dict[str, Any]:
        saved = service.create_schedule(body)
        return render(request, saved.schedule, saved.webhook_secret)

    @router.get("/jobs", summary="List schedules")
    async def list_schedules(
        request: Request,
        workflow_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    ) -> list[dict[str, Any]]:
        return [render(request, s) for s in service.list_schedules(workflow_id=workflow_id)]

    @router.get("/jobs/{schedule_id}", summary="Get a schedule")
    async def get_schedule(request: Request, schedule_id: Id) -> dict[str, Any]:
        return render(request, service.get_schedule(schedule_id))

    @router.put("/jobs/{schedule_id}", summary="Update a schedule (only the fields given)")
    async def update_schedule(request: Request, schedule_id: Id,
                              body: ScheduleUpdate) -> dict[str, Any]:
        saved = service.update_schedule(schedule_id, body)
        return render(request, saved.schedule, saved.webhook_secret)

    @router.delete("/jobs/{schedule_id}", summary="Delete a schedule")
    async def delete_schedule(schedule_id: Id) -> dict[str, Any]:
        service.delete_schedule(schedule_id)
        return {"id": schedule_id, "deleted": True}

    @router.post("/jobs/{schedule_id}/toggle", summary="Pause or resume a schedule")
    async def toggle_schedule(request: Request, schedule_id: Id) -> dict[str, Any]:
        return render(request, service.toggle_schedule(schedule_id))

    @router.get("/jobs/{schedule_id}/history", summary="Runs of a schedule, newest first")
    async def history(schedule_id: Id, limit: Limit = 100,
                      offset: Offset = 0) -> list[dict[str, Any]]:
        return [job_json(j) for j in service.history(schedule_id, limit=limit, offset=offset)]

    @router.post("/jobs/{schedule_id}/run", status_code=202,
                 summary="Run a schedule's workflow now (manual trigger)")
    async def run_now(schedule_id: Id,
                      body: Annotated[RunRequest | None, Body()] = None) -> dict[str, Any]:
        payload = body.payload if body is not None else {}
        return job_json(service.run_now(schedule_id=schedule_id, payload=payload))

    @router.post("/preview", summary="Next fire times of a trigger")
    async def preview(body: PreviewRequest) -> dict[str, Any]:
        result = service.preview(body)
        return {"fire_times": [iso(t) for t in result.fire_times],
                "description": result.description}

    @router.get("/queue/status", summary="Queue status")
    async def queue_status() -> dict[str, Any]:
        return queue_status_json(service.queue_status())

    @router.get("/queue/pending", summary="Pending and retrying jobs")
    async def pending(limit: Limit = 100, offset: Offset = 0) -> list[dict[str, Any]]:
        return [job_json(j) for j in service.pending(limit=limit, offset=offset)]

    @router.get("/queue/jobs/{job_id}", summary="Get a queued job")
    async def get_job(job_id: Id) -> dict[str, Any]:
        return job_json(service.get_job(job_id))

    @router.post("/queue/jobs/{job_id}/cancel", summary="Cancel a pending or running job")
    async def cancel_job(job_id: Id) -> dict[str, Any]:
        outcome = service.cancel_job(job_id)
        return {**job_json(outcome.job), "cancel_requested": outcome.cancel_requested}

    @router.post("/queue/jobs/{job_id}/retry", summary="Retry a failed, cancelled or timed-out job")
    async def retry_job(job_id: Id) -> dict[str, Any]:
        return job_json(service.retry_job(job_id))

    return router
