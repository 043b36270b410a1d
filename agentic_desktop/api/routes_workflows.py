"""Workflows (the editor's JSON document) and executions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path

from agentic_desktop.api.views import job_json, workflow_json, workflow_summary_json
from agentic_desktop.engine.scheduling import SchedulingService
from agentic_desktop.engine.schemas import MAX_ID, RunRequest, WorkflowCreate, WorkflowUpdate

Id = Annotated[int, Path(ge=1, le=MAX_ID)]


def workflows_router(service: SchedulingService) -> APIRouter:
    router = APIRouter(prefix="/api/agentic", tags=["workflows"])
    cases = service.workflow_cases

    @router.get("/workflows", summary="List workflows")
    async def list_workflows() -> list[dict[str, Any]]:
        return [workflow_summary_json(w) for w in cases.list()]

    @router.post("/workflows", status_code=201, summary="Create a workflow")
    async def create_workflow(body: WorkflowCreate) -> dict[str, Any]:
        return workflow_json(cases.create(body))

    @router.get("/workflows/{workflow_id}", summary="Get a workflow")
    async def get_workflow(workflow_id: Id) -> dict[str, Any]:
        return workflow_json(cases.get(workflow_id))

    @router.put("/workflows/{workflow_id}", summary="Replace a workflow")
    async def update_workflow(workflow_id: Id, body: WorkflowUpdate) -> dict[str, Any]:
        return workflow_json(cases.update(workflow_id, body))

    @router.delete("/workflows/{workflow_id}", summary="Delete a workflow without schedules")
    async def delete_workflow(workflow_id: Id) -> dict[str, Any]:
        cases.delete(workflow_id)
        return {"id": workflow_id, "deleted": True}

    @router.post("/workflows/{workflow_id}/run", status_code=202,
                 summary="Run a workflow now (manual trigger, no schedule)")
    async def run_workflow(workflow_id: Id,
                           body: Annotated[RunRequest | None, Body()] = None) -> dict[str, Any]:
        payload = body.payload if body is not None else {}
        return job_json(service.run_now(workflow_id=workflow_id, payload=payload))

    @router.get("/executions/{execution_id}", tags=["executions"],
                summary="An execution with its node runs and metrics")
    async def get_execution(execution_id: Id) -> dict[str, Any]:
        result = service.get_execution(execution_id)
        out = result.to_json()
        out["execution_id"] = result.execution_id or execution_id
        return out

    return router
