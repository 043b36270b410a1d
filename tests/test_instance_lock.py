from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from agentic_desktop.instance_lock import DataDirLock

HOLD = """
import sys, time
from pathlib import Path
from agentic_desktop.instance_lock import DataDirLock
lock = DataDirLock(Path(sys.argv[1]))
print("locked" if lock.acquire() else "refused", flush=True)
time.sleep(60)
"""


def test_second_process_is_refused_and_lock_survives_kill_9(data_dir: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(data_dir)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        mine = DataDirLock(data_dir)
        assert not mine.acquire()
        assert mine.holder_pid() == holder.pid
    finally:
        holder.kill()  # SIGKILL: no cleanup code runs in the holder
        holder.wait()
    deadline = time.monotonic() + 5
    mine = DataDirLock(data_dir)
    while not mine.acquire():
        assert time.monotonic() < deadline, "lock not released by the OS after kill -9"
        time.sleep(0.05)
    mine.release()
