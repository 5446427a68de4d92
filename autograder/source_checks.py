"""Judgements on the student's source text, made on the trusted side.

Some requirements are about how code is written, not what it returns ("no
Python loop over examples" in a vectorized function). The hidden suite reads
the student's file from the grader's private copy of the submission (the
``student_source`` fixture) and parses it with :mod:`ast`: the text is data, it
is never imported or run here.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

# Every construct that repeats a body in Python: statements and comprehensions.
LOOP_NODES = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
LOOP_WORDS = {ast.For: "for loop", ast.AsyncFor: "for loop", ast.While: "while loop",
              ast.ListComp: "list comprehension", ast.SetComp: "set comprehension",
              ast.DictComp: "dict comprehension", ast.GeneratorExp: "generator expression"}


@dataclass(frozen=True)
class Loop:
    """One loop found in a function: its kind in words and its line in the student's file."""

    kind: str
    line: int


class SourceError(Exception):
    """The student's file cannot be read or parsed, or lacks the function (the message says which)."""


def find_function(source: str, qualname: str, filename: str = "<student>") -> ast.AST:
    """The ``def`` of ``qualname`` (``"f"`` or ``"Class.method"``) in ``source``."""
    try:
        tree = ast.parse(source, filename=filename)
    except SyntaxError as e:
        raise SourceError(f"{filename} does not parse: {e.msg} (line {e.lineno})") from None
    scope: list[ast.AST] = [tree]
    node = None
    for name in qualname.split("."):
        node = next((n for body in scope for n in getattr(body, "body", [])
                     if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.name == name),
                    None)
        if node is None:
            raise SourceError(f"{filename} has no {qualname}")
        scope = [node]
    return node


def loops_in(path: str | Path, qualname: str) -> list[Loop]:
    """The loops in the body of ``qualname`` in the file at ``path`` (nested functions included)."""
    path = Path(path)
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise SourceError(f"cannot read {path.name}: {e}") from None
    func = find_function(source, qualname, path.name)
    return sorted((Loop(LOOP_WORDS[type(n)], n.lineno) for n in ast.walk(func) if isinstance(n, LOOP_NODES)),
                  key=lambda loop: loop.line)
