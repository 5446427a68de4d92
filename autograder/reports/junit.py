"""JUnit XML: one testsuite a part, one testcase a hidden test (for CI dashboards)."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from autograder.results import GradingResult


def junit_tree(result: GradingResult) -> ET.ElementTree:
    root = ET.Element("testsuites", name=f"{result.assignment} hidden tests",
                      time=f"{result.execution_time:.3f}")
    for part in result.parts:
        failures = sum(1 for t in part.tests if not t.passed)
        suite = ET.SubElement(root, "testsuite", name=part.grade_id, tests=str(len(part.tests)),
                              failures=str(failures), errors="0",
                              time=f"{sum(t.duration for t in part.tests):.3f}")
        ET.SubElement(ET.SubElement(suite, "properties"), "property", name="points",
                      value=f"{part.score:.4g}/{part.max_points:g}")
        for t in part.tests:
            case = ET.SubElement(suite, "testcase", classname=f"{result.assignment}.{part.grade_id}",
                                 name=t.name, time=f"{t.duration:.3f}")
            if not t.passed:
                fail = ET.SubElement(case, "failure", message=t.message or t.status, type=t.status)
                fail.text = t.message
    ET.indent(root)
    return ET.ElementTree(root)


def write_junit(result: GradingResult, path: Path) -> None:
    junit_tree(result).write(path, encoding="utf-8", xml_declaration=True)
