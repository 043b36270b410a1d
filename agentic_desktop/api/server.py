"""The local HTTP API: a FastAPI app served by uvicorn inside the app's own asyncio loop
(DESIGN.md §7). Uvicorn never touches signals or logging config here: the app owns both.

Wiring (app.py):

    token = load_or_create_token(data_dir)
    app = build_app(service, token=token, version=version())
    server = ApiServer(app, host="127.0.0.1", port=api_port)
    await server.start()          # binds now; UserError if the port is taken
    ...                           # server.port, server.url
    await server.stop()

or `await serve(app, port=..., ready=event)` as a task that runs until cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import socket
from collections.abc import Generator
from typing import Any

import uvicorn
from fastapi import Depends, FastAPI, Request
from fastapi.security import HTTPBearer

from agentic_desktop.api.errors import install_error_handlers
from agentic_desktop.api.guard import Guard
from agentic_desktop.api.routes_scheduler import scheduler_router
from agentic_desktop.api.routes_webhooks import webhooks_router
from agentic_desktop.api.routes_workflows import workflows_router
from agentic_desktop.config import DEFAULT_API_PORT, ENV_API_PORT
from agentic_desktop.domain.errors import UserError
from agentic_desktop.engine.scheduling import SchedulingService
from agentic_desktop.engine.schemas import MAX_BODY_BYTES

log = logging.getLogger("agentic_desktop.api")
DEFAULT_HOST = "127.0.0.1"


def build_app(service: SchedulingService, *, token: str, version: str = "0.0.0",
              max_body_bytes: int = MAX_BODY_BYTES) -> FastAPI:
    """The API app. Every route but GET /health and the webhook route needs the token."""
    if not token:
        raise ValueError("build_app needs a non-empty token")
    app = FastAPI(title="Agentic Desktop local API", version=version,
                  description="Schedules, queue, workflows and webhooks of the local app. "
                              "Send `Authorization: Bearer <token>` (`agentic-desktop "
                              "api-token` prints it).")
    app.state.bound_port = None
    install_error_handlers(app)
    # Documents the scheme in /openapi.json; Guard enforces it before routing.
    secured = [Depends(HTTPBearer(auto_error=False))]

    def webhook_url(request: Request, hook_id: str) -> str:
        port = app.state.bound_port or request.url.port or DEFAULT_API_PORT
        return f"http://{DEFAULT_HOST}:{port}/api/agentic/webhooks/{hook_id}"

    @app.get("/health", tags=["health"], summary="Liveness (no token needed)")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "version": version}

    app.include_router(scheduler_router(service, webhook_url), dependencies=secured)
    app.include_router(workflows_router(service), dependencies=secured)
    app.include_router(webhooks_router(service))
    app.add_middleware(Guard, token=token, max_body_bytes=max_body_bytes)
    return app


class _EmbeddedServer(uvicorn.Server):
    """uvicorn without its signal handling: the host app handles SIGINT/SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield

    def install_signal_handlers(self) -> None:  # uvicorn < 0.29 called this instead
        return


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY on accepted sockets only then, and
    # without it every response waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        if os.name == "posix":  # on Windows SO_REUSEADDR would let two servers share a port
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise UserError(f"API port {port} on {host} is in use (is Agentic Desktop already "
                            f"running?): choose another with --api-port or ${ENV_API_PORT}, "
                            "or 0 for any free port") from None
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.setblocking(False)
    return sock


class ApiServer:
    """One uvicorn server as a task in the running loop."""

    def __init__(self, app: FastAPI, *, host: str = DEFAULT_HOST, port: int = DEFAULT_API_PORT,
                 shutdown_timeout: float = 5.0) -> None:
        self.app = app
        self.host = host
        self.requested_port = port
        self.port: int | None = None
        self._shutdown_timeout = shutdown_timeout
        self._server: _EmbeddedServer | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> int:
        """Bind and start serving; returns the bound port (useful with port 0)."""
        if self._task is not None:
            raise RuntimeError("ApiServer already started")
        sock = _bind(self.host, self.requested_port)
        self.port = int(sock.getsockname()[1])
        self.app.state.bound_port = self.port
        config = uvicorn.Config(
            self.app, log_config=None, access_log=False, lifespan="off", ws="none",
            timeout_graceful_shutdown=int(self._shutdown_timeout), server_header=False,
            host=self.host, port=self.port,
        )
        # uvicorn's access log prints the query string, where a webhook secret may be; it
        # logs whenever that logger has handlers, whatever `access_log` says. Guard logs
        # each request without the query instead.
        logging.getLogger("uvicorn.access").disabled = True
        self._server = _EmbeddedServer(config)
        self._task = asyncio.create_task(self._run(sock), name="api-server")
        while not self._server.started:
            if self._task.done():
                self._task.result()  # raise what stopped it
                raise UserError(f"the API server on {self.url} stopped while starting")
            await asyncio.sleep(0.005)
        log.info("local API listening on %s", self.url)
        return self.port

    async def _run(self, sock: socket.socket) -> None:
        assert self._server is not None
        try:
            await self._server.serve(sockets=[sock])
        except SystemExit:  # uvicorn exits on start-up failures; never end the host process
            raise UserError(f"the API server on {self.host}:{self.port} failed to start; "
                            "see the log") from None

    async def wait(self) -> None:
        """Until the server stops."""
        if self._task is not None:
            await asyncio.shield(self._task)

    async def stop(self) -> None:
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(self._task), self._shutdown_timeout + 2)
        except TimeoutError:
            self._server.force_exit = True
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        finally:
            self._task = None
            self._server = None
            self.app.state.bound_port = None
            log.info("local API stopped")


async def serve(app: FastAPI, host: str = DEFAULT_HOST, port: int = DEFAULT_API_PORT, *,
                ready: asyncio.Event | None = None) -> None:
    """Serve `app` until cancelled. `ready` is set once the port is bound
    (then `app.state.bound_port` holds it, which matters with port 0)."""
    server = ApiServer(app, host=host, port=port)
    await server.start()
    if ready is not None:
        ready.set()
    try:
        await server.wait()
    finally:
        await server.stop()
