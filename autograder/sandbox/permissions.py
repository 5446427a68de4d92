"""What another uid may do to host files, judged from their permission bits.

Without bubblewrap the worker sees the host's file system as its own
unprivileged uid, so whether it can read the hidden tests or rewrite the
grader's code depends only on ownership and mode bits.  The grader (root)
cannot ask the kernel "could uid 61000 open this?" without becoming that uid,
so these functions evaluate the classic POSIX rules: search permission on
every ancestor, then the owner/group/other bits of the file itself.  POSIX
ACLs and capabilities are not evaluated (the worker has no capabilities;
an ACL granting it access would be missed, hence "judged from their bits").
"""
from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Iterable

_BITS = {"r": (stat.S_IRUSR, stat.S_IRGRP, stat.S_IROTH),
         "w": (stat.S_IWUSR, stat.S_IWGRP, stat.S_IWOTH),
         "x": (stat.S_IXUSR, stat.S_IXGRP, stat.S_IXOTH)}


def _allowed(st: os.stat_result, uid: int, gid: int, want: str) -> bool:
    u, g, o = _BITS[want]
    if st.st_uid == uid:
        return bool(st.st_mode & u)
    if st.st_gid == gid:
        return bool(st.st_mode & g)
    return bool(st.st_mode & o)


def can_reach(path: Path, uid: int, gid: int) -> bool:
    """Every ancestor directory of ``path`` is searchable (x) by ``uid``."""
    path = Path(os.path.abspath(path))
    for parent in reversed(path.parents):
        try:
            if not _allowed(os.stat(parent), uid, gid, "x"):
                return False
        except OSError:
            return False
    return True


def may(path: Path, uid: int, gid: int, want: str) -> bool:
    """Could ``uid`` (with primary group ``gid``, no other groups) ``want`` ('r'/'w'/'x') ``path``?

    Symbolic links are followed, as ``open`` would.
    """
    real = Path(os.path.realpath(path))
    if not can_reach(real, uid, gid):
        return False
    try:
        st = os.stat(real)
    except OSError:
        return False
    return all(_allowed(st, uid, gid, w) for w in want)


def readable_paths(roots: Iterable[Path], uid: int, gid: int, limit: int = 5) -> list[str]:
    """Files or directory listings under ``roots`` that ``uid`` could read (at most ``limit``)."""
    found: list[str] = []
    for root in roots:
        real = Path(os.path.realpath(root))
        if not os.path.exists(real) or not can_reach(real, uid, gid):
            continue
        for path, st in _walk(real, uid, gid):
            if _allowed(st, uid, gid, "r"):
                found.append(str(path))
                if len(found) >= limit:
                    return found
    return found


def writable_paths(roots: Iterable[Path], uid: int, gid: int, limit: int = 5,
                   recursive: bool = True) -> list[str]:
    """Paths at or under ``roots`` that ``uid`` could change (at most ``limit``): a writable
    file, a directory it may add, remove or rename entries in (writable and searchable), or
    a non-sticky writable ancestor (it could move the whole tree away and put its own there)."""
    found: list[str] = []
    for root in roots:
        real = Path(os.path.realpath(root))
        if not os.path.exists(real):
            continue
        for parent in reversed(real.parents):
            st = _stat(parent)
            if st is not None and not st.st_mode & stat.S_ISVTX and _changeable(st, uid, gid):
                found.append(str(parent))
                break
        if not can_reach(real, uid, gid):
            continue
        items = _walk(real, uid, gid) if recursive else [(real, _stat(real))]
        for path, st in items:
            if st is not None and _changeable(st, uid, gid):
                found.append(str(path))
            if len(found) >= limit:
                return found[:limit]
    return found[:limit]


def _changeable(st: os.stat_result, uid: int, gid: int) -> bool:
    if stat.S_ISDIR(st.st_mode):
        return _allowed(st, uid, gid, "w") and _allowed(st, uid, gid, "x")
    return _allowed(st, uid, gid, "w")


def _stat(path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


def _walk(root: Path, uid: int, gid: int):
    """``(path, stat)`` for ``root`` and everything below it that ``uid`` could reach: a
    directory it cannot search hides its contents, so they are not visited.  Symbolic links
    inside are not followed (their targets are judged where they live)."""
    st = _stat(root)
    if st is None:
        return
    yield root, st
    stack = [(root, st)]
    while stack:
        d, dst = stack.pop()
        if not stat.S_ISDIR(dst.st_mode) or not _allowed(dst, uid, gid, "x"):
            continue
        try:
            entries = list(os.scandir(d))
        except OSError:
            continue
        for e in entries:
            try:
                est = e.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISLNK(est.st_mode):
                continue
            yield Path(e.path), est
            if stat.S_ISDIR(est.st_mode):
                stack.append((Path(e.path), est))


__all__ = ["can_reach", "may", "readable_paths", "writable_paths"]
