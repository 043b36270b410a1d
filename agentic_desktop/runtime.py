"""The running engine: scheduler, workers, the scheduling use cases and the local API, on
top of the wired `Services`. Headless mode and the GUI start and stop the same object.

Part of the composition root (with app.py): it knows the adapters it starts.
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from datetime import timedelta

from agentic_desktop.domain.jobs import Limits
from agentic_desktop.domain.settings import AppSettings
from agentic_desktop.engine.broker_watch import BrokerWatch
from agentic_desktop.engine.scheduler import Scheduler
from agentic_desktop.engine.scheduling import SchedulingService, machine_timezone
from agentic_desktop.engine.workers import WorkerPool
from agentic_desktop.services import Services

log = logging.getLogger("agentic_desktop.runtime")


@dataclass(frozen=True, kw_only=True)
class ApiOptions:
    enabled: bool
    port: int
    version: str


class Runtime:
    def __init__(self, services: Services, *, workers: int | None = None) -> None:
        self.services = services
        self._settings = services.settings.load()
        s = services
        self.workers = WorkerPool(
            queue=s.queue, schedules=s.schedules, workflows=s.workflows, executor=s.executor,
            clock=s.clock, events=s.events, notifier=s.notifier, limits=self.limits,
            user_timezone=self.timezone,
            workers=workers or self._settings.limits.max_concurrent_per_user,
        )
        self.scheduler = Scheduler(
            schedules=s.schedules, queue=s.queue, clock=s.clock, events=s.events,
            market=s.market, on_enqueued=lambda job: self.workers.wake(),
        )
        self.scheduling = SchedulingService(
            schedules=s.schedules, queue=s.queue, workflows=s.workflows,
            executions=s.executions, secrets=s.secrets, clock=s.clock, events=s.events,
            scheduler=self.scheduler, workers=self.workers,
            symbols=lambda: [i.symbol for i in s.market.symbols()],
            default_timezone=self.timezone, limits=self.limits, catalog=s.catalog,
        )
        self.broker_watch = BrokerWatch(broker=s.broker, notifier=s.notifier)
        self._api: object | None = None
        self.api_url: str | None = None
        self.api_error: str | None = None
        self._started = False

    # Settings are read live: a change in Settings applies without a restart.
    @property
    def settings(self) -> AppSettings:
        return self._settings

    def reload_settings(self) -> AppSettings:
        self._settings = self.services.settings.load()
        return self._settings

    def limits(self) -> Limits:
        return self._settings.limits

    def timezone(self) -> str:
        return self._settings.default_timezone or machine_timezone()

    async def start(self, api: ApiOptions | None = None) -> None:
        """Start workers first (they recover expired leases), then the scheduler, then the
        API, so nothing is enqueued before something can run it."""
        await asyncio.to_thread(self._requeue_orphans)
        await self.workers.start()
        await self.scheduler.start()
        await self.broker_watch.start()
        self._started = True
        if api is not None and api.enabled:
            await self.start_api(api)

    def _requeue_orphans(self) -> None:
        """The caller holds the data-dir lock (one engine per data dir), so a job still marked
        running belongs to a process that died: re-queue it now instead of waiting for its
        lease to run out. Its idempotency key makes the re-run find orders already placed."""
        far = self.services.clock.now() + timedelta(days=36_500)
        orphans = self.services.queue.recover_expired(now=far)
        if orphans:
            log.warning("re-running %d job(s) interrupted when the app last stopped: %s",
                        len(orphans), ", ".join(str(j.id) for j in orphans))

    async def start_api(self, api: ApiOptions) -> None:
        from agentic_desktop.api.auth import load_or_create_token
        from agentic_desktop.api.server import ApiServer, build_app
        from agentic_desktop.domain.errors import UserError

        try:
            token = load_or_create_token(self.services.data_dir)
            server = ApiServer(build_app(self.scheduling, token=token, version=api.version),
                               port=api.port)
            await server.start()
        except UserError as exc:
            # The engine keeps running without the API; the reason is shown, not hidden.
            self.api_error = str(exc)
            log.error("local API not started: %s", exc)
            return
        self._api = server
        self.api_url = server.url
        self.api_error = None

    async def stop_api(self) -> None:
        server, self._api, self.api_url = self._api, None, None
        if server is not None:
            await server.stop()  # type: ignore[attr-defined]

    async def apply_settings(self, settings: AppSettings, *, version: str) -> str:
        """Save and apply settings to the running engine. Returns what needs a restart."""
        self.services.settings.save(settings)
        old = self._settings
        self._settings = self.services.settings.load()
        later: list[str] = []
        if self._settings.limits.max_concurrent_per_user > old.limits.max_concurrent_per_user:
            later.append("more concurrent runs than the worker pool started with")
        api_changed = (old.api_enabled, old.api_port) != (self._settings.api_enabled,
                                                         self._settings.api_port)
        if self._started and api_changed:
            await self.stop_api()
            if self._settings.api_enabled:
                await self.start_api(ApiOptions(enabled=True, port=self._settings.api_port,
                                                version=version))
                if self.api_error:
                    later.append(f"the API: {self.api_error}")
        return "; ".join(later)

    def api_token(self) -> str:
        from agentic_desktop.api.auth import load_or_create_token

        return load_or_create_token(self.services.data_dir)

    async def regenerate_api_token(self, *, version: str) -> str:
        """A new random token; the old one stops working at once (the API restarts)."""
        from agentic_desktop.api.auth import load_or_create_token, token_path
        from agentic_desktop.config import ENV_API_TOKEN
        from agentic_desktop.domain.errors import UserError

        if os.environ.get(ENV_API_TOKEN):
            raise UserError(f"the token comes from ${ENV_API_TOKEN}: change it there")
        token_path(self.services.data_dir).unlink(missing_ok=True)
        token = load_or_create_token(self.services.data_dir)
        if self._api is not None:
            await self.stop_api()
            await self.start_api(ApiOptions(enabled=True, port=self._settings.api_port,
                                            version=version))
        return token

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Stop taking new work, give running jobs `grace_seconds`, then release them."""
        if not self._started:
            return
        self._started = False
        await self.stop_api()
        await self.broker_watch.stop()
        await self.scheduler.stop()
        await self.workers.stop(grace_seconds)
