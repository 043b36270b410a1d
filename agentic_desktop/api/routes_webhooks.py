"""POST /api/agentic/webhooks/{hook_id}: the webhook trigger (DESIGN.md §7).

No Bearer token here: the webhook's own secret authenticates, in the URL (`?secret=`) or in a
"secret" field of a JSON body, because TradingView cannot send headers. JSON and plain text
bodies are accepted (TradingView sends its alert message as text/plain unless it is valid
JSON); the body becomes the run's payload. The secret is never logged.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import JSONResponse

from agentic_desktop.engine.scheduling import SchedulingService

_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": False,
        "content": {
            "application/json": {"schema": {"type": "object", "additionalProperties": True}},
            "text/plain": {"schema": {"type": "string"}},
        },
    },
}


def parse_body(raw: bytes, content_type: str) -> Any:
    """JSON when the body is JSON (whatever the declared type: TradingView sends valid JSON
    as application/json and anything else as text/plain), else the text."""
    text = raw.decode("utf-8", errors="replace")
    looks_json = text.lstrip()[:1] in ("{", "[") or "json" in content_type.lower()
    if looks_json and text.strip():
        try:
            return json.loads(text)
        except (ValueError, RecursionError):
            pass
    return text


def webhooks_router(service: SchedulingService) -> APIRouter:
    router = APIRouter(prefix="/api/agentic/webhooks", tags=["webhooks"])

    @router.post("/{hook_id}", openapi_extra=_BODY_DOC, status_code=202,
                 summary="Deliver to a webhook trigger (authenticated by its secret)")
    async def deliver(
        request: Request,
        hook_id: Annotated[str, Path(max_length=64)],
        secret: Annotated[str | None, Query(max_length=512)] = None,
        idempotency_key: Annotated[str | None, Header(max_length=512)] = None,
    ) -> JSONResponse:
        body = parse_body(await request.body(), request.headers.get("content-type", ""))
        if secret is None and isinstance(body, dict) and isinstance(body.get("secret"), str):
            secret = body["secret"]
        delivery = service.deliver_webhook(hook_id, secret, body, idempotency_key)
        if delivery.duplicate or delivery.job is None:
            return JSONResponse({"status": "duplicate", "job_id": None}, status_code=200)
        return JSONResponse({"status": "queued", "job_id": delivery.job.id}, status_code=202)

    return router
