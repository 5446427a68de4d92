"""The per-part table ``autograder grade`` prints (rich), with ONE line for every lost point
(the first line of the test's message; tracebacks stay in results.json's ``output``)."""
from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from autograder.results import GradingResult


LOG_WIDTH = 200  # columns when printing to a log (CI, Gradescope) rather than a terminal


SLOWEST_PARTS = 5  # parts listed by ``autograder grade -v``


def print_result(result: GradingResult, console: Console | None = None, verbose: bool = False) -> None:
    """Print the table.  Each lost point is one line (a narrow terminal may fold it).
    ``verbose``: also the slowest parts, each with its slowest test."""
    if console is None:
        console = Console()
        if not console.is_terminal:
            console = Console(width=LOG_WIDTH)
    table = Table(title=escape(f"{result.assignment}: {result.submission}"), show_lines=False)
    table.add_column("part")
    table.add_column("points", justify="right")
    table.add_column("why points were lost", overflow="fold")
    for part in result.parts:
        lost = [f"{t.name}: {t.summary}" for t in part.tests if not t.passed]
        if not part.tests:
            lost = ["no hidden test ran for this part"]
        style = "green" if not lost else ("red" if part.score == 0 else "yellow")
        # Text, not markup: a student's message may contain "[/]" or "[link=...]"
        table.add_row(Text(part.grade_id), f"[{style}]{part.score:.2f} / {part.max_points:g}[/]",
                      Text("\n".join(lost)))
    console.print(table)
    console.print(f"[bold]Score: {result.score:.2f} / {result.max_score:g}[/]  "
                  f"({result.execution_time:.1f} s)")
    if verbose:
        print_slowest_parts(result, console)
    on = [k for k, v in result.protections.items() if v]
    off = [k for k, v in result.protections.items() if not v]
    if on:
        console.print(f"[dim]Sandbox protections on: {', '.join(on)}[/]", soft_wrap=True)
    if off:
        console.print(f"[yellow]Sandbox protections off on this machine: {', '.join(off)}[/]", soft_wrap=True)
    for note in result.sandbox_notes:
        console.print(Text(f"Sandbox: {note}", style="yellow"), soft_wrap=True)
    for err in result.errors:
        console.print(f"[red]grading problem:[/] {escape(err)}")


def print_slowest_parts(result: GradingResult, console: Console, count: int = SLOWEST_PARTS) -> None:
    """The ``count`` parts that took longest, with their slowest test: where the time went."""
    parts = sorted((p for p in result.parts if p.tests), key=lambda p: p.seconds, reverse=True)[:count]
    if not parts:
        return
    console.print(f"Slowest parts (of {result.execution_time:.1f} s):")
    for p in parts:
        slowest = max(p.tests, key=lambda t: t.duration)
        console.print(Text(f"  {p.seconds:6.2f} s  {p.grade_id}  (slowest test: {slowest.name}, "
                           f"{slowest.duration:.2f} s)"), soft_wrap=True)
