"""What ``autograder grade`` prints: one line a lost point, never a traceback; the
traceback stays in results.json's ``output``.  Student text is never rich markup."""
from __future__ import annotations

import io
import json
import subprocess
import sys

from rich.console import Console

from autograder.paths import course_root, release_dir
from autograder.reports.console import print_result
from autograder.reports.gradescope import gradescope_dict
from autograder.reports.markdown import markdown_summary
from autograder.results import MAX_TEST_MESSAGE, GradingResult, PartResult, TestOutcome
from autograder.sandbox import NotImplementedYet, StudentCodeError

ASSIGNMENT = "assignment2"


def result_with(*messages: str) -> GradingResult:
    tests = [TestOutcome(nodeid=f"t.py::test_{i}", name=f"case_{i}", grade_id="affine_forward", weight=1,
                         status="failed", message=m) for i, m in enumerate(messages)]
    tests.append(TestOutcome(nodeid="t.py::test_ok", name="ok", grade_id="affine_forward", weight=1,
                             status="passed"))
    return GradingResult(ASSIGNMENT, "sub", parts=[PartResult("affine_forward", 2.0, tests=tests)])


def printed(result: GradingResult) -> str:
    out = io.StringIO()
    print_result(result, Console(file=out, width=400, color_system=None))
    return out.getvalue()


def test_one_line_per_lost_point_and_tracebacks_only_in_results_json():
    missing = NotImplementedYet("affine_forward is not implemented yet (cs231n/layers.py)",
                                exc_type="NotImplementedError", function="cs231n.layers.affine_forward",
                                student_traceback='  File "cs231n/layers.py", line 20, in affine_forward\n'
                                                  '    raise NotImplementedError(...)\n')
    broken = StudentCodeError("shapes (2,3) and (4,5) not aligned", exc_type="ValueError",
                              function="cs231n.layers.affine_forward",
                              student_traceback='  File "cs231n/layers.py", line 9, in affine_forward\n'
                                                '    out = x.dot(w)\n')
    res = result_with(str(missing), str(broken))
    text = printed(res)
    rows = [line for line in text.splitlines() if "case_" in line]
    assert len(rows) == 2, text  # one line each
    assert "Traceback" not in text and "line 20" not in text, text
    assert "not implemented yet (cs231n/layers.py)" in rows[0] and "not aligned" in rows[1]
    outputs = [t["output"] for t in gradescope_dict(res)["tests"]]
    assert any("Traceback (your code)" in o and "line 20" in o for o in outputs)
    md = markdown_summary(res)
    assert "Traceback" not in md and md.count("case_") == 2


def test_student_text_is_not_markup_and_long_lines_are_cut():
    res = result_with("[/] [link=http://evil]click[/link] [bold red]" + "w" * 5000)
    text = printed(res)  # rich would raise MarkupError on a stray "[/]"
    row = next(line for line in text.splitlines() if "case_0" in line)
    assert "[/]" in row and "[link=http://evil]" in row and "... (truncated)" in row
    assert len(row) < 600


def test_messages_are_capped_in_the_results_model():
    t = TestOutcome(nodeid="n", name="n", grade_id="g", weight=1, status="failed", message="m" * 10**6)
    assert len(t.message) <= MAX_TEST_MESSAGE + 20
    again = GradingResult.from_dict(json.loads(json.dumps(result_with("x" * 10**6).to_dict())))
    assert all(len(t.message) <= MAX_TEST_MESSAGE + 20 for t in again.parts[0].tests)


def test_cli_table_for_the_release_has_one_line_a_lost_point(tmp_path):
    out = tmp_path / "results.json"
    r = subprocess.run([sys.executable, "-m", "autograder.cli", "grade", str(release_dir(ASSIGNMENT)),
                        "--assignment", ASSIGNMENT, "--part", "affine_forward", "--part", "fc_net",
                        "-o", str(out)], capture_output=True, text=True, timeout=600, cwd=course_root())
    assert r.returncode == 0, r.stderr[-2000:]
    data = json.loads(out.read_text())
    lost = [t for t in data["tests"] if t["status"] == "failed" and not t["name"].endswith("not graded")]
    assert lost
    table_rows = [line for line in r.stdout.splitlines() if "NotImplementedError" in line]
    assert len(table_rows) == len(lost), r.stdout
    assert "Traceback" not in r.stdout
    assert any("Traceback (your code)" in t["output"] for t in lost)


def test_a_sandbox_that_cannot_start_is_a_grading_error_not_a_zero(tmp_path):
    """No worker ever ran the student's code: that is the machine's problem (exit 2), not 0 points."""
    import pytest
    from traitlets.config import Config

    from autograder.runner import GradingError, grade_submission

    cfg = Config()
    cfg.Sandbox.python = str(tmp_path / "no-such-python")
    with pytest.raises(GradingError, match="sandbox could not run student code: WorkerStartError"):
        grade_submission(release_dir(ASSIGNMENT), ASSIGNMENT, sandbox_config=cfg, parts=["affine_forward"],
                         modules=["test_layers.py"])
