"""Proportional credit, checked against honest student code (issue 15).

* every correct variant of ``tests/honest_variants.py`` (graded functions of
  layers.py and optim.py written again from their docstrings, unlike the
  reference) keeps full marks on every part it touches;
* every honest edge-case bug (right on the notebook's common case, wrong on one
  edge case the docstring allows) loses exactly its edge-case test(s) and nothing
  else, each a listed ``edge_cases`` test worth at most a quarter of its part;
* the untouched release scores 0 on those parts;
* every part's ``edge_cases`` (assignment.toml) name tests of that part, each worth at
  most a quarter of it and together at most a third, and the parts whose tests mix
  an edge case into a main test (the convolution and pooling parts, the losses)
  have their edge cases as tests of their own.

Each submission is graded only on the parts it touches and only with the hidden
module of its file (``grade_submission(..., modules=..., parts=...)``), two
processes at a time (``tests/mutants.py``'s ``grade_many_in_subprocess``).
"""
from __future__ import annotations

import importlib.util
import re
import shutil
import sys
import tempfile
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import honest_variants as corpus  # noqa: E402
from autograder.course import load_assignment  # noqa: E402
from autograder.paths import course_root, grading_tests_dir, release_dir, solutions_dir  # noqa: E402
from mutants import grade_many_in_subprocess  # noqa: E402
from test_hidden_suites import release_copy  # noqa: E402

REFERENCE_PKG = solutions_dir("assignment2") / "cs231n"
PARTS = load_assignment("assignment2").parts
EDGE_SHARE, EDGE_TOTAL_SHARE = 0.25, 1 / 3
# the edge cases issue 15 names: tests of their own
REQUIRED_EDGE_CASES = {
    "conv_forward_naive": {"conv_forward_no_padding", "conv_forward_stride_not_dividing",
                           "conv_forward_keeps_inputs"},
    "conv_backward_naive": {"conv_backward_no_padding", "conv_backward_stride_not_dividing",
                            "conv_backward_keeps_inputs"},
    "max_pool_forward_naive": {"max_pool_forward_overlapping_windows",
                               "max_pool_forward_stride_not_dividing"},
    "max_pool_backward_naive": {"max_pool_backward_overlapping_windows",
                                "max_pool_backward_stride_not_dividing", "max_pool_backward_ties",
                                "max_pool_backward_keeps_inputs"},
    "softmax_loss": {"softmax_loss_large_scores", "softmax_loss_keeps_inputs"},
    "svm_loss": {"svm_loss_keeps_inputs"},
    "relu_forward": {"relu_forward_keeps_inputs"},
    "relu_backward": {"relu_backward_keeps_inputs"},
}


def hidden_weights() -> dict[str, dict[str, float]]:
    """{part: {test name without 'test_': weight}} of the hidden modules with edge cases,
    read from their grade markers (the modules are imported on this, the trusted, side)."""
    weights: dict[str, dict[str, float]] = {}
    for module in ("test_layers.py", "test_optim.py"):
        path = grading_tests_dir("assignment2") / module
        spec = importlib.util.spec_from_file_location(f"_hidden_{path.stem}", path)
        mod = importlib.util.module_from_spec(spec)
        with warnings.catch_warnings():  # the grade marker is the grader's plugin's
            warnings.simplefilter("ignore", pytest.PytestUnknownMarkWarning)
            spec.loader.exec_module(mod)
        for name, obj in vars(mod).items():
            if not name.startswith("test_"):
                continue
            marks = [m for m in getattr(obj, "pytestmark", []) if m.name == "grade"]
            assert len(marks) == 1, name
            weights.setdefault(marks[0].args[0], {})[name[5:]] = float(marks[0].kwargs["points"])
    return weights


PART_TESTS = {gid: set(tests) for gid, tests in hidden_weights().items()}


def test_edge_cases_are_small_named_tests_of_their_part():
    weights = hidden_weights()
    for part in PARTS:
        if not part.edge_cases:
            continue
        tests = weights.get(part.grade_id, {})
        total = sum(tests.values())
        unknown = set(part.edge_cases) - set(tests)
        assert not unknown, f"{part.grade_id}: edge_cases {sorted(unknown)} are not its tests"
        main = set(tests) - set(part.edge_cases)
        assert main, f"{part.grade_id} has no main test"
        for name in part.edge_cases:
            assert tests[name] / total <= EDGE_SHARE + 1e-12, (part.grade_id, name)
        share = sum(tests[n] for n in part.edge_cases) / total
        assert share <= EDGE_TOTAL_SHARE + 1e-12, (part.grade_id, share)
        # every *_keeps_inputs test is an edge case
        assert not {n for n in main if n.endswith("keeps_inputs")}, part.grade_id
    edge = {p.grade_id: set(p.edge_cases) for p in PARTS}
    # docs/assignment2-parts.md lists every part's edge-case tests in the part's row
    doc = (course_root() / "docs" / "assignment2-parts.md").read_text()
    for gid, names in edge.items():
        row = re.search(rf"^\| `{gid}` \(\d+\) \|(.*)$", doc, re.M)
        assert row, f"docs/assignment2-parts.md has no row for {gid}"
        cells = row[1].split(" | ")
        assert {n for n in names} == set(re.findall(r"`(\w+)`", cells[1])), gid
    for gid, names in REQUIRED_EDGE_CASES.items():
        assert names <= edge[gid], (gid, sorted(names - edge[gid]))


