"""No call into student code pays for importing the assignment's ``preload`` (torch): its call
limits were calibrated on workers that had torch already, so a torch import inside a call (1-2 s
idle, over the 3 s floor on a loaded machine) would time out correct code. A grading restricted
to some parts imports it up front exactly when one of its tests' files needs it, and a worker
restarted after a hang in such a test imports it before it reports ready."""
from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from autograder.course import load_assignment
from autograder.paths import solutions_dir
from autograder.runner import grade_submission
from autograder.sandbox.launcher import Sandbox
from honest_variants import replace_functions

ASSIGNMENT = "assignment2"


def test_the_preload_a_set_of_hidden_files_needs():
    spec = load_assignment(ASSIGNMENT)
    assert spec.preload == ("torch",) and spec.preload_for == ("test_torch_models.py",)
    assert spec.preload_needed_by(["test_layers.py", "test_torch_models.py"]) == ("torch",)
    assert spec.preload_needed_by(["test_layers.py"]) == ()
    assert spec.preload_needed_by([]) == ()
    everywhere = dataclasses.replace(spec, preload_for=())  # no preload_for: every file needs it
    assert everywhere.preload_needed_by(["test_layers.py"]) == ("torch",)
    assert everywhere.preload_needed_by([]) == ()


@pytest.fixture
def started(monkeypatch) -> list[tuple[str, ...]]:
    """The preload of every worker the gradings start, in order."""
    calls: list[tuple[str, ...]] = []
    real = Sandbox.start

    def start(self, submission_dir, slot=0, preload=(), wait=True):
        calls.append(tuple(preload))
        return real(self, submission_dir, slot=slot, preload=preload, wait=wait)

    monkeypatch.setattr(Sandbox, "start", start)
    return calls


def test_a_part_without_torch_starts_its_worker_without_it(started):
    res = grade_submission(solutions_dir(ASSIGNMENT), ASSIGNMENT, parts=["relu_forward"])
    part = res.part("relu_forward")
    assert part.tests and part.score == part.max_points, [t.message for t in part.tests]
    assert started == [()]


def test_after_a_hang_in_a_torch_part_the_next_torch_part_keeps_its_marks(tmp_path, started):
    """``flatten`` spins forever: its part times out, and the worker restarted for the next
    tests imports torch before their first call. TwoLayerFC's forward gets flatten from the
    reference and train_model's tests never call it: both parts keep full marks."""
    pkg = tmp_path / "sub" / "cs231n"
    shutil.copytree(solutions_dir(ASSIGNMENT) / "cs231n", pkg, ignore=shutil.ignore_patterns("__pycache__"))
    source = pkg / "torch_models.py"
    source.write_text(replace_functions(source.read_text(), {"flatten": "def flatten(x):\n    while True:\n        pass\n"}))
    res = grade_submission(Path(tmp_path / "sub"), ASSIGNMENT,
                           parts=["torch_flatten", "torch_two_layer_fc", "torch_train_model"])
    flatten = res.part("torch_flatten")
    assert flatten.score == 0 and "did not finish within" in flatten.tests[0].message
    for part in (res.part("torch_two_layer_fc"), res.part("torch_train_model")):
        assert part.tests and part.score == part.max_points, [t.message for t in part.tests]
    assert len(started) >= 2 and set(started) == {("torch",)}, started
