"""Domain errors → HTTP answers. Bad input never becomes a 5xx:

- InvalidInput, pydantic/FastAPI validation, ScheduleError, workflow ValidationError → 422
  with `{"detail": [{"loc": ["body", ...], "msg": ..., "type": ...}]}` (the field named);
- NotFoundError → 404, WebhookAuthError → 401, any other UserError (a state conflict, like
  cancelling a finished job) → 409, RetryableError → 503; all `{"detail": "<message>"}`.

Validation answers never echo the input: it may contain a webhook secret.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from agentic_desktop.domain.errors import (
    NotFoundError,
    RetryableError,
    UserError,
    ValidationError,
)
from agentic_desktop.domain.schedule import ScheduleError
from agentic_desktop.engine.scheduling import WebhookAuthError
from agentic_desktop.engine.schemas import InvalidInput

log = logging.getLogger("agentic_desktop.api")


def _clean_loc(loc: Any) -> list[str | int]:
    return [p if isinstance(p, int | str) else str(p) for p in loc]


async def _request_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    detail = [{"loc": _clean_loc(e.get("loc", ())), "msg": str(e.get("msg", "invalid")),
               "type": str(e.get("type", "value_error"))} for e in exc.errors()]
    return JSONResponse({"detail": detail}, status_code=422)


async def _user_error(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, InvalidInput):
        return JSONResponse({"detail": [p.to_json() for p in exc.problems]}, status_code=422)
    if isinstance(exc, ScheduleError):
        return JSONResponse({"detail": [{"loc": ["body", exc.field], "msg": exc.reason,
                                         "type": "value_error"}]}, status_code=422)
    if isinstance(exc, ValidationError):
        return JSONResponse({"detail": [{"loc": ["body"], "msg": str(p), "type": "value_error"}
                                        for p in exc.problems]}, status_code=422)
    if isinstance(exc, WebhookAuthError):
        return JSONResponse({"detail": str(exc)}, status_code=401)
    if isinstance(exc, NotFoundError):
        return JSONResponse({"detail": str(exc)}, status_code=404)
    return JSONResponse({"detail": str(exc)}, status_code=409)


async def _retryable(request: Request, exc: Exception) -> JSONResponse:
    log.warning("%s %s: %s", request.method, request.url.path, exc)
    return JSONResponse({"detail": str(exc)}, status_code=503, headers={"Retry-After": "5"})


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(UserError, _user_error)
    app.add_exception_handler(RetryableError, _retryable)
