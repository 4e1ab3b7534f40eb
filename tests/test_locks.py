"""The store's writer lock: a second writer waits and is told who holds the lock."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from mesaopt.locks import store_lock


def test_a_second_writer_waits_for_the_store_lock(tmp_path):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from mesaopt.locks import store_lock\n"
            "with store_lock(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(2)",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    waited = []
    with store_lock(tmp_path, on_wait=waited.append):
        assert json.loads((tmp_path / ".lock").read_text())["pid"] == os.getpid()
    assert len(waited) == 1 and f"process {holder.pid}" in waited[0]
    assert holder.wait(timeout=30) == 0
