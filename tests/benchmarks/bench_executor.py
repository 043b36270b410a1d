"""Executor benchmarks (issue 2). Prints a table; not a test.

    uv run python tests/benchmarks/bench_executor.py

- executor overhead per node: a chain of trivial nodes (the node's own work is one float add),
  total run time divided by the node count; target ≤ 100 µs.
- Daily Morning Strategy end to end on the simulated market with the paper broker and a real
  SQLite store (validation, candles, RSI, risk nodes, order, notify, execution records);
  target ≤ 10 ms. The seed reported "< 5 s average".
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from agentic_desktop.app import build_services  # noqa: E402
from agentic_desktop.domain import workflow as wf  # noqa: E402
from tests.engine.graph_kit import chain, kit_registry  # noqa: E402


class _Clock:
    def now(self):  # type: ignore[no-untyped-def]
        from datetime import UTC, datetime
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


async def overhead_per_node_us(nodes: int = 200, repeats: int = 30) -> float:
    from agentic_desktop.engine.executor import Executor

    edge: object = object()
    executor = Executor(catalog=kit_registry(), market=edge, broker=edge,  # type: ignore[arg-type]
                        notifier=edge, clock=_Clock())  # type: ignore[arg-type]
    w = chain("t.const", *["t.add"] * (nodes - 1))
    await executor.run(w)
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        await executor.run(w, validate=False)
        samples.append((time.perf_counter() - t0) / nodes * 1e6)
    return statistics.median(samples)


async def daily_morning_ms(repeats: int = 50, *, signal: bool) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        services = build_services(Path(tmp))
        path = ROOT / "resources/examples/01_daily_morning_strategy.json"
        w = wf.loads(path.read_text())
        if signal:  # RSI < 100 always holds: every run sizes, places an order and notifies
            w = wf.from_json({**w.to_json(), "nodes": [
                {**n, "params": {**n["params"], "value": 100.0}} if n["id"] == "oversold" else n
                for n in w.to_json()["nodes"]]})
        await services.executor.run(w)  # warm caches (TA-Lib import, SQL statements)
        samples = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            result = await services.executor.run(w)
            samples.append((time.perf_counter() - t0) * 1000)
            assert result.status == "completed", result.error
        services.close()
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main() -> None:
    overhead = asyncio.run(overhead_per_node_us())
    quiet = asyncio.run(daily_morning_ms(signal=False))
    trading = asyncio.run(daily_morning_ms(signal=True))
    print("| What | Figure | Target |")
    print("|---|---|---|")
    print(f"| Executor overhead per node (200-node chain, median of 30) | {overhead:.1f} µs "
          "| ≤ 100 µs |")
    print(f"| Daily Morning Strategy, no signal (order branch skipped), p50 / p95 of 50 | "
          f"{quiet[0]:.2f} ms / {quiet[1]:.2f} ms | ≤ 10 ms |")
    print(f"| Daily Morning Strategy, signal (places a paper order, notifies), p50 / p95 of 50 | "
          f"{trading[0]:.2f} ms / {trading[1]:.2f} ms | ≤ 10 ms |")


if __name__ == "__main__":
    main()
