"""Who may write a run store, and whose temporary entries are whose.

One `mesaopt run` at a time writes a store: it holds an exclusive `flock` on `<store>/.lock` for the whole sweep, and
a second one waits for it (saying who holds it). The kernel drops the lock when its holder dies, however it dies,
so a killed sweep never leaves the store locked. Readers (`report`, `results`, `status`) take no lock: every write
is a rename into place, so they see the old file or the new one.

Temporary entries are named `.tmp-p<pid>-...` after the process that made them; only entries whose process is gone
are stale and may be removed, so a reader's half-written catalog is never deleted under it.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

TMP_PREFIX = ".tmp-"
LOCK_FILE = ".lock"
_OWNER = re.compile(r"\.tmp-p(\d+)-")


def tmp_name(name: str) -> str:
    """A temporary entry's name for `name`, owned by this process."""
    return f"{TMP_PREFIX}p{os.getpid()}-{name}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def is_stale(entry: Path) -> bool:
    """A temporary entry whose owner is dead (or whose name names no owner: left by an older mesaopt)."""
    match = _OWNER.match(entry.name)
    if match is None:
        return True
    pid = int(match.group(1))
    return pid != os.getpid() and not _alive(pid)


def _holder(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


@contextmanager
def store_lock(root: Path, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the store's writer lock; while another process holds it, call `on_wait` once with who, then wait."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                holder = _holder(path)
                who = f"process {holder.get('pid', '?')} (since {holder.get('since', '?')})"
                on_wait(f"the run store {root} is being written by {who}; waiting for it to finish")
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        info = {"pid": os.getpid(), "since": datetime.now(UTC).isoformat(timespec="seconds")}
        os.pwrite(fd, json.dumps(info).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock on `path` (created if absent) for a short read-modify-write of a file beside it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
