"""The one results model every report is made from.

A grading run produces a :class:`GradingResult`: parts (one per notebook graded
cell, keyed by ``grade_id``), each holding the outcomes of the hidden tests that
score it. Scores are derived, never stored twice: a part earns
``max_points * passed_weight / total_weight``.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from autograder.student_text import clip

# A test's message can quote student-controlled text (an exception message, a
# traceback): capped here too, so no report ever carries megabytes of it.
MAX_TEST_MESSAGE = 8192
SUMMARY_CHARS = 300


@dataclass
class TestOutcome:
    """One hidden test: its weight within its part and what happened."""

    __test__ = False  # not a pytest test class, whatever its name

    nodeid: str
    name: str
    grade_id: str
    weight: float
    status: str  # "passed" | "failed" | "error" (grader-side problem) | "skipped"
    message: str = ""  # one sentence a student can act on (+ trimmed traceback); empty when passed
    duration: float = 0.0  # seconds: the test's set-up (its fixtures) and call

    def __post_init__(self):
        self.message = clip(str(self.message), MAX_TEST_MESSAGE)

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def summary(self) -> str:
        """The message's first line, at most ``SUMMARY_CHARS`` long: one line a lost point
        in tables (the full message, traceback included, stays in ``message``)."""
        lines = self.message.strip().splitlines()
        line = lines[0].strip() if lines else self.status
        return clip(line, SUMMARY_CHARS)


@dataclass
class PartResult:
    """A graded part (``grade_id``) and the tests that score it."""

    grade_id: str
    max_points: float
    notebook: str = ""
    tests: list[TestOutcome] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        """The time its tests took (set-up included)."""
        return sum(t.duration for t in self.tests)

    @property
    def total_weight(self) -> float:
        return sum(t.weight for t in self.tests)

    @property
    def score(self) -> float:
        total = self.total_weight
        if total <= 0:
            return 0.0
        earned = sum(t.weight for t in self.tests if t.passed)
        return self.max_points * earned / total

    def test_points(self, test: TestOutcome) -> float:
        """The share of this part's points that one test carries."""
        total = self.total_weight
        return self.max_points * test.weight / total if total > 0 else 0.0

    @property
    def feedback(self) -> str:
        """Plain text for a student: one line a test, reasons for lost points."""
        lines = [f"{self.grade_id}: {self.score:.2f} / {self.max_points:g} points"]
        for t in self.tests:
            mark = "ok  " if t.passed else "FAIL"
            line = f"  [{mark}] {t.name}"
            if not t.passed and t.message:
                line += f": {t.message}"  # feedback keeps the traceback (nbgrader's cell output)
            lines.append(line)
        if not self.tests:
            lines.append("  (no hidden test scored this part)")
        return "\n".join(lines)


@dataclass
class GradingResult:
    assignment: str
    submission: str
    parts: list[PartResult] = field(default_factory=list)
    execution_time: float = 0.0
    protections: dict[str, bool] = field(default_factory=dict)
    sandbox_notes: list[str] = field(default_factory=list)  # why protections are off, if any are
    errors: list[str] = field(default_factory=list)  # grading-level problems, not the student's

    @property
    def score(self) -> float:
        return sum(p.score for p in self.parts)

    @property
    def max_score(self) -> float:
        return sum(p.max_points for p in self.parts)

    def part(self, grade_id: str) -> PartResult:
        for p in self.parts:
            if p.grade_id == grade_id:
                return p
        raise KeyError(grade_id)

    def scores_by_part(self) -> dict[str, float]:
        return {p.grade_id: p.score for p in self.parts}

    # -- serialisation (the internal format: reports are derived from it) --
    def to_dict(self) -> dict:
        d = asdict(self)
        d["score"] = self.score
        d["max_score"] = self.max_score
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "GradingResult":
        parts = [
            PartResult(
                grade_id=p["grade_id"],
                max_points=p["max_points"],
                notebook=p.get("notebook", ""),
                tests=[TestOutcome(**t) for t in p["tests"]],
            )
            for p in d["parts"]
        ]
        return cls(
            assignment=d["assignment"],
            submission=d["submission"],
            parts=parts,
            execution_time=d.get("execution_time", 0.0),
            protections=d.get("protections", {}),
            sandbox_notes=d.get("sandbox_notes", []),
            errors=d.get("errors", []),
        )

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2))

    @classmethod
    def load(cls, path: Path) -> "GradingResult":
        return cls.from_dict(json.loads(Path(path).read_text()))
