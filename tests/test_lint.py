"""Ruff over the whole tree and mypy (strict on domain/ and engine/, per pyproject) run in the
suite, so CI fails on them like on a broken test."""

from __future__ import annotations

import shutil
import subprocess

from tests.conftest import ROOT


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which(args[0])
    assert exe, f"{args[0]} is a dev dependency: run `uv sync`"
    return subprocess.run([exe, *args[1:]], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_ruff_is_clean() -> None:
    proc = _run("ruff", "check", "agentic_desktop", "tests", "scripts", "main.py")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_strict_on_domain_and_engine() -> None:
    proc = _run("mypy", "agentic_desktop/domain", "agentic_desktop/engine")
    assert proc.returncode == 0, proc.stdout + proc.stderr
