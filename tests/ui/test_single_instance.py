"""Two real processes on one data dir: the second hands over to the first and exits."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

PROBE = Path(__file__).with_name("single_instance_probe.py")
ROOT = Path(__file__).resolve().parents[2]


def _start(data_dir: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, str(PROBE), str(data_dir)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={"QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT),
                                 "PATH": "/usr/bin:/bin"})


def test_second_launch_raises_the_first_and_exits(data_dir: Path) -> None:
    first = _start(data_dir)
    try:
        assert first.stdout is not None
        assert first.stdout.readline().strip() == "primary"
        started = time.monotonic()
        second = subprocess.run([sys.executable, str(PROBE), str(data_dir)], cwd=ROOT,
                                capture_output=True, text=True, timeout=15,
                                env={"QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT),
                                     "PATH": "/usr/bin:/bin"})
        assert second.stdout.strip() == "secondary", second.stderr
        assert second.returncode == 0
        assert time.monotonic() - started < 5
        assert first.stdout.readline().strip() == "raised"
        assert first.wait(timeout=10) == 0
    finally:
        if first.poll() is None:
            first.kill()


def test_other_data_dir_is_its_own_primary(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    first = _start(a)
    try:
        assert first.stdout is not None
        assert first.stdout.readline().strip() == "primary"
        other = _start(b)
        assert other.stdout is not None
        assert other.stdout.readline().strip() == "primary"
        other.kill()
        other.wait()
    finally:
        first.kill()
        first.wait()
