"""Commands that look back at the store: report, history, show, feed, notify.

Each parses its flags, calls one library function (``operations``) and renders the result."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from cnca_watch.cli_common import (
    AreaOption,
    ConfigOption,
    OutputFormat,
    QuietOption,
    SourceOption,
    StoreOption,
    emit,
    guard,
    load,
    output_options,
    print_error,
)
from cnca_watch.clock import PERIOD_HELP, parse_when
from cnca_watch.errors import UsageError

__all__ = ["PERIOD_HELP", "parse_when", "register"]  # parse_when lives in clock; kept importable here


def register(app: typer.Typer) -> None:
    @app.command()
    @guard
    @output_options("report")
    def report(
        output: OutputFormat,
        since: str = typer.Option("7d", "--since", help=f"Start: {PERIOD_HELP}."),
        until: Optional[str] = typer.Option(None, "--until", help="End (exclusive): same forms as --since."),
        area: Optional[list[str]] = AreaOption,
        source: Optional[list[str]] = SourceOption,
        by_published: bool = typer.Option(
            False, "--by-published", help="Filter on the publication date instead of when cnca-watch first saw it."
        ),
        baseline: bool = typer.Option(
            False, "--baseline", help="Include what each source's first run recorded (its starting list, not news)."
        ),
        config_path: Optional[Path] = ConfigOption,
        store: Optional[str] = StoreOption,
        quiet: bool = QuietOption,
    ) -> None:
        """Digest of what was new or changed in a period, grouped by task area."""
        from cnca_watch.operations import ReportQuery, build_period_report

        query = ReportQuery(
            since=since, until=until, areas=tuple(area or ()), sources=tuple(source or ()),
            by_published=by_published, baseline=baseline,
        )
        built = build_period_report(load(config_path, store), query)
        if not (quiet and built.total == 0):
            emit("report", output, built)

    @app.command()
    @guard
    @output_options("history")
    def history(
        output: OutputFormat,
        limit: int = typer.Option(20, "--limit", "-n", min=1, max=100_000, help="How many runs to list."),
        config_path: Optional[Path] = ConfigOption,
        store: Optional[str] = StoreOption,
        quiet: bool = QuietOption,
    ) -> None:
        """List past runs: when, sources ok/failed, counts."""
        from cnca_watch.operations import run_history

        runs = run_history(load(config_path, store), limit)
        if not (quiet and not runs):
            emit("history", output, runs)

    @app.command()
    @guard
    @output_options("show")
    def show(
        output: OutputFormat,
        key: str = typer.Argument(..., help="An announcement URL, or a change id as `check --json` prints it."),
        full: bool = typer.Option(False, "--full", help="Each attachment file's whole text, not an excerpt."),
        config_path: Optional[Path] = ConfigOption,
        store: Optional[str] = StoreOption,
    ) -> None:
        """One announcement with all its versions (attachment files: hash, size, type, text), tags and diffs."""
        from cnca_watch.operations import find_announcement

        emit("show --full" if full else "show", output, find_announcement(load(config_path, store), key))

    @app.command()
    @guard
    @output_options("feed")
    def feed(
        output: OutputFormat,
        since: str = typer.Option("30d", "--since", help=f"Start: {PERIOD_HELP}."),
        config_path: Optional[Path] = ConfigOption,
        store: Optional[str] = StoreOption,
    ) -> None:
        """Write an Atom feed of changes to stdout (one entry per change, areas as categories)."""
        from cnca_watch.operations import feed as build_feed

        emit("feed", output, build_feed(load(config_path, store), since))

    @app.command()
    @guard
    def notify(
        config_path: Optional[Path] = ConfigOption,
        store: Optional[str] = StoreOption,
        email_only: bool = typer.Option(False, "--email", help="Email only, no webhooks."),
    ) -> None:
        """Send what is still pending (undelivered email/webhook changes) without fetching."""
        from cnca_watch import delivery
        from cnca_watch.errors import ExitCode

        config = load(config_path, store)
        if config.email is None and not config.webhooks:
            raise UsageError("nothing to notify: the config has no [email] table and no [[webhooks]]")
        if email_only and config.email is None:
            raise UsageError("--email: the config has no [email] table (host, from, to); see config.example.toml")
        problems = delivery.deliver_pending(config, email=config.email is not None, webhooks=not email_only)
        for problem in problems:
            print_error(f"error: {problem}")
        raise typer.Exit(int(ExitCode.DELIVERY) if problems else 0)
