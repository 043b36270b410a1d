"""History benchmark (a script, not a test): prints a table.

    uv run python tests/benchmarks/bench_history.py [rows]

Over a real SQLite store with 100,000 executions (execution_metrics for each, node runs for
the newest 2,000), offscreen:

- opening the History page: from the navigation click to the first page of rows in the
  table and painted, the first time in the process (pyqtgraph not imported yet: the detail
  pane and charts follow once a worker thread has imported it) and again (a filter change);
  target < 300 ms;
- each fetchMore page (200 rows, keyset) from the request to the rows in the model;
- the longest GUI stall (event-loop gap) while opening and paging (the first paint of the
  pyqtgraph charts is most of it when opening);
- the store queries behind it (median of 20).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import qasync  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from agentic_desktop.engine.ports import ExecutionFilter  # noqa: E402
from agentic_desktop.ui.main_window import MainWindow  # noqa: E402
from agentic_desktop.ui.settings import open_settings  # noqa: E402
from agentic_desktop.ui.theme import apply_theme  # noqa: E402
from tests.store.execution_seed import T0, seed_executions  # noqa: E402
from tests.ui.services_kit import build_kit  # noqa: E402

TARGET_OPEN_MS = 300.0


class StallMeter:
    """The longest gap between 2 ms timer callbacks on the loop: how long the GUI froze."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._last = time.perf_counter()
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(0.002)
            now = time.perf_counter()
            self.worst = max(self.worst, now - self._last)
            self._last = now

    def start(self) -> None:
        self.worst, self._last = 0.0, time.perf_counter()
        self._task = asyncio.ensure_future(self._run())

    def stop(self) -> float:
        if self._task is not None:
            self._task.cancel()
        return self.worst * 1000


async def until(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0)


def median_ms(fn: Callable[[], Any], runs: int = 20) -> str:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return f"{statistics.median(samples):.1f} ms (max {max(samples):.1f})"


async def bench(app: QApplication, rows: int) -> list[tuple[str, str, str]]:
    table: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        kit = build_kit(Path(tmp), seed_examples=True, engine=True)
        names = [(s.id, s.workflow.name) for s in kit.services.workflows.list()]
        t0 = time.perf_counter()
        seed_executions(kit.db, rows, workflows=names, node_runs_for_last=2000)
        table.append((f"seed {rows:,} executions (+ metrics, 8,000 node runs)",
                      f"{time.perf_counter() - t0:.1f} s", ""))
        apply_theme(app, "dark")
        window = MainWindow(kit.services, open_settings(Path(tmp)), lambda: None)
        window.resize(1440, 900)
        window.show()
        await asyncio.sleep(0.2)
        view, model = window.history_view, window.history_view.model
        meter = StallMeter()

        meter.start()
        t0 = time.perf_counter()
        window.show_area("History")
        await until(lambda: model.pages_fetched == 1)
        view.repaint()  # paint synchronously (no nested event processing in a coroutine)
        first_open = (time.perf_counter() - t0) * 1000
        await until(lambda: model.total is not None and view.charts is not None
                    and view.charts.data is not None)
        everything = (time.perf_counter() - t0) * 1000
        stall_open = meter.stop()
        table.append(("open History, first time in the process: page 1 shown",
                      f"{first_open:.0f} ms", f"< {TARGET_OPEN_MS:.0f} ms"))
        table.append(("  … then count, detail pane and 3 charts (pyqtgraph imported in a "
                      "thread)", f"{everything:.0f} ms", ""))
        table.append(("  rows in the model after opening", f"{model.rowCount()}",
                      "one page (200)"))

        again = []
        for _ in range(5):
            t0 = time.perf_counter()
            view.apply_filters()
            await until(lambda: model.pages_fetched == 1 and not model.loading)
            view.repaint()
            again.append((time.perf_counter() - t0) * 1000)
            await until(lambda: model.total is not None)
        table.append(("re-open / filter change to page 1 shown, median of 5",
                      f"{statistics.median(again):.0f} ms", f"< {TARGET_OPEN_MS:.0f} ms"))

        meter.start()
        pages = []
        for _ in range(25):
            before = model.pages_fetched
            t0 = time.perf_counter()
            model.fetchMore()
            await until(lambda b=before: model.pages_fetched == b + 1)  # type: ignore[misc]
            pages.append((time.perf_counter() - t0) * 1000)
        stall_pages = meter.stop()
        table.append(("fetchMore page (200 rows), median of 25",
                      f"{statistics.median(pages):.1f} ms",
                      f"p95 {sorted(pages)[int(len(pages) * 0.95) - 1]:.1f} ms"))
        table.append(("longest GUI stall while opening / paging",
                      f"{stall_open:.0f} ms / {stall_pages:.0f} ms", "one frame ≈ 16 ms"))

        # The app preloads pyqtgraph 1.5 s after start: a History opened after that builds
        # its charts from loaded modules. A second window measures that case.
        other = MainWindow(kit.services, open_settings(Path(tmp)), lambda: None)
        other.resize(1440, 900)
        other.show()
        await asyncio.sleep(0.3)
        meter.start()
        t0 = time.perf_counter()
        other.show_area("History")
        second = other.history_view
        await until(lambda: second.model.pages_fetched == 1)
        second.repaint()
        shown = (time.perf_counter() - t0) * 1000
        await until(lambda: second.charts is not None and second.charts.data is not None)
        await asyncio.sleep(0.1)
        table.append(("open History with pyqtgraph preloaded: page 1 shown / longest stall",
                      f"{shown:.0f} ms / {meter.stop():.0f} ms", f"< {TARGET_OPEN_MS:.0f} ms"))
        await other.bridge.cancel_all()
        other.close_for_quit()

        repo = kit.services.engine.executions  # type: ignore[union-attr]
        every = ExecutionFilter()
        failed = ExecutionFilter(status="failed")
        week = ExecutionFilter(started_from=T0, started_before=T0.replace(day=8))
        table.append(("store: page 1 / page at id 50,000",
                      median_ms(lambda: repo.page(every, limit=200)) + " / "
                      + median_ms(lambda: repo.page(every, limit=200, before_id=rows // 2)),
                      ""))
        table.append(("store: count all / failed / one week",
                      " / ".join(median_ms(lambda f=f: repo.count(f), 10)  # type: ignore[misc]
                                 for f in (every, failed, week)), ""))
        table.append(("store: duration series (1,000) / daily outcomes (30 d) / node types",
                      " / ".join((median_ms(lambda: repo.duration_series(every, limit=1000), 10),
                                  median_ms(lambda: repo.daily_outcomes(every, days=30), 10),
                                  median_ms(lambda: repo.time_per_node_type(every, last=1000),
                                            10))), ""))
        await window.bridge.cancel_all()
        window.close_for_quit()
        kit.db.close()
    return table


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        table = loop.run_until_complete(bench(app, rows))
    width = max(len(r[0]) for r in table)
    print(f"\nHistory benchmark ({rows:,} executions, offscreen, {sys.platform})\n")
    print(f"{'measure':<{width}}  {'result':<44}  target/note")
    print(f"{'-' * width}  {'-' * 44}  {'-' * 16}")
    for name, value, note in table:
        print(f"{name:<{width}}  {value:<44}  {note}")


if __name__ == "__main__":
    main()
