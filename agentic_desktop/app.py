"""Composition root: builds every part, wires them together and starts the program.

The only module that knows every package (DESIGN.md §3). Everything else receives its
dependencies from here.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import logging.handlers
import signal
import sys
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from agentic_desktop import cli
from agentic_desktop.config import resolve_api_port, resolve_data_dir
from agentic_desktop.domain import workflow as wf
from agentic_desktop.domain.errors import UserError
from agentic_desktop.domain.runs import ExecutionResult
from agentic_desktop.domain.settings import AppSettings
from agentic_desktop.engine.clock import SystemClock
from agentic_desktop.engine.events import EventBus
from agentic_desktop.engine.executor import Executor
from agentic_desktop.engine.notifier import ChannelNotifier
from agentic_desktop.engine.ports import Clock, NodeCatalog, SecretStore
from agentic_desktop.services import Services

if TYPE_CHECKING:
    from agentic_desktop.runtime import ApiOptions, Runtime

log = logging.getLogger("agentic_desktop")
RESOURCES = Path(__file__).resolve().parent.parent / "resources"
EXAMPLES_MARKER = "examples-installed"


def version() -> str:
    try:
        return metadata.version("agentic-desktop")
    except metadata.PackageNotFoundError:
        return "0.0.0+local"


def build_services(data_dir: Path, *, clock: Clock | None = None,
                   catalog: NodeCatalog | None = None) -> Services:
    # Adapters are imported here, not at module top, so `--help` stays fast.
    from agentic_desktop.brokers.paper import PaperBroker
    from agentic_desktop.market import ImportedFirstMarket, SimulatedMarket
    from agentic_desktop.nodes.registry import build_catalog
    from agentic_desktop.store.db import open_database
    from agentic_desktop.store.job_repositories import SqlJobQueueRepository
    from agentic_desktop.store.ledger import SqlPaperLedger
    from agentic_desktop.store.repositories import (
        SqlCandleRepository,
        SqlExecutionRepository,
        SqlWorkflowRepository,
    )
    from agentic_desktop.store.schedule_repositories import SqlScheduleRepository
    from agentic_desktop.store.secrets import open_secret_store
    from agentic_desktop.store.settings_repository import SqlSettingsRepository

    clock = clock or SystemClock()
    db = open_database(data_dir)
    candles = SqlCandleRepository(db)
    market = ImportedFirstMarket(SimulatedMarket(clock), candles, clock=clock)
    ledger = SqlPaperLedger(db)
    broker = PaperBroker(market, ledger, clock)
    events = EventBus()
    # Probing the system keyring costs ~0.2 s (dbus): done on first use, not at start-up.
    secrets = _LazySecretStore(lambda: open_secret_store(data_dir))
    notifier = ChannelNotifier(apprise_urls=lambda: _apprise_urls(secrets))
    catalog = catalog or build_catalog()
    executions = SqlExecutionRepository(db)
    executor = Executor(catalog=catalog, market=market, broker=broker, notifier=notifier,
                        clock=clock, events=events, executions=executions)
    services = Services(
        data_dir=data_dir, clock=clock, catalog=catalog, workflows=SqlWorkflowRepository(db),
        executions=executions, candles=candles, market=market, broker=broker,
        notifier=notifier, events=events, executor=executor,
        schedules=SqlScheduleRepository(db), queue=SqlJobQueueRepository(db),
        settings=SqlSettingsRepository(db), secrets=secrets, paper_ledger=ledger,
        close=db.close,
    )
    install_examples(services)
    return services


APPRISE_SECRET = "notifications:apprise_urls"  # noqa: S105 - a key name


class _LazySecretStore:
    """A SecretStore that opens the real one (keyring probe or 0600 file) on first use."""

    def __init__(self, open_store: Callable[[], SecretStore]) -> None:
        self._open = open_store
        self._store: SecretStore | None = None

    def _real(self) -> SecretStore:
        if self._store is None:
            self._store = self._open()
        return self._store

    def get(self, name: str) -> str | None:
        return self._real().get(name)

    def set(self, name: str, value: str) -> None:
        self._real().set(name, value)

    def delete(self, name: str) -> None:
        self._real().delete(name)

    def describe(self) -> str:
        return self._real().describe()


def _apprise_urls(secrets: SecretStore) -> list[str]:
    """Apprise URLs hold tokens: kept in the secret store, one per line."""
    raw = secrets.get(APPRISE_SECRET) or ""
    return [line.strip() for line in raw.splitlines() if line.strip()]


async def test_apprise(urls: list[str]) -> str:
    """Send a test message to `urls`; '' when delivered, else why not (never the URL)."""
    from agentic_desktop.domain.trading import Notification

    notifier = ChannelNotifier(apprise_urls=lambda: urls)
    failed = await notifier.notify(Notification(
        title="Agentic Desktop", message="Test notification: this channel works.",
        channels=("apprise",)))
    return "" if not failed else "delivery failed: check the URLs (details in the log)"


def install_examples(services: Services) -> None:
    """A fresh data dir gets the seed's three use cases as workflows 1, 2 and 3 (the seed's
    API examples refer to workflow_id 1). Only once: a trader who deletes them keeps them
    deleted."""
    marker = services.data_dir / EXAMPLES_MARKER
    if marker.exists():
        return
    for path in sorted((RESOURCES / "examples").glob("*.json")):
        workflow = wf.loads(path.read_text(encoding="utf-8"), source=str(path))
        if services.workflows.find_by_name(workflow.name) is None:
            services.workflows.add(workflow)
    marker.write_text("examples installed; delete this file to install them again\n")


class _NoTraceback(logging.Formatter):
    """The terminal gets one line per problem; tracebacks go to the log file only."""

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info or record.exc_text:
            record = logging.makeLogRecord({**record.__dict__, "exc_info": None,
                                            "exc_text": None})
        return super().format(record)


def setup_logging(data_dir: Path | None, *, verbose: bool) -> None:
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setLevel(logging.INFO if verbose else logging.WARNING)
    stderr.setFormatter(_NoTraceback("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    stderr.addFilter(lambda record: not getattr(record, "file_only", False))
    root.addHandler(stderr)
    # Migration chatter is not news for the user; failures still come through as errors.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if data_dir is not None:
        logs = data_dir / "logs"
        logs.mkdir(exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            logs / "agentic-desktop.log", maxBytes=2_000_000, backupCount=5, encoding="utf-8")
        handler.setFormatter(logging.Formatter(
            "%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = cli.build_parser().parse_args(argv)
    data_dir: Path | None = None
    try:
        data_dir = resolve_data_dir(args.data_dir)
        if args.command is None:
            setup_logging(data_dir, verbose=args.headless)
            if args.headless:
                return run_headless(data_dir, args)
            return run_gui(data_dir, argv)
        setup_logging(data_dir, verbose=False)
        if args.command == "api-token":
            from agentic_desktop.api.auth import load_or_create_token

            print(load_or_create_token(data_dir))
            return 0
        services = build_services(data_dir)
        try:
            return cli.guarded(cli.dispatch, args, services)
        finally:
            services.close()
    except UserError as exc:
        return cli.fail(str(exc))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # last line of defence: one line for the user, details in the log
        log.exception("unexpected error", extra={"file_only": True})
        where = f"; details in {data_dir / 'logs' / 'agentic-desktop.log'}" if data_dir else ""
        return cli.fail(f"internal error: {type(exc).__name__}: {exc}{where}", 70)


def run_headless(data_dir: Path, args: argparse.Namespace, *,
                 catalog: NodeCatalog | None = None) -> int:
    """The scheduler, workers and API without a window, until SIGINT or SIGTERM.
    `catalog` lets the crash tests add a slow node type; the app passes None."""
    from agentic_desktop.instance_lock import DataDirLock

    lock = DataDirLock(data_dir)
    if not lock.acquire():
        pid = lock.holder_pid()
        return cli.fail(
            f"another Agentic Desktop{f' (pid {pid})' if pid else ''} is already running on "
            f"data dir {data_dir}: stop it first, or use another --data-dir")
    try:
        services = build_services(data_dir, catalog=catalog)
        try:
            return asyncio.run(_headless_main(services, args))
        finally:
            services.close()
    finally:
        lock.release()


async def _headless_main(services: Services, args: argparse.Namespace) -> int:
    from agentic_desktop.runtime import Runtime

    runtime = Runtime(services)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # Windows: Ctrl+C raises instead
            pass
    await runtime.start(api_options(runtime, args.api_port))
    if runtime.api_error and args.api_port is not None:
        await runtime.stop()
        return cli.fail(runtime.api_error)
    log.info("headless: engine running on %s; API %s", services.data_dir,
             runtime.api_url or "off")
    try:
        await stop.wait()
    finally:
        log.info("headless: shutting down (finishing running jobs)")
        await runtime.stop(grace_seconds=10.0)
    return 0


def api_options(runtime: Runtime, cli_port: int | None) -> ApiOptions:
    from agentic_desktop.runtime import ApiOptions

    settings = runtime.settings
    port = resolve_api_port(cli_port, default=settings.api_port)
    # An explicit --api-port means "serve the API", whatever Settings say.
    return ApiOptions(enabled=settings.api_enabled or cli_port is not None, port=port,
                      version=version())


def run_gui(data_dir: Path, argv: list[str]) -> int:
    from agentic_desktop.instance_lock import DataDirLock
    from agentic_desktop.runtime import Runtime
    from agentic_desktop.ui.app_main import run_gui as start_window
    from agentic_desktop.ui.services import EngineAdmin, UiServices

    lock = DataDirLock(data_dir)

    def make_services() -> UiServices:
        services = build_services(data_dir)
        runtime = Runtime(services)

        async def run_workflow(workflow: wf.Workflow, workflow_id: int | None,
                               run_key: str) -> ExecutionResult:
            return await services.executor.run(workflow, workflow_id=workflow_id,
                                               idempotency_key=run_key)

        async def start_engine() -> None:
            if not lock.acquire():
                pid = lock.holder_pid()
                raise UserError(
                    f"another Agentic Desktop{f' (pid {pid})' if pid else ''} runs the "
                    f"scheduler for {data_dir}. The editor works here; schedules run there. "
                    "Stop the other one and restart to run them here.")
            # After the first frame, the slow parts run in a thread so the window answers
            # meanwhile: the keyring probe (dbus) and the web stack's imports.
            await asyncio.to_thread(services.secrets.describe)
            options = api_options(runtime, None)
            if options.enabled:
                await asyncio.to_thread(importlib.import_module, "agentic_desktop.api.server")
            await runtime.start(options)

        async def stop_engine() -> None:
            try:
                await runtime.stop(grace_seconds=10.0)
            finally:
                lock.release()
                services.close()

        async def apply_settings(settings: AppSettings) -> str:
            return await runtime.apply_settings(settings, version=version())

        async def regenerate_api_token() -> str:
            return await runtime.regenerate_api_token(version=version())

        engine = EngineAdmin(
            scheduling=runtime.scheduling, executions=services.executions,
            market=services.market, broker=services.broker, settings=services.settings,
            apply_settings=apply_settings, secrets=services.secrets,
            apprise_secret_key=APPRISE_SECRET, notifier=services.notifier,
            paper_account=services.paper_ledger, api_token=runtime.api_token,
            regenerate_api_token=regenerate_api_token, test_apprise=test_apprise,
        )
        return UiServices(
            catalog=services.catalog, workflows=services.workflows, run_workflow=run_workflow,
            events=services.events,
            symbols=lambda: [s.symbol for s in services.market.symbols()],
            data_dir=data_dir, version=version(), api_address=lambda: runtime.api_url,
            start_engine=start_engine, stop_engine=stop_engine, engine=engine,
        )

    return start_window(make_services, data_dir=data_dir, argv=argv)
