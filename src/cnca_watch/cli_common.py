"""What every command shares: the options (each declared once, spelled the same on every
command), the output options and how they choose a renderer, config loading, and the one
place where library errors become exit codes (``guard``)."""

from __future__ import annotations

import functools
import inspect
import os
import sys
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional, TypeVar

import typer

from cnca_watch.errors import CncaWatchError, ExitCode, UsageError
from cnca_watch.render import OutputFormat, RenderOptions, default_format, formats, render, renderer

if TYPE_CHECKING:
    from cnca_watch.settings import Config

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["OutputFormat", "open_existing_store"]  # re-exported for the command modules


def open_existing_store(*args: Any, **kwargs: Any) -> Any:
    """``operations.open_existing_store``, imported only by the commands that read a store."""
    from cnca_watch.operations import open_existing_store as open_store

    return open_store(*args, **kwargs)


ConfigOption = typer.Option(
    None, "--config", "-c", help="TOML config file (default: $CNCA_WATCH_CONFIG, then the user config file).",
    dir_okay=False,
)
StoreOption = typer.Option(
    None, "--store", help="Snapshot store: a SQLite file or postgresql://… (overrides [store])."
)
SourceOption = typer.Option(None, "--source", "-s", help="Only this source (repeatable).")
AreaOption = typer.Option(None, "--area", "-a", help="Only this task area id (repeatable).")
QuietOption = typer.Option(
    False, "--quiet", "-q", help="Print nothing when there is nothing to report (no change, no failure)."
)


def _format_help(kind: str, names: str) -> str:
    has_screen = OutputFormat.terminal in formats(kind)
    default = "terminal on a TTY, text otherwise" if has_screen else formats(kind)[0].value
    return f"Output format ({names}); default: {default}."


def output_options(kind: str) -> Callable[[F], F]:
    """``--format/-f`` and ``--json`` on a command that prints ``kind`` (a key of
    ``render.RENDERERS``), declared here once, as sqlite-utils shares ``output_options``.

    The command receives ``output: OutputFormat`` (already checked against the formats
    ``kind`` has) instead of the two flags."""
    names = ", ".join(f.value for f in formats(kind))
    fmt_param = inspect.Parameter(
        "fmt", inspect.Parameter.KEYWORD_ONLY, annotation=Optional[OutputFormat],
        default=typer.Option(
            None, "--format", "-f", case_sensitive=False,
            help=_format_help(kind, names),
        ),
    )
    json_param = inspect.Parameter(
        "as_json", inspect.Parameter.KEYWORD_ONLY, annotation=bool,
        default=typer.Option(False, "--json", help="Same as --format json."),
    )
    lang_param = inspect.Parameter(
        "lang", inspect.Parameter.KEYWORD_ONLY, annotation=Optional[str],
        default=typer.Option(
            None, "--lang", help='"en": an English gloss under each Chinese title (default: [output] language, else zh).',
        ),
    )

    def decorate(func: F) -> F:
        signature = inspect.signature(func)
        params = [p for name, p in signature.parameters.items() if name != "output"]

        @functools.wraps(func)
        def wrapper(
            *args: Any, fmt: Optional[OutputFormat] = None, as_json: bool = False, lang: Optional[str] = None, **kwargs: Any
        ) -> Any:
            if lang is not None and lang not in ("en", "zh"):
                raise UsageError(f"--lang {lang}: use en (an English gloss under each title) or zh")
            _REQUESTED_LANGUAGE.set(lang)
            return func(*args, output=choose_format(fmt, as_json, kind), **kwargs)

        wrapper.__signature__ = signature.replace(parameters=[*params, fmt_param, json_param, lang_param])  # type: ignore[attr-defined]
        annotations = {k: v for k, v in func.__annotations__.items() if k != "output"}
        wrapper.__annotations__ = {**annotations, "fmt": Optional[OutputFormat], "as_json": bool, "lang": Optional[str]}
        return wrapper  # type: ignore[return-value]

    return decorate


# --lang as given on this command line, and the loaded config's [output] language / [glossary]
_REQUESTED_LANGUAGE: ContextVar[Optional[str]] = ContextVar("_REQUESTED_LANGUAGE", default=None)
_CONFIGURED_OUTPUT: ContextVar[tuple[str, Any]] = ContextVar("_CONFIGURED_OUTPUT", default=("zh", None))


def emit(kind: str, output: OutputFormat, payload: Any) -> None:
    """Render ``payload`` to standard output (JSON indented only for a person at a terminal)."""
    configured, glossary = _CONFIGURED_OUTPUT.get()
    language = _REQUESTED_LANGUAGE.get() or configured
    render(kind, output, payload, RenderOptions(pretty=stdout_is_terminal(), language=language, glossary=glossary))


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
        sys.stdout = guarded
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


def choose_format(fmt: Optional[OutputFormat], as_json: bool, kind: str = "check") -> OutputFormat:
    """The format asked for (or terminal on a TTY, text otherwise), if ``kind`` has it."""
    if as_json:
        if fmt not in (None, OutputFormat.json):
            raise UsageError("--json and --format are both given; use one of them")
        chosen = OutputFormat.json
    elif fmt is not None:
        chosen = fmt
    else:
        chosen = default_format(kind, terminal=stdout_is_terminal())
    renderer(kind, chosen)  # refuses a format the command does not print, before any work
    return chosen


def load(config_path: Optional[Path], store: Optional[str]) -> "Config":
    from cnca_watch.config import load_config

    config = load_config(config_path, store_path=store, warn=print_error)
    _CONFIGURED_OUTPUT.set((config.language, config.glossary or None))
    return config
