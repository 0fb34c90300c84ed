"""``cnca-watch store copy FROM TO``: move a whole history between stores (SQLite ↔ PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import typer

from cnca_watch.cli_common import guard
from cnca_watch.errors import StoreError

store_app = typer.Typer(help="Work on whole stores: copy a history between SQLite and PostgreSQL.", no_args_is_help=True)


@store_app.command("copy")
@guard
def copy_command(
    source: str = typer.Argument(..., metavar="FROM", help="The store to read: a SQLite file, sqlite:///… or postgresql://…"),
    target: str = typer.Argument(..., metavar="TO", help="A new, empty store to write (created, or an empty database)."),
    wait: float = typer.Option(30.0, "--wait", min=0.0, help="Seconds to wait for a run holding either store."),
) -> None:
    """Copy every run, announcement, version, change and outbox entry from FROM into the
    empty store TO, then print each table's rows and checksum on both sides."""
    from cnca_watch.store_url import store_location
    from cnca_watch.store.backend import redact
    from cnca_watch.store.copying import copy_store

    def where(text: str) -> Path | str:
        file, url = store_location(text)
        return url if url is not None else (file or Path(text))

    copied = copy_store(where(source), where(target), lock_timeout=wait)
    width = max([len(c.table) for c in copied] + [5])
    typer.echo(f"copied {redact(source)} -> {redact(target)}")
    typer.echo(f"{'table':<{width}}  {'rows from':>9}  {'rows to':>9}  {'checksum from':<16}  {'checksum to':<16}")
    for c in copied:
        mark = "" if c.same else "  DIFFERENT"
        typer.echo(
            f"{c.table:<{width}}  {c.rows_from:>9}  {c.rows_to:>9}  {c.checksum_from:<16}  {c.checksum_to:<16}{mark}"
        )
    different = [c.table for c in copied if not c.same]
    if different:
        raise StoreError(f"store copy: {', '.join(different)} differ(s) between the two stores; do not use the copy")
    typer.echo(f"all {len(copied)} tables match")


def register(app: typer.Typer) -> None:
    app.add_typer(store_app, name="store")
