"""Per-call time limits from the reference's own times on this machine.

A hang must cost seconds, not minutes, while honest but slower code keeps its
marks. So a call's limit is ``factor`` x the longest the reference took for the
same call (its label: ``"pkg.layers.affine_forward"``, ``"pkg.mod.Class().method"``)
in the same hidden suite on this machine, and at least ``floor`` seconds
(``Sandbox.call_time_factor``, ``Sandbox.call_time_floor``; a part's ``time_limit``
in the assignment's description raises its floor). Calls the reference never
made keep ``Sandbox.call_timeout``.

The times come from grading the reference itself once (in the sandbox, like any
submission) with the proxies recording each call's duration. They are cached
per machine in ``$XDG_CACHE_HOME/autograder/calibration/`` (``~/.cache``; a
private folder in the temporary directory when that is not writable), keyed by
a hash of the reference, the hidden suite and the description, so a changed
course is measured again and copies of the same course share one measurement.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from autograder.cache import cache_dir
from autograder.course import Assignment


@dataclass(frozen=True)
class Calibration:
    """The longest time (seconds) the reference took for each call label of one hidden suite."""

    fingerprint: str
    seconds: dict[str, float]

    def limits(self, factor: float, floor: float) -> dict[str, float]:
        """``{label: max(floor, factor * seconds)}``."""
        return {label: max(floor, factor * t) for label, t in self.seconds.items()}


def fingerprint(spec: Assignment) -> str:
    """sha256 of what decides the reference's call times: its package, the hidden suite
    (which holds the description) and the grader's own sandbox code."""
    from autograder.hashing import hash_tree

    h = hashlib.sha256(spec.name.encode())
    hash_tree(h, spec.solutions_dir, "solutions")
    hash_tree(h, spec.grading_tests_dir, "grading_tests")
    hash_tree(h, Path(__file__).resolve().parent / "sandbox", "sandbox", skip_suffixes=(".pyc",))
    return h.hexdigest()


def load(spec: Assignment) -> Calibration | None:
    """The cached calibration of ``spec``'s current version, if this machine has one."""
    fp = fingerprint(spec)
    try:
        data = json.loads((cache_dir("calibration") / f"{spec.name}-{fp[:24]}.json").read_text())
    except (OSError, ValueError):
        return None
    if data.get("fingerprint") != fp or not isinstance(data.get("seconds"), dict):
        return None
    return Calibration(fp, {str(k): float(v) for k, v in data["seconds"].items()})


def save(spec: Assignment, calibration: Calibration) -> None:
    d = cache_dir("calibration")
    path = d / f"{spec.name}-{calibration.fingerprint[:24]}.json"
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"fingerprint": calibration.fingerprint, "seconds": calibration.seconds},
                              indent=1, sort_keys=True))
    tmp.replace(path)  # atomic: concurrent gradings never read half a file


def _reference_times(spec: Assignment, sandbox_config) -> dict[str, float]:
    """``{label: seconds}`` of one grading of the reference."""
    from autograder.runner import grade_submission

    times: dict[str, float] = {}
    grade_submission(spec.solutions_dir, spec.name, sandbox_config=sandbox_config, root=spec.root,
                     record_call_times=times)
    return times


def calibrate(spec: Assignment, sandbox_config=None, timeout: float = 3600.0) -> Calibration:
    """Grade the reference once, recording every call's time (see the module doc).

    While this process has not imported the assignment's ``preload`` (torch), the grading
    runs in a forked child (``timeout`` seconds at most), so that this process's own grading
    right after may still split into two processes (``runner._split_suite``; a process that
    imported torch cannot fork safely: ``forked_run.can_fork``)."""
    from autograder.forked_run import ForkedRun, ForkedRunError, can_fork

    if spec.preload and can_fork(spec.preload):
        from autograder.runner import GradingError

        try:
            times = ForkedRun(lambda: _reference_times(spec, sandbox_config)).result(timeout)
        except ForkedRunError as e:  # died or overran; what the grading raised comes as itself
            raise GradingError(f"calibrating {spec.name}: {e}") from None
    else:
        times = _reference_times(spec, sandbox_config)
    calibration = Calibration(fingerprint(spec), times)
    save(spec, calibration)
    return calibration


def call_limits(spec: Assignment, sandbox, sandbox_config=None) -> dict[str, float]:
    """The per-call limits for grading ``spec`` (empty when ``Sandbox.calibrate`` is off)."""
    if not sandbox.calibrate:
        return {}
    calibration = load(spec) or calibrate(spec, sandbox_config,
                                          timeout=2 * sandbox.submission_timeout + 600)
    return calibration.limits(sandbox.call_time_factor, sandbox.call_time_floor)
