"""The per-part table ``autograder grade`` prints (rich), with a reason for every lost point."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table

from autograder.results import GradingResult


def print_result(result: GradingResult, console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title=f"{result.assignment}: {result.submission}", show_lines=False)
    table.add_column("part")
    table.add_column("points", justify="right")
    table.add_column("why points were lost", overflow="fold")
    for part in result.parts:
        lost = [f"{t.name}: {t.message}" for t in part.tests if not t.passed]
        if not part.tests:
            lost = ["no hidden test ran for this part"]
        style = "green" if not lost else ("red" if part.score == 0 else "yellow")
        table.add_row(part.grade_id, f"[{style}]{part.score:.2f} / {part.max_points:g}[/]",
                      "\n".join(lost))
    console.print(table)
    console.print(f"[bold]Score: {result.score:.2f} / {result.max_score:g}[/]  "
                  f"({result.execution_time:.1f} s)")
    off = [k for k, v in result.protections.items() if not v]
    if off:
        console.print(f"[yellow]Sandbox protections off on this machine: {', '.join(off)}[/]")
    for err in result.errors:
        console.print(f"[red]grading problem:[/] {err}")
