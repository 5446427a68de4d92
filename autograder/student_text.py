"""Capping text that student code controls (exception messages, tracebacks, printed output)
before it enters a result or a report, so no submission can make them megabytes long."""
from __future__ import annotations

TRUNCATED = "... (truncated)"


def clip(text, limit: int, keep: str = "head") -> str:
    """``text`` as a str of at most about ``limit`` characters, marked when cut.

    ``keep="head"`` keeps the beginning (messages), ``"tail"`` the end
    (tracebacks and printed output, whose last lines matter most).
    """
    if not isinstance(text, str):
        return ""
    if len(text) <= limit:
        return text
    if keep == "tail":
        return TRUNCATED + "\n" + text[-limit:]
    return text[:limit] + TRUNCATED
