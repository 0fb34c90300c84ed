"""The ``fields``, ``eval-fields`` and ``upcoming`` commands (registered on the main Typer
app by cli.py): what each announcement says about itself, and the dates ahead."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from cnca_watch.cli_common import (
    AreaOption,
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


def register(app: typer.Typer) -> None:
    """Add ``fields``, ``eval-fields`` and ``upcoming`` to ``app``."""

    @app.command("fields")
    @guard
    @output_options("fields")
    def fields_command(
        output: OutputFormat,
        text: Optional[str] = typer.Argument(
            None, help='Text to read: first line the title, the rest the body; omit with --json to read {"title","body","date"} lines from stdin.'
        ),
        date: Optional[str] = typer.Option(None, "--date", help="Publication day YYYY-MM-DD (for 自发布之日起施行)."),
        stored: bool = typer.Option(
            False, "--stored", help="Read the fields of the stored versions that have none (a store from before fields)."
        ),
        every: bool = typer.Option(False, "--all", help="With --stored: re-read every stored version."),
        config: Optional[Path] = ConfigOption,
        store: Optional[str] = StoreOption,
    ) -> None:
        """Show the document number, type, issuers, dates and references a text states.

        With --json and no TEXT: one request per stdin line, {"title", "body", "date"} ->
        one JSON object per line with the seven keys (null / [] where absent)."""
        from cnca_watch.commands_classify import _stdin_lines
        from cnca_watch.fields import extract_fields, extract_json_line
        from cnca_watch.render.fields import TextFields
        from cnca_watch.upcoming import parse_day

        settings = load(config, store)
        if stored:
            if text is not None:
                raise UsageError("--stored reads the store; give no TEXT with it")
            from cnca_watch.operations import fill_stored_fields

            emit("fields --stored", output, fill_stored_fields(settings, every=every))
            return
        if every:
            raise UsageError("--all goes with --stored (re-read every stored version)")
        published = parse_day(date, "--date") if date else None
        if text is not None:
            # the first line is the title, the rest the body (as an announcement page reads)
            title, _, body = text.strip().partition("\n")
            emit("fields", output, TextFields(title, body, published, extract_fields(title, body, published)))
            return
        if output is not OutputFormat.json:
            raise UsageError('give a TEXT, or pipe {"title","body","date"} lines into `cnca-watch fields --json`')
        if sys.stdin is None or sys.stdin.isatty():
            raise UsageError('pipe {"title": …, "body": …, "date": "YYYY-MM-DD"} lines into `cnca-watch fields --json`')
        for number, line in enumerate(_stdin_lines(), 1):
            if not line.strip():
                continue
            sys.stdout.write(_json_line(extract_json_line(line, number)))
        sys.stdout.flush()

    @app.command("eval-fields")
    @guard
    @output_options("eval-fields")
    def eval_fields_command(
        output: OutputFormat,
        file: Path = typer.Argument(..., help="Labelled JSON Lines: title, body, date and the seven hand-labelled fields."),
    ) -> None:
        """Score the field extractor on a labelled file: precision and recall per field."""
        from cnca_watch.evaluate_fields import evaluate_fields_file

        emit("eval-fields", output, evaluate_fields_file(file))

    @app.command("upcoming")
    @guard
    @output_options("upcoming")
    def upcoming_command(
        output: OutputFormat,
        days: int = typer.Option(30, "--days", help="How many days ahead to look."),
        source: Optional[List[str]] = SourceOption,
        area: Optional[List[str]] = AreaOption,
        start: Optional[str] = typer.Option(None, "--from", help="First day YYYY-MM-DD (default: today in Beijing)."),
        config: Optional[Path] = ConfigOption,
        store: Optional[str] = StoreOption,
    ) -> None:
        """Effective dates, transition ends and comment deadlines ahead, soonest first.

        --format ics writes an RFC 5545 calendar: re-importing it updates the events."""
        from cnca_watch.operations import upcoming_dates
        from cnca_watch.upcoming import parse_day

        first = parse_day(start, "--from") if start else None
        settings = load(config, store)
        emit(
            "upcoming",
            output,
            upcoming_dates(settings, days=days, sources=tuple(source or ()), areas=tuple(area or ()), start=first),
        )


def _json_line(document: object) -> str:
    import json

    return json.dumps(document, ensure_ascii=False) + "\n"
