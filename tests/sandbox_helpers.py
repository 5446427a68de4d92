"""Shared helpers for the sandbox tests (real worker processes, real bwrap)."""
from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest

from autograder.sandbox import Sandbox, SubmissionProxy

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "sandbox" / "basic"


def bwrap_reason() -> str | None:
    plan = Sandbox()._plan()
    if plan["bwrap"] is None:
        return "bubblewrap namespaces unavailable here: " + "; ".join(plan["notes"])
    return None


def make_proxy(mode: str, slot: int = 0, **traits) -> SubmissionProxy:
    if mode == "bwrap":
        reason = bwrap_reason()
        if reason:
            pytest.skip(reason)
    traits.setdefault("call_timeout", 20.0)
    sb = Sandbox(use_bwrap=(mode == "bwrap"), **traits)
    return SubmissionProxy(functools.partial(sb.start, FIXTURE, slot=slot))


def processes_of_uid(uid: int) -> list[int]:
    out = []
    for e in os.scandir("/proc"):
        if e.name.isdigit():
            try:
                if e.stat().st_uid == uid:
                    out.append(int(e.name))
            except OSError:
                pass
    return out
