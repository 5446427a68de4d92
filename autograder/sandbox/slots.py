"""Sandbox slots: one grading at a time per worker uid.

A worker of slot N runs as uid ``Sandbox.worker_uid_base + N`` when the grader
is root, and RLIMIT_NPROC counts the processes of that uid: two gradings that
shared a slot would share one process budget (a fork bomb in one would fail the
other) and could signal each other's workers.  :func:`acquire_slot` hands out
a slot nobody else on this machine holds, by an exclusive ``flock`` on one lock
file a slot (the kernel drops the lock when the holder exits, however it dies).

The lock files live in a directory only the grader's uid can enter, so a worker
(another uid) cannot take or hold slots even where it can write to ``/tmp``.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import tempfile
import time
from pathlib import Path
from typing import Iterator

WAIT_SECONDS = 600.0
POLL_SECONDS = 0.2
# Slots `autograder grade` picks from when no slot is given (grade-all uses 100 and up).
GRADE_SLOT_BASE = 1
GRADE_SLOT_COUNT = 99


class NoFreeSlot(RuntimeError):
    """Every slot in the range stayed taken for the whole wait."""


def slot_lock_dir() -> Path:
    """``/run/autograder-slots-<uid>`` for root, else ``$TMPDIR/autograder-slots-<uid>``; mode 0700.

    Refuses a directory someone else made (or a symlink): a worker that
    pre-created it could otherwise hold every slot.
    """
    uid = os.getuid()
    base = Path("/run") if uid == 0 and os.access("/run", os.W_OK) else Path(tempfile.gettempdir())
    d = base / f"autograder-slots-{uid}"
    with contextlib.suppress(FileExistsError):
        d.mkdir(mode=0o700)
    st = os.lstat(d)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != uid or st.st_mode & 0o077:
        raise RuntimeError(f"{d} is not a private directory of uid {uid}; remove it and retry")
    return d


@contextlib.contextmanager
def acquire_slot(base: int, count: int, *, wait: float = WAIT_SECONDS,
                 lock_dir: Path | None = None) -> Iterator[int]:
    """Hold the first free slot of ``base .. base + count - 1`` for the ``with`` block.

    Waits (polling) up to ``wait`` seconds for one to come free, then raises
    :class:`NoFreeSlot`.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    directory = Path(lock_dir) if lock_dir is not None else slot_lock_dir()
    deadline = time.monotonic() + wait
    while True:
        for slot in range(base, base + count):
            fd = os.open(directory / f"slot-{slot}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue
            try:
                yield slot
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
            return
        if time.monotonic() > deadline:
            raise NoFreeSlot(f"no free sandbox slot in {base}..{base + count - 1} after {wait:g} s")
        time.sleep(POLL_SECONDS)


__all__ = ["GRADE_SLOT_BASE", "GRADE_SLOT_COUNT", "NoFreeSlot", "acquire_slot", "slot_lock_dir"]
