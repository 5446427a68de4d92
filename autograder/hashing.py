"""Fingerprints of folders: what decides whether a saved result is still valid.

Kept apart from the nbgrader preprocessor that uses it most, so that a command that
only needs a fingerprint (the calibration cache of ``autograder grade``) does not
import nbgrader.
"""
from __future__ import annotations

import os
from pathlib import Path

FINGERPRINT_IGNORE = {"__pycache__", ".ipynb_checkpoints"}


def hash_tree(h, base: Path, label: str, skip_suffixes=(".pyc", ".ipynb")) -> None:
    """Feed the relative paths and bytes of every file under ``base`` into ``h`` (a hashlib
    object), sorted; ``label`` names the tree, a missing ``base`` is hashed as missing."""
    if not base.exists():
        h.update(f"{label}:missing\0".encode())
        return
    for root, dirs, files in os.walk(base):
        dirs[:] = sorted(d for d in dirs if d not in FINGERPRINT_IGNORE)
        for name in sorted(files):
            if name.endswith(skip_suffixes):
                continue
            path = Path(root) / name
            h.update(f"{label}:{path.relative_to(base).as_posix()}\0".encode())
            try:
                h.update(path.read_bytes() if not path.is_symlink() else b"symlink")
            except OSError:
                h.update(b"unreadable")
            h.update(b"\0")
