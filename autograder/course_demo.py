"""The whole course cycle on the embedded defaults, in a scratch course directory.

``autograder demo`` (``make demo``) runs, in ``demo-course/`` (a copy of the
course: ``nbgrader_config.py``, ``solutions/``, ``source/``, ``grading_tests/``):

1. release: ``nbgrader generate_assignment`` + stubs + leak check
   (:func:`autograder.release.release`), then ``nbgrader release_assignment``
   into an exchange inside the scratch directory;
2. a class of simulated students (:mod:`autograder.simulated_students`), each
   handed in with ``nbgrader submit`` (nbgrader's exchange), then
   ``nbgrader collect``;
3. ``autograder grade-all`` (parallel, resumable) into the SQLite gradebook;
4. ``nbgrader generate_feedback`` and ``nbgrader export`` (CSV);
5. the gradebook as a table (rich) and a grade-distribution plot (PNG).

Re-running is idempotent: a student whose work is unchanged is not handed in
again, so grade-all's done-markers skip them and the gradebook keeps one row a
student.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from autograder import paths

COURSE_PARTS = ["nbgrader_config.py", "solutions", "source", "grading_tests", "demo"]
EXCHANGE = "exchange"


@dataclass
class DemoResult:
    course: Path
    rows: list[dict] = field(default_factory=list)
    summary: object = None
    csv_path: Path | None = None
    plot_path: Path | None = None
    feedback_dirs: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    submitted: list[str] = field(default_factory=list)
    kinds: dict[str, str] = field(default_factory=dict)  # student -> simulated kind


def make_scratch_course(dest: Path, src: Path | None = None) -> Path:
    """Copy the course (not its release, gradebook or submissions) to ``dest``; kept on re-runs."""
    src = Path(src or paths.course_root())
    dest = Path(dest).resolve()
    dest.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", ".pytest_cache")
    for name in COURSE_PARTS:
        s, d = src / name, dest / name
        if s.is_dir():
            if d.exists():
                shutil.rmtree(d)
            shutil.copytree(s, d, ignore=ignore)
        elif s.is_file():
            shutil.copyfile(s, d)
    return dest


def _nbgrader_config(course: Path, **sections):
    from autograder.config import course_config

    c = course_config(course)
    c.Exchange.root = str(course / EXCHANGE)
    c.Exchange.cache = str(course / EXCHANGE / ".cache")
    for key, values in sections.items():
        for k, v in values.items():
            c[key][k] = v
    return c


def _in_dir(path: Path):
    class _Cd:
        def __enter__(self):
            self.old = os.getcwd()
            os.chdir(path)

        def __exit__(self, *exc):
            os.chdir(self.old)

    return _Cd()


def release_to_exchange(course: Path, assignment: str) -> None:
    """``nbgrader release_assignment`` into the scratch exchange (force: re-runs replace it)."""
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange.default import ExchangeReleaseAssignment

    (course / EXCHANGE).mkdir(exist_ok=True)
    c = _nbgrader_config(course, CourseDirectory={"assignment_id": assignment},
                         ExchangeReleaseAssignment={"force": True})
    with _in_dir(course):
        cd = CourseDirectory(config=c)
        ExchangeReleaseAssignment(coursedir=cd, authenticator=Authenticator(config=c), config=c).start()


def submit(course: Path, assignment: str, student: str, work_parent: Path) -> None:
    """``nbgrader submit`` of ``work_parent/<assignment>`` as ``student``."""
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange.default import ExchangeSubmit

    c = _nbgrader_config(course, CourseDirectory={"assignment_id": assignment, "student_id": student})
    with _in_dir(work_parent):
        cd = CourseDirectory(config=c)
        ExchangeSubmit(coursedir=cd, authenticator=Authenticator(config=c), config=c).start()


def collect(course: Path, assignment: str) -> None:
    """``nbgrader collect --update`` into ``submitted/``."""
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange.default import ExchangeCollect

    c = _nbgrader_config(course, CourseDirectory={"assignment_id": assignment},
                         ExchangeCollect={"update": True})
    with _in_dir(course):
        cd = CourseDirectory(config=c)
        ExchangeCollect(coursedir=cd, authenticator=Authenticator(config=c), config=c).start()


def _same_work(work: Path, submitted: Path) -> bool:
    from autograder.grade_all.resume import submission_hash

    if not submitted.is_dir():
        return False
    with tempfile.TemporaryDirectory() as tmp:  # compare without nbgrader's timestamp.txt
        t = Path(tmp) / "s"
        shutil.copytree(submitted, t, ignore=shutil.ignore_patterns("timestamp.txt", "submission_secret.txt"))
        return submission_hash(t) == submission_hash(work)


def gradebook_rows(course: Path, assignment: str) -> list[dict]:
    """One row a student: score, max score, and the score of each notebook."""
    from nbgrader.api import Gradebook, MissingEntry

    from autograder.grade_all.gradebook import course_db_url

    db_url, course_id = course_db_url(course)
    rows = []
    with Gradebook(db_url, course_id) as gb:
        a = gb.find_assignment(assignment)
        for st in sorted(gb.students, key=lambda s: s.id):
            try:
                sub = gb.find_submission(assignment, st.id)
            except MissingEntry:
                rows.append({"student": st.id, "score": None, "max_score": a.max_score,
                             "notebooks": {}, "needs_manual_grade": False})
                continue
            rows.append({
                "student": st.id, "score": sub.score, "max_score": sub.max_score,
                "notebooks": {nb.name: nb.score for nb in sub.notebooks},
                "needs_manual_grade": sub.needs_manual_grade,
                # autograded (code) cells: grade_id -> (points, max points)
                "autograded": {g.name: (g.score, g.max_score) for nb in sub.notebooks
                               for g in nb.grades if g.cell.cell_type == "code"},
            })
    return rows


def _short(notebook: str) -> str:
    """A column title for a notebook: its capitals when it has several ("BatchNorm" -> "BN")."""
    caps = "".join(c for c in notebook if c.isupper())
    return caps if len(caps) >= 2 else notebook[:8]


def print_table(rows: list[dict], spec, failures: dict[str, str] | None = None,
                kinds: dict[str, str] | None = None, notes: dict[str, str] | None = None,
                parts=None) -> None:
    """The gradebook as a table; for simulated students, what their kind must score and
    whether it did (``expected`` / ``ok``, judged on the graded ``parts``, default all)."""
    from rich.console import Console
    from rich.table import Table

    from autograder.simulated_students import expectation, meets_expectation

    failures, kinds, notes = failures or {}, kinds or {}, notes or {}
    nb_names = sorted({n for r in rows for n in r["notebooks"]})
    t = Table(title=f"{spec.name} gradebook (nbgrader, SQLite): autograded points; inline questions "
                    "are graded by hand")
    show_kind = any(kind not in sid for sid, kind in kinds.items())  # the demo's ids name their kind
    t.add_column("student", no_wrap=True)
    if show_kind:
        t.add_column("kind", no_wrap=True)
    for n in nb_names:
        t.add_column(_short(n), justify="right", no_wrap=True)
    t.add_column("total", justify="right", no_wrap=True)
    t.add_column("expected", no_wrap=True, overflow="ellipsis", max_width=34)
    t.add_column("ok", no_wrap=True)
    t.add_column("note", no_wrap=True, overflow="ellipsis", max_width=40)
    for r in rows:
        if kinds and r["student"] not in kinds and r["score"] is None:
            continue  # a student of the course who has nothing for this assignment
        kind = kinds.get(r["student"], "")
        total = "-" if r["score"] is None else f"{r['score']:.1f} / {r['max_score']:g}"
        cells = [f"{r['notebooks'][n]:.1f}" if n in r["notebooks"] else "-" for n in nb_names]
        ok = ""
        if kind:
            grades = {k: v for k, v in r.get("autograded", {}).items() if parts is None or k in parts}
            ok = "yes" if r["score"] is not None and meets_expectation(kind, grades, spec) else "NO"
        note = failures.get(r["student"]) or notes.get(r["student"], "")
        if not note and kind == "malicious":
            note = "every attack failed" if ok == "yes" else "an attack raised the score"
        t.add_row(r["student"], *([kind] if show_kind else []), *cells, total,
                  expectation(kind, spec) if kind else "", ok, note)
    Console(width=max(Console().width, 180)).print(t)


def plot_distribution(rows: list[dict], out: Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    graded = [r for r in rows if r["score"] is not None]
    scores = [100.0 * r["score"] / r["max_score"] for r in graded if r["max_score"]]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    ax1.hist(scores, bins=[0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100.001], color="#4c72b0", edgecolor="white")
    ax1.set_xlabel("score, % of max (inline questions still to grade by hand)")
    ax1.set_ylabel("students")
    ax1.set_title("grade distribution")
    names = [r["student"] for r in graded]
    ax2.barh(names, scores, color="#55a868")
    ax2.set_xlim(0, 100)
    ax2.invert_yaxis()
    ax2.set_xlabel("%")
    ax2.set_title("per student")
    ax2.tick_params(axis="y", labelsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def run_demo(course: Path, assignment: str, *, roster=None, jobs: int | None = None,
             parts=None, say: Callable[[str], None] = print, progress: bool = True,
             src_root: Path | None = None) -> DemoResult:
    """The course cycle in ``course`` (created from ``src_root`` if needed). See the module doc."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    from autograder.course import load_assignment
    from autograder.grade_all import grade_all
    from autograder.release import release
    from autograder.simulated_students import build_class, class_roster

    res = DemoResult(course=Path(course).resolve())
    course = res.course
    t = time.perf_counter()

    say(f"[1/6] scratch course {course}")
    make_scratch_course(course, src_root)
    rel = release(assignment, course, echo=lambda m: None)
    if getattr(rel, "findings", None):
        raise RuntimeError(f"the release leaks: {rel.findings}")
    release_to_exchange(course, assignment)
    res.timings["release"] = time.perf_counter() - t

    t = time.perf_counter()
    spec = load_assignment(assignment, course)
    roster = roster or class_roster(spec)
    kinds = res.kinds = dict(roster)
    say(f"[2/6] {len(roster)} simulated students hand in through nbgrader's exchange")
    work = course / "students"
    students = build_class(work, roster, spec)
    for s in students:
        if _same_work(s.path, course / "submitted" / s.student_id / assignment):
            continue  # unchanged: handing in again would only change the timestamp
        submit(course, assignment, s.student_id, s.path.parent)
        res.submitted.append(s.student_id)
    if res.submitted:
        collect(course, assignment)
    say(f"      handed in: {len(res.submitted)} (unchanged, not handed in again: "
        f"{len(students) - len(res.submitted)})")
    res.timings["submit+collect"] = time.perf_counter() - t

    t = time.perf_counter()
    say("[3/6] autograder grade-all (hidden suites in the sandbox, parallel)")
    res.summary = grade_all(assignment, course, jobs=jobs, parts=parts, progress=progress, log=say)
    s = res.summary
    say(f"      graded {len(s.graded)}, skipped (resume) {len(s.skipped)}, failed {len(s.failures)} "
        f"in {s.wall_seconds:.1f} s")
    res.timings["grade-all"] = time.perf_counter() - t

    t = time.perf_counter()
    say("[4/6] nbgrader generate_feedback, nbgrader export")
    config = _nbgrader_config(course)
    autograded = sorted(p.parent.name for p in (course / "autograded").glob(f"*/{assignment}"))
    stale = [sid for sid in autograded if sid in s.graded
             or not (course / "feedback" / sid / assignment).is_dir()]
    with _in_dir(course):
        api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
        # one run for everyone when everyone was (re)graded, else only those who need it
        for sid in ([None] if stale and len(stale) == len(autograded) else stale):
            fb = api.generate_feedback(assignment, sid, force=True)
            if not fb.get("success"):
                say("      generate_feedback reported an error: " + (fb.get("error") or "")[-300:])
    res.csv_path = course / "grades.csv"
    _export_csv(config, course, res.csv_path)
    res.feedback_dirs = len([p for p in (course / "feedback").glob(f"*/{assignment}") if p.is_dir()])
    res.timings["feedback+export"] = time.perf_counter() - t

    say("[5/6] gradebook")
    res.rows = gradebook_rows(course, assignment)
    print_table(res.rows, spec, {k: v.splitlines()[0] for k, v in s.failures.items()}, kinds, s.notes, parts)
    for sid, reason in s.failures.items():
        say(f"      not graded: {sid}: {reason}")
    for sid, note in s.notes.items():
        say(f"      note: {sid}: {note}")
    res.plot_path = plot_distribution(res.rows, course / f"grade-distribution-{assignment}.png",
                                      f"{assignment}: {len(res.rows)} simulated students")
    say(f"[6/6] wrote {res.csv_path}, {res.plot_path}, feedback for {res.feedback_dirs} students "
        f"in {course / 'feedback'}")
    return res


def _export_csv(config, course: Path, out: Path) -> None:
    """``nbgrader export`` (its CsvExportPlugin) to ``out``."""
    from nbgrader.api import Gradebook
    from nbgrader.plugins import CsvExportPlugin

    from autograder.grade_all.gradebook import course_db_url

    db_url, course_id = course_db_url(course)
    plugin = CsvExportPlugin(config=config)
    with Gradebook(db_url, course_id) as gb:
        plugin.to = str(out)
        plugin.export(gb)