def test_edge_case_messages_quote_the_release():
    """The docstring sentences the edge-case tests quote are in the released package."""
    released = release_dir("assignment2") / "cs231n"
    for module, source in (("test_layers.py", "layers.py"), ("test_optim.py", "optim.py")):
        path = grading_tests_dir("assignment2") / module
        hidden = path.read_text()
        text = " ".join((released / source).read_text().split())
        spec = importlib.util.spec_from_file_location(f"_quotes_{path.stem}", path)
        mod = importlib.util.module_from_spec(spec)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", pytest.PytestUnknownMarkWarning)
            spec.loader.exec_module(mod)
        quotes = [v for k, v in vars(mod).items()
                  if isinstance(v, str) and (k.endswith("_RULE") or k in ("NO_IN_PLACE", "LARGE_SCORES"))]
        # quotes written at the call (edge_case(function, name, "..."))
        quotes += re.findall(r'edge_case\([^)]*?,\s*"[^"]*",\s*\n?\s*"([^"]+)"\)', hidden)
        assert len(quotes) >= (8 if module == "test_layers.py" else 1), quotes
        for q in quotes:
            assert " ".join(q.split()) in text, f"{module} quotes {q!r}, which {source} does not say"


def test_corpus_builds(tmp_path):
    for v in corpus.VARIANTS + corpus.EDGE_BUGS:
        root = corpus.build(REFERENCE_PKG, tmp_path / v.name, v)
        text = (root / "cs231n" / v.file).read_text()
        assert text != (REFERENCE_PKG / v.file).read_text(), v.name
        assert corpus.affected_parts(v, PARTS), v.name
    edge = {n for p in PARTS for n in p.edge_cases}
    for bug in corpus.EDGE_BUGS:
        assert bug.loses and bug.loses <= edge, bug.name


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    work = Path(tempfile.mkdtemp(prefix="honest-"))
    try:
        jobs = []
        for v in corpus.VARIANTS + corpus.EDGE_BUGS:
            root = corpus.build(REFERENCE_PKG, work / v.name, v)
            jobs.append((v.name, root, [corpus.module_for(v)], corpus.affected_parts(v, PARTS)))
        release_parts = sorted({p for v in corpus.VARIANTS + corpus.EDGE_BUGS
                                for p in corpus.affected_parts(v, PARTS)})
        release = release_copy(work / "release")
        jobs.append(("release", release, ["test_layers.py", "test_optim.py"], release_parts))
        halves = [jobs[0::2], jobs[1::2]]
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = [pool.submit(grade_many_in_subprocess, half, 40 + i, 600)
                       for i, half in enumerate(halves)]
            results = {}
            for f in futures:
                results.update(f.result())
        return results
    finally:
        shutil.rmtree(work, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.parametrize("variant", corpus.VARIANTS, ids=lambda v: v.name)
def test_correct_variant_keeps_full_marks(variant, graded):
    r = graded[variant.name]
    assert r["errors"] == []
    parts = corpus.affected_parts(variant, PARTS)
    assert set(parts) <= set(r["parts"]), (parts, sorted(r["parts"]))
    lost = {g: p["failed"] for g, p in r["parts"].items() if p["score"] != p["max"]}
    assert not lost, f"{variant.name} loses points: {lost}"


@pytest.mark.slow
@pytest.mark.parametrize("bug", corpus.EDGE_BUGS, ids=lambda v: v.name)
def test_edge_case_bug_loses_only_its_edge_case(bug, graded):
    r = graded[bug.name]
    assert r["errors"] == []
    failed = {n for n, s in r["tests"].items() if s == "failed"}
    assert failed == set(bug.loses), f"{bug.name}: failed {sorted(failed)}"
    edge_of = {p.grade_id: set(p.edge_cases) for p in PARTS}
    for gid, p in r["parts"].items():
        names = {n for n, _ in p["failed"]}
        if not names:
            assert p["score"] == p["max"]
            continue
        assert names <= edge_of[gid], (gid, names)
        part_weight = sum(w for n, w in r["weights"].items() if n in PART_TESTS[gid])
        lost = sum(r["weights"][n] for n in names)
        assert lost / part_weight <= EDGE_SHARE + 1e-12, (gid, lost, part_weight)
        assert p["max"] - p["score"] == pytest.approx(p["max"] * lost / part_weight)
        # the message names the edge case and quotes the docstring
        for name, message in p["failed"]:
            assert "Edge case:" in message and "says:" in message, message


@pytest.mark.slow
def test_release_scores_zero_on_those_parts(graded):
    r = graded["release"]
    assert r["errors"] == []
    assert r["parts"] and all(p["score"] == 0 for p in r["parts"].values())
