"""The real headless process with one extra node type (`t.sleep`) so a test can hold jobs
in flight and `kill -9` it mid-run. Usage: python tests/crash_harness.py DATA_DIR PORT"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agentic_desktop import app  # noqa: E402
from agentic_desktop.nodes.registry import build_catalog  # noqa: E402
from tests.engine.graph_kit import sleep  # noqa: E402


def main() -> int:
    data_dir, port = Path(sys.argv[1]), int(sys.argv[2])
    catalog = build_catalog()
    catalog.add(sleep)
    app.setup_logging(data_dir, verbose=True)
    return app.run_headless(data_dir, argparse.Namespace(api_port=port), catalog=catalog)


if __name__ == "__main__":
    raise SystemExit(main())
