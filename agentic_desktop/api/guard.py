"""The outermost layer of the local API (pure ASGI, before any routing or body parsing):

- Bearer token on everything but `GET /health` and the webhook routes → 401;
- request bodies over the limit → 413, judged by Content-Length AND by the bytes actually
  received (a chunked body cannot slip past), before the app sees any of it;
- an access log line per request WITHOUT the query string (a webhook secret may be in it);
- anything unexpected → a generic 500 (details in the log, never in the answer).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from agentic_desktop.api.auth import bearer_matches

log = logging.getLogger("agentic_desktop.api")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

WEBHOOK_PREFIX = "/api/agentic/webhooks/"
DRAIN_LIMIT_BYTES = 1024 * 1024  # past this a refused body is not read: the connection closes


def is_public(method: str, path: str) -> bool:
    return (method in ("GET", "HEAD") and path == "/health") or path.startswith(WEBHOOK_PREFIX)


async def send_json(send: Send, status: int, body: dict[str, Any],
                    headers: list[tuple[bytes, bytes]] | None = None) -> None:
    data = json.dumps(body).encode("utf-8")
    await send({
        "type": "http.response.start", "status": status,
        "headers": [(b"content-type", b"application/json"),
                    (b"content-length", str(len(data)).encode()), *(headers or [])],
    })
    await send({"type": "http.response.body", "body": data})


class Guard:
    def __init__(self, app: ASGIApp, *, token: str, max_body_bytes: int) -> None:
        self.app = app
        self.token = token
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        started = time.perf_counter()
        state = {"status": 0}

        async def send_logged(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
            await send(message)

        try:
            await self._handle(scope, receive, send_logged, method, path)
        except Exception:
            log.exception("%s %s failed", method, path)
            if state["status"] == 0:
                await send_json(send_logged, 500, {
                    "detail": "internal error: the request was not completed; see the log"})
        finally:
            log.info("%s %s -> %s (%.1f ms)", method, path, state["status"] or "-",
                     (time.perf_counter() - started) * 1000)

    async def _handle(self, scope: Scope, receive: Receive, send: Send, method: str,
                      path: str) -> None:
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        if not is_public(method, path):
            auth = headers.get(b"authorization", b"").decode("latin-1")
            if not bearer_matches(auth, self.token):
                await send_json(send, 401, {
                    "detail": "missing or wrong API token: send 'Authorization: Bearer <token>' "
                              "(see `agentic-desktop api-token`)"},
                    [(b"www-authenticate", b'Bearer realm="agentic-desktop"')])
                return
        declared = headers.get(b"content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                await send_json(send, 400, {"detail": "invalid Content-Length header"})
                return
            if int(declared) > self.max_body_bytes:
                if int(declared) <= DRAIN_LIMIT_BYTES:
                    await self._drain(receive, 0)
                await self._too_large(send)
                return
        body, complete = await self._read_body(receive)
        if not complete:
            await self._too_large(send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _read_body(self, receive: Receive) -> tuple[bytes, bool]:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return b"".join(chunks), True
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                if message.get("more_body", False):
                    await self._drain(receive, size)
                return b"", False
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks), True

    async def _drain(self, receive: Receive, size: int) -> None:
        """Read and drop the rest of a refused body (up to a bound), so the client, still
        sending, gets to read the 413 instead of a connection reset."""
        while size <= DRAIN_LIMIT_BYTES:
            message = await receive()
            if message["type"] == "http.disconnect" or not message.get("more_body", False):
                return
            size += len(message.get("body", b""))

    async def _too_large(self, send: Send) -> None:
        await send_json(send, 413, {
            "detail": f"request body is larger than {self.max_body_bytes // 1024} KiB"},
            [(b"connection", b"close")])
