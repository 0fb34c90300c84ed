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


NOT_ACKNOWLEDGED = "nothing was acknowledged, the next run shows these changes again"


class OutputError(CncaWatchError):
    """Standard output could not be written: disk full, closed, an I/O error.  Not a bug,
    and nothing the output carried was acknowledged.  Exit 74 (EX_IOERR), as for a pipe
    closed early."""

    exit_code = ExitCode.OUTPUT

    def __init__(self, problem: str, hint: str = "") -> None:
        super().__init__(f"{problem}; {hint}" if hint else problem)
        self.problem = problem


STDOUT_CLOSED = "standard output is closed"
STDOUT_CLOSED_HINT = "give the command somewhere to write, e.g. `> file` or `> /dev/null`"


class GuardedStdout:
    """``sys.stdout`` while a command runs: a failed write or flush becomes ``OutputError``
    (a broken pipe stays ``BrokenPipeError``, which ``guard`` words differently), and a
    closed standard output (``sys.stdout`` is None) is a non-terminal that refuses text."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        if self.stream is None:
            if not text:
                return 0
            raise OutputError(STDOUT_CLOSED, STDOUT_CLOSED_HINT)
        try:
            return int(self.stream.write(text))
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise _output_error(exc) from None

    def flush(self) -> None:
        if self.stream is None:
            return
        try:
            self.stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise _output_error(exc) from None

    def isatty(self) -> bool:
        return _is_terminal(self.stream)

    @property
    def encoding(self) -> str:
        return getattr(self.stream, "encoding", None) or "utf-8"

    def __getattr__(self, name: str) -> Any:
        if self.stream is None:
            raise AttributeError(f"{STDOUT_CLOSED}: no {name}")
        return getattr(self.stream, name)


def _output_error(exc: OSError) -> OutputError:
    return OutputError(f"the output could not be written ({exc.strerror or exc})")


def _is_terminal(stream: Any) -> bool:
    if stream is None:
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def stdout_is_terminal() -> bool:
    """Whether standard output is a terminal; False when it is closed."""
    return _is_terminal(sys.stdout)


def _discard_stdout(stream: Any) -> None:
    """Point file descriptor 1 at /dev/null, so that the interpreter's last flush of what
    could not be written does not fail a second time on the way out."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return  # closed, or not a real file (a test runner's buffer)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def _settle_stdout(guarded: GuardedStdout) -> None:
    """Before reporting another error: get out what was printed, or drop it quietly."""
    try:
        guarded.flush()
    except (OutputError, OSError):
        _discard_stdout(guarded.stream)


def stdout_console() -> "Console":
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False)


def print_error(message: str) -> None:
    from cnca_watch.render.safe import clean_text

    if sys.stderr is None:  # closed as well: the exit status is all there is
        return
    sys.stderr.write(f"cnca-watch: {clean_text(message)}\n")
    sys.stderr.flush()


def guard(func: F) -> F:
    """Library errors become one line on stderr and their exit code; never a traceback.

    Standard output is written through ``GuardedStdout`` and flushed before the command
    counts as done, so that output which could not be written (disk full, closed) is
    reported as such — exit 74, like a pipe closed early — and never as a bug."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        stdout = sys.stdout
        guarded = GuardedStdout(stdout.stream if isinstance(stdout, GuardedStdout) else stdout)
        sys.stdout = guarded  # type: ignore[assignment]
        try:
            try:
                result = func(*args, **kwargs)
            except typer.Exit:
                guarded.flush()
                raise
            guarded.flush()
            return result
        except OutputError as exc:
            _discard_stdout(guarded.stream)
            print_error(f"error: {exc}")
            raise typer.Exit(int(exc.exit_code)) from None
        except CncaWatchError as exc:
            _settle_stdout(guarded)
            print_error(f"error: {exc}")
            raise typer.Exit(int(exc.exit_code)) from None
        except KeyboardInterrupt:
            _settle_stdout(guarded)
            print_error("interrupted; an unfinished run saves nothing, and changes not yet shown come with the next run")
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
        except BrokenPipeError:
            # The reader went away: the output did not get out, so nothing is acknowledged.
            _discard_stdout(guarded.stream)
            print_error(f"error: the output pipe closed early; {NOT_ACKNOWLEDGED}")
            raise typer.Exit(int(ExitCode.OUTPUT)) from None
        except Exception as exc:
            if isinstance(exc, (typer.Exit, typer.Abort)) or type(exc).__module__.startswith(("click", "typer")):
                raise  # the command line framework's own flow (usage errors, exits)
            # A bug.  The store's transaction has rolled back; say so in one line and keep
            # the traceback for whoever asks for it.
            if os.environ.get("CNCA_WATCH_DEBUG"):
                raise
            _settle_stdout(guarded)
            print_error(
                f"internal error: {type(exc).__name__}: {exc} — this is a bug in cnca-watch; "
                "an unfinished check saves nothing (set CNCA_WATCH_DEBUG=1 for the traceback)"
            )
            raise typer.Exit(int(ExitCode.INTERNAL)) from None
        finally:
            sys.stdout = stdout

    return wrapper  # type: ignore[return-value]


def choose_format(fmt: Optional[OutputFormat], as_json: bool) -> OutputFormat:
    if as_json:
        if fmt not in (None, OutputFormat.json):
            raise UsageError("--json and --format are both given; use one of them")
        return OutputFormat.json
    if fmt is not None:
        return fmt
    return OutputFormat.terminal if stdout_is_terminal() else OutputFormat.text


def load(config_path: Optional[Path], store: Optional[Path]) -> "Config":
    from cnca_watch.config import load_config

    return load_config(config_path, store_path=store, warn=print_error)




def write_json(document: Any) -> None:
    """One JSON document on stdout: indented for a person at a terminal, compact for a pipe."""
    from cnca_watch.render.json import dumps

    sys.stdout.write(dumps(document, pretty=stdout_is_terminal()) + "\n")
    sys.stdout.flush()


def open_existing_store(config: "Config", *, write: bool = False) -> "Store":
    """Open the store; a missing one is an error, not a new empty store.

    Read-only unless ``write``: looking at a store never writes to it, so a store on a
    read-only file system, or in a folder the user cannot write, can still be read."""
    from cnca_watch.errors import StoreError
    from cnca_watch.store import Store

    if not config.store_path.exists():
        raise StoreError(
            f"no store at {config.store_path}; run `cnca-watch check` first, or point --store at your store"
        )
    return Store.open(config.store_path, read_only=not write)
