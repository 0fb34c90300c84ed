"""Commands over attachments and the search index: ``search`` and ``attachment get``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

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
    print_error,
)
from cnca_watch.clock import PERIOD_HELP

attachment_app = typer.Typer(help="Stored attachment files.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(attachment_app, name="attachment")

    @app.command()
    @guard
    @output_options("search")
    def search(
        output: OutputFormat,
        query: str = typer.Argument(
            ..., help='Words to find (认证 机构 = both, 认证 OR 3C = either, "a phrase"); Chinese needs no spaces.'
        ),
        area: Optional[list[str]] = AreaOption,
        source: Optional[list[str]] = SourceOption,
        since: Optional[str] = typer.Option(None, "--since", help=f"Published on or after: {PERIOD_HELP}."),
        until: Optional[str] = typer.Option(None, "--until", help="Published before: same forms as --since."),
        kind: Optional[list[str]] = typer.Option(None, "--kind", help="Only versions recorded as new, changed or removed (repeatable)."),
        within: Optional[list[str]] = typer.Option(None, "--in", help="Search only title, body or attachments (repeatable)."),
        limit: int = typer.Option(20, "--limit", "-n", help="At most this many announcements."),
        config_path: Optional[Path] = ConfigOption,
        store: Optional[str] = StoreOption,
    ) -> None:
        """Full-text search over titles, bodies and attachment text of every stored version."""
        from cnca_watch.searching import FIELDS, search_store

        result = search_store(
            load(config_path, store), query, areas=area or (), sources=source or (), since=since, until=until,
            kinds=kind or (), fields=tuple(within or FIELDS), limit=limit,
        )
        for note in result.notes:  # stderr: the output (JSON included) stays what it always is
            print_error(note)
        emit("search", output, result)

    @attachment_app.command("get")
    @guard
    def get(
        key: str = typer.Argument(..., help="The file's SHA-256 (or 8+ leading digits) or its attachment link."),
        out: Optional[Path] = typer.Option(None, "--output", "-o", help="Write to this file (default: standard output)."),
        config_path: Optional[Path] = ConfigOption,
        store: Optional[str] = StoreOption,
    ) -> None:
        """Write a stored attachment file out, byte for byte."""
        from cnca_watch.errors import UsageError
        from cnca_watch.searching import attachment_file

        found = attachment_file(load(config_path, store), key)
        assert found.content is not None
        if out is None:
            sys.stdout.flush()
            sys.stdout.buffer.write(found.content)
            return
        try:
            out.write_bytes(found.content)
        except OSError as exc:
            raise UsageError(f"cannot write {out}: {exc.strerror or exc}; choose another --output") from None
