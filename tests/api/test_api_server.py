"""The token file, the env override, and the embedded server (port 0, no signal handlers,
a clear error on a busy port, generic 500s)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import stat
from pathlib import Path

import httpx
import pytest

from agentic_desktop.api.auth import TOKEN_FILENAME, load_or_create_token
from agentic_desktop.api.server import ApiServer, build_app, serve
from agentic_desktop.config import ENV_API_TOKEN
from agentic_desktop.domain.errors import UserError
from tests.api.conftest import Api, build_service


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_token_file_is_created_once_with_mode_0600(data_dir: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_API_TOKEN, raising=False)
    token = load_or_create_token(data_dir)
    path = data_dir / TOKEN_FILENAME
    assert len(token) >= 32
    assert mode(path) == 0o600
    assert path.read_text().strip() == token
    assert load_or_create_token(data_dir) == token  # stable across starts


def test_token_file_with_loose_permissions_is_tightened(data_dir: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_API_TOKEN, raising=False)
    path = data_dir / TOKEN_FILENAME
    path.write_text("an-existing-token-value-1234567890\n")
    os.chmod(path, 0o644)
    assert load_or_create_token(data_dir) == "an-existing-token-value-1234567890"
    assert mode(path) == 0o600


def test_env_var_overrides_the_file(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_API_TOKEN, raising=False)
    load_or_create_token(data_dir)
    monkeypatch.setenv(ENV_API_TOKEN, "from-the-environment-0123456789")
    assert load_or_create_token(data_dir) == "from-the-environment-0123456789"
    monkeypatch.setenv(ENV_API_TOKEN, "short")
    with pytest.raises(UserError, match="too short"):
        load_or_create_token(data_dir)


@pytest.mark.asyncio
async def test_env_token_is_the_one_the_server_accepts(data_dir: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_API_TOKEN, raising=False)
    file_token = load_or_create_token(data_dir)
    monkeypatch.setenv(ENV_API_TOKEN, "from-the-environment-0123456789")
    service, parts = build_service(data_dir)
    server = ApiServer(build_app(service, token=load_or_create_token(data_dir)), port=0)
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=server.url) as client:
            ok = await client.get("/api/agentic/scheduler/jobs", headers={
                "Authorization": "Bearer from-the-environment-0123456789"})
            assert ok.status_code == 200
            refused = await client.get("/api/agentic/scheduler/jobs", headers={
                "Authorization": f"Bearer {file_token}"})
            assert refused.status_code == 401
    finally:
        await server.stop()
        parts["db"].close()  # type: ignore[attr-defined]


@pytest.mark.asyncio
async def test_serve_on_port_zero_reports_the_port_and_leaves_signals_alone(
        data_dir: Path) -> None:
    service, parts = build_service(data_dir)
    app = build_app(service, token="t" * 32, version="9.9")
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    ready = asyncio.Event()
    task = asyncio.create_task(serve(app, port=0, ready=ready))
    await asyncio.wait_for(ready.wait(), 10)
    port = app.state.bound_port
    assert isinstance(port, int) and port > 0
    assert {s: signal.getsignal(s) for s in handlers} == handlers
    async with httpx.AsyncClient() as client:
        health = await client.get(f"http://127.0.0.1:{port}/health")
    assert health.json() == {"status": "ok", "version": "9.9"}
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert app.state.bound_port is None
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient() as client:
            await client.get(f"http://127.0.0.1:{port}/health")
    assert {s: signal.getsignal(s) for s in handlers} == handlers
    parts["db"].close()  # type: ignore[attr-defined]


@pytest.mark.asyncio
async def test_busy_port_is_a_clear_user_error(data_dir: Path) -> None:
    service, parts = build_service(data_dir)
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    try:
        server = ApiServer(build_app(service, token="t" * 32), port=blocker.getsockname()[1])
        with pytest.raises(UserError, match="in use"):
            await server.start()
    finally:
        blocker.close()
        parts["db"].close()  # type: ignore[attr-defined]


@pytest.mark.asyncio
async def test_unexpected_errors_are_a_generic_500_and_logged(
        api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> None:
        raise RuntimeError("internal detail that must not leak")

    monkeypatch.setattr(api.service, "queue_status", broken)
    caplog.set_level(logging.ERROR)
    response = await api.client.get("/api/agentic/scheduler/queue/status")
    assert response.status_code == 500
    assert "internal detail" not in response.text
    assert any("internal detail" in (r.exc_text or "") or r.exc_info for r in caplog.records)
    # the server keeps serving
    assert (await api.anon.get("/health")).status_code == 200
