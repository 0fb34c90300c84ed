"""What every command shares: output formats, common options, config loading, and the
one place where library errors become exit codes (``guard``)."""

from __future__ import annotations

import functools
import os
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional, TypeVar

import typer

from cnca_watch.errors import CncaWatchError, ExitCode, UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from cnca_watch.settings import Config
    from cnca_watch.store import Store

F = TypeVar("F", bound=Callable[..., Any])


class OutputFormat(str, Enum):
    terminal = "terminal"
    text = "text"
    markdown = "markdown"
    html = "html"
    json = "json"


ConfigOption = typer.Option(
    None, "--config", "-c", help="TOML config file (default: $CNCA_WATCH_CONFIG, then the user config file).",
    dir_okay=False,
)
StoreOption = typer.Option(None, "--store", help="SQLite snapshot store (overrides [store] path).", dir_okay=False)
FormatOption = typer.Option(
    None, "--format", "-f",
    help="Output format; default: terminal on a TTY, text otherwise.", case_sensitive=False,
)
JsonOption = typer.Option(False, "--json", help="Same as --format json.")
JsonOnlyOption = typer.Option(False, "--json", help="Print JSON instead of text.")


# -- plumbing -----------------------------------------------------------------


def stdout_console() -> "Console":
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False)


def print_error(message: str) -> None:
    from cnca_watch.render.safe import clean_text

    sys.stderr.write(f"cnca-watch: {clean_text(message)}\n")
    sys.stderr.flush()


def guard(func: F) -> F:
    """Library errors become one line on stderr and their exit code; never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except CncaWatchError as exc:
            print_error(f"error: {exc}")
            raise typer.Exit(int(exc.exit_code)) from None
        except KeyboardInterrupt:
            print_error("interrupted; an unfinished run saves nothing, and changes not yet shown come with the next run")
            raise typer.Exit(130) from None
        except BrokenPipeError:
            # The reader went away: the output did not get out, so nothing is acknowledged.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            print_error("error: the output pipe closed early; nothing was acknowledged, the next run shows these changes again")
            raise typer.Exit(int(ExitCode.SOURCE_FAILED)) from None
        except Exception as exc:
            if isinstance(exc, (typer.Exit, typer.Abort)) or type(exc).__module__.startswith(("click", "typer")):
                raise  # the command line framework's own flow (usage errors, exits)
            # A bug.  The store's transaction has rolled back; say so in one line and keep
            # the traceback for whoever asks for it.
            if os.environ.get("CNCA_WATCH_DEBUG"):
                raise
            print_error(
                f"internal error: {type(exc).__name__}: {exc} — this is a bug in cnca-watch; "
                "an unfinished check saves nothing (set CNCA_WATCH_DEBUG=1 for the traceback)"
            )
            raise typer.Exit(int(ExitCode.INTERNAL)) from None

    return wrapper  # type: ignore[return-value]


def choose_format(fmt: Optional[OutputFormat], as_json: bool) -> OutputFormat:
    if as_json:
        if fmt not in (None, OutputFormat.json):
            raise UsageError("--json and --format are both given; use one of them")
        return OutputFormat.json
    if fmt is not None:
        return fmt
    return OutputFormat.terminal if sys.stdout.isatty() else OutputFormat.text


def load(config_path: Optional[Path], store: Optional[Path]) -> "Config":
    from cnca_watch.config import load_config

    return load_config(config_path, store_path=store, warn=print_error)




def write_json(document: Any) -> None:
    """One JSON document on stdout: indented for a person at a terminal, compact for a pipe."""
    from cnca_watch.render.json import dumps

    sys.stdout.write(dumps(document, pretty=sys.stdout.isatty()) + "\n")
    sys.stdout.flush()


def open_existing_store(config: "Config") -> "Store":
    """Open the store for reading; a missing one is an error, not a new empty store."""
    from cnca_watch.errors import StoreError
    from cnca_watch.store import Store

    if not config.store_path.exists():
        raise StoreError(
            f"no store at {config.store_path}; run `cnca-watch check` first, or point --store at your store"
        )
    return Store.open(config.store_path)
