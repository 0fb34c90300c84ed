"""The year in review: ``backfill`` (walk the lists back, record history) and ``review``.

Each parses its flags, calls one library function and renders the result."""

from __future__ import annotations

import sys
import typing
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional

import typer

from cnca_watch.cli_common import (
    ConfigOption,
    OutputFormat,
    SourceOption,
    StoreOption,
    emit,
    guard,
    load,
    output_options,
)
from cnca_watch.errors import UsageError

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from cnca_watch.settings import Config

    from cnca_watch.backfill import PageDone


def register(app: typer.Typer) -> None:
    @app.command()
    @guard
    @output_options("backfill")
    def backfill(
        output: OutputFormat,
        since: Optional[str] = typer.Option(
            None, "--since", help="Walk back until items published before this day (YYYY-MM-DD)."
        ),
        pages: Optional[int] = typer.Option(None, "--pages", help="Read at most this many list pages deep per source."),
        source: Optional[list[str]] = SourceOption,
        max_requests: Optional[int] = typer.Option(
            None, "--max-requests", help="Send at most this many requests in all (run again to go on)."
        ),
        config_path: Optional[Path] = ConfigOption,
        store: Optional[str] = StoreOption,
    ) -> None:
        """Record each source's older announcements (its list's earlier pages) as history, not news.

        Resumable: each list page is saved with the source's place in its list, so running it
        again continues where it stopped.  Safe beside a daily check (it waits for its lock)."""
        from cnca_watch.backfill import backfill as run_backfill

        if since is not None:
            _check_day(since, "--since")
        config = load(config_path, store)
        with _progress() as progress:
            result = run_backfill(
                config, since=since, max_pages=pages, only=source or None, max_requests=max_requests, progress=progress
            )
        emit("backfill", output, result)

    @app.command()
    @guard
    @output_options("review")
    def review(
        output: OutputFormat,
        year: Optional[int] = typer.Option(None, "--year", help="The calendar year to review (default: this year)."),
        since: Optional[str] = typer.Option(None, "--since", help="First publication day (YYYY-MM-DD) instead of --year."),
        until: Optional[str] = typer.Option(None, "--until", help="Last publication day (YYYY-MM-DD, included)."),
        config_path: Optional[Path] = ConfigOption,
        store: Optional[str] = StoreOption,
        email: bool = typer.Option(
            False, "--email", help="Also mail it to the [email] recipients (text + HTML with the inline SVG chart)."
        ),
    ) -> None:
        """A year (or period) by task area and publication month: counts, trend chart, the most
        important items, items with no area, and the previous year beside it."""
        from cnca_watch.operations import build_store_review, email_review

        config = load(config_path, store)
        result = build_store_review(config, year=year, since=since, until=until)
        if email:
            email_review(config, result)
        emit("review", output, result)


def _side_stream(output: OutputFormat) -> "typing.TextIO":
    # Documents (json, html, markdown) stay clean on stdout; the banners go beside them.
    return sys.stdout if output in (OutputFormat.terminal, OutputFormat.text) else sys.stderr


def demo_backfill(config: "Config", base_url: str, output: OutputFormat) -> None:
    """``demo --archive``, first step: backfill the mirror's archive from 2023 on."""
    from cnca_watch.backfill import backfill as run_backfill

    stream = _side_stream(output)
    stream.write(f"\n=== cnca-watch backfill --since 2023-01-01 against the mirror's archive at {base_url} ===\n")
    stream.flush()
    with _progress() as progress:
        result = run_backfill(config, since="2023-01-01", progress=progress)
    emit("backfill", OutputFormat.json if output is OutputFormat.json else OutputFormat.text, result)
    sys.stdout.flush()


def demo_review(config: "Config", output: OutputFormat) -> None:
    """``demo --archive``, last step: the 2024 review of what the store now holds."""
    from cnca_watch.operations import build_store_review

    stream = _side_stream(output)
    stream.write("\n=== cnca-watch review --year 2024 ===\n")
    stream.flush()
    emit("review", output, build_store_review(config, year=2024))


def _check_day(day: str, option: str) -> None:
    from datetime import date

    try:
        date.fromisoformat(day)
    except ValueError:
        raise UsageError(f"{option} {day!r} is not a day; write it as YYYY-MM-DD, e.g. 2024-01-01") from None
    if len(day) != 10:
        raise UsageError(f"{option} {day!r} is not a day; write it as YYYY-MM-DD, e.g. 2024-01-01")


class _progress:
    """A transient rich progress bar per source on a terminal (pages, items, ETA); one line per
    source on standard error otherwise."""

    def __init__(self) -> None:
        self._bar: "Progress | None" = None
        self._tasks: dict[str, "TaskID"] = {}

    def __enter__(self) -> "Callable[[PageDone], None]":
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            bar = Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("pages"),
                TextColumn("{task.fields[items]} items"), TimeRemainingColumn(),
                console=Console(stderr=True), transient=True,
            )
            bar.start()
            self._bar = bar
            return self._on_terminal
        return self._one_line

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def _on_terminal(self, event: "PageDone") -> None:
        bar = self._bar
        assert bar is not None
        task = self._tasks.get(event.source)
        if task is None:
            task = self._tasks[event.source] = bar.add_task(event.source, total=event.pages, items=0)
        if event.done:  # a finished source shows a full bar, however deep it expected to go
            bar.update(task, total=bar.tasks[task].completed or 1, completed=bar.tasks[task].completed or 1, items=event.items)
        else:
            bar.update(task, completed=event.page, total=event.pages, items=event.items)

    def _one_line(self, event: "PageDone") -> None:
        if event.done:
            print(f"backfill {event.source}: {event.items} items recorded", file=sys.stderr)
