"""The dependency rule of DESIGN.md §3, checked by import-linter's contracts in pyproject."""

from __future__ import annotations

import shutil
import subprocess

from tests.conftest import ROOT


def test_import_contracts_hold() -> None:
    exe = shutil.which("lint-imports")
    assert exe, "import-linter is a dev dependency: run `uv sync`"
    proc = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "BROKEN" not in proc.stdout and "KEPT" in proc.stdout
