"""The rich progress bar of rebuild and verify: count, rate and ETA from eventing's reports."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn

from eventing.rebuild import ProgressCallback, RebuildProgress
from orderctl.times import format_age


def describe(step: RebuildProgress) -> str:
    """`1,200/5,000 events  850/s  ETA 4s` (pure, for the bar and for tests)."""
    from datetime import timedelta

    eta = "-" if step.eta_seconds is None else format_age(timedelta(seconds=step.eta_seconds))
    return f"{step.processed:,}/{step.total:,} events  {step.rate_per_second:,.0f}/s  ETA {eta}"


@contextmanager
def progress_bar(console: Console, title: str) -> Iterator[ProgressCallback]:
    """A bar on `console` (stderr), drawn from the first report on (so an error that comes
    before any progress stays a single line), and the callback that moves it."""
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[status]}"))
    bar = Progress(*columns, console=console, transient=False)
    task: TaskID | None = None

    def report(step: RebuildProgress) -> None:
        nonlocal task
        if task is None:
            bar.start()
            task = bar.add_task(title, total=None, status="")
        bar.update(task, completed=step.processed, total=max(step.total, 1), status=describe(step))

    try:
        yield report
    finally:
        if task is not None:
            bar.stop()
