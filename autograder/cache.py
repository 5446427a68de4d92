"""The grader's private cache on this machine: ``$XDG_CACHE_HOME/autograder/<kind>/``.

Things that depend only on the course's version, not on a submission, are worked out
once per machine and kept here: the calibration of call limits
(:mod:`autograder.calibration`) and trusted-side data a hidden suite builds from a
library that is slow to import (:func:`cached_arrays`). The folders are private to the
grader's uid (0700), so no worker uid can read them.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np


def cache_dir(kind: str) -> Path:
    """``<cache>/autograder/<kind>`` (created, private to this uid); a folder in the temporary
    directory when the home cache is not writable."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    for d in (Path(base) / "autograder" / kind,
              Path(tempfile.gettempdir()) / f"autograder-{kind}-{os.getuid()}"):
        try:
            d.mkdir(parents=True, exist_ok=True, mode=0o700)
            if os.access(d, os.W_OK) and d.stat().st_uid == os.getuid():
                return d
        except OSError:
            continue
    raise OSError(f"no writable folder for the {kind} cache")


def cached_arrays(name: str, key: str, build: Callable[[], dict]) -> dict[str, np.ndarray]:
    """``build()`` (a dict of numpy arrays), kept as ``<cache>/autograder/data/<name>-<hash>.npz``
    and read back while ``key`` (say, the source of the function that builds it and the
    versions of the libraries it uses) is the same. Nothing is pickled: arrays only."""
    digest = hashlib.sha256(f"{name}\0{key}".encode()).hexdigest()[:24]
    try:
        path = cache_dir("data") / f"{name}-{digest}.npz"
    except OSError:
        return build()
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except (OSError, ValueError):
        pass
    value = build()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            np.savez(f, **{k: np.asarray(v) for k, v in value.items()})
        tmp.replace(path)  # atomic: a concurrent grading never reads half a file
    except OSError:
        tmp.unlink(missing_ok=True)
    return value
