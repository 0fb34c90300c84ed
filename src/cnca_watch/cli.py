"""The ``cnca-watch`` command: parse flags, call the library, choose the renderer.

No logic lives here.  Heavy modules (httpx, selectolax, sqlite work) are imported
inside the commands so that ``--help`` and ``--version`` stay instant.
Errors become exit codes in one place: ``guard`` (codes in ``errors.ExitCode``).
"""

from __future__ import annotations

import contextlib
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Optional

import typer

from cnca_watch import __version__
from cnca_watch.cli_common import (
    NOT_ACKNOWLEDGED,
    ConfigOption,
    OutputError,
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
from cnca_watch.errors import ExitCode, UsageError, exit_status_help

if TYPE_CHECKING:
    from cnca_watch.settings import Config

_app = typer.Typer(
    name="cnca-watch",
    help="Watch CNCA and SAMR certification/accreditation announcements; show what is new, changed or removed.\n\n"
    + exit_status_help(),
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
sources_app = typer.Typer(help="List the configured sources, or test one before adding it.", no_args_is_help=True)
_app.add_typer(sources_app, name="sources")


@guard
def _version_callback(value: bool) -> None:
    if value:
        sys.stdout.write(f"cnca-watch {__version__}\n")
        raise typer.Exit(0)


@_app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Watch CNCA and SAMR announcements."""


# -- check ----------------------------------------------------------------------


@_app.command(epilog=exit_status_help())
@guard
@output_options("check")
def check(
    output: OutputFormat,
    config_path: Optional[Path] = ConfigOption,
    store: Optional[str] = StoreOption,
    quiet: bool = QuietOption,
    exit_code: bool = typer.Option(False, "--exit-code", help="Exit 5 when changes were found (like git diff --exit-code)."),
    email: bool = typer.Option(False, "--email", help="Email the changes ([email] in the config)."),
    notify: bool = typer.Option(False, "--notify", help="Deliver to email and every [[webhooks]] url."),
    source: Optional[list[str]] = SourceOption,
    accept_layout: Optional[list[str]] = typer.Option(
        None,
        "--accept-layout",
        help="This source's list really is far shorter now: take it instead of holding it back as "
        "layout_changed (repeatable).",
    ),
    wait: float = typer.Option(
        30.0, "--wait", min=0.0, help="Seconds to wait for another run holding the store before giving up (exit 3)."
    ),
) -> None:
    """Fetch every source, show what is new, changed or removed, and store the snapshot."""
    # Only what sends the list requests is imported before they go out: the pipeline, the
    # store and delivery load while the answers are in flight (check_run.py).
    from cnca_watch.check_run import check as run_check

    config = load(config_path, store)
    _check_sources_exist(config, source)
    _check_sources_exist(config, accept_layout, option="--accept-layout ")
    channels: tuple[str, ...] = ()
    if email or notify:
        from cnca_watch.delivery import channels_for

        channels = channels_for(config, email=email, notify=notify)
    total = len(source) if source else len(config.sources)
    with _progress_bar(total, enabled=output is OutputFormat.terminal) as progress:
        result = run_check(
            config, channels=channels, only=source, progress=progress, lock_timeout=wait,
            accept_layout=accept_layout or (),
        )
    if not (quiet and not result.changes and not result.failed):
        try:
            emit("check", output, result)
            sys.stdout.flush()  # acknowledged below only once it got out
        except OutputError as exc:
            if not result.changes:
                raise
            # The run is stored; its changes stay pending, and the next check shows them.
            raise OutputError(exc.problem, NOT_ACKNOWLEDGED) from None
    from cnca_watch.pipeline import acknowledge

    acknowledge(config, result)
    code = ExitCode.SOURCE_FAILED if result.failed else ExitCode.OK
    if email or notify:
        from cnca_watch import delivery

        problems = delivery.deliver_pending(config, email=config.email is not None, webhooks=notify, run=result)
        from cnca_watch.alerts import send_source_alerts

        problems += send_source_alerts(config, result, email=config.email is not None, webhooks=notify)
        for problem in problems:
            print_error(f"error: {problem}")
        if problems:
            code = ExitCode.DELIVERY
    if code is ExitCode.OK and exit_code and result.changes:
        code = ExitCode.CHANGES
    raise typer.Exit(int(code))


def _check_sources_exist(config: "Config", names: Optional[list[str]], option: str = "") -> None:
    known = [s.name for s in config.sources]
    for name in names or ():
        if name not in known:
            raise UsageError(f"{option}no source named {name!r}; configured sources: {', '.join(known)}")


@contextlib.contextmanager
def _progress_bar(total: int, *, enabled: bool) -> Iterator[Optional[Callable[[str, str], None]]]:
    """A transient bar on stderr, only on a terminal and only once a run takes a moment."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("checking sources"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=Console(stderr=True), transient=True,
    )
    task = bar.add_task("check", total=total)
    timer = threading.Timer(0.5, bar.start)  # a run that ends sooner never shows a bar
    timer.start()
    try:
        yield lambda _name, _status: bar.advance(task)
    finally:
        timer.cancel()
        bar.stop()


# -- demo -------------------------------------------------------------------------


@_app.command()
@guard
@output_options("check")
def demo(
    output: OutputFormat,
    store: Optional[str] = StoreOption,
    archive: bool = typer.Option(
        False, "--archive", help="Serve the mirror's archive back to 2023 too: backfill it first, then review 2024."
    ),
) -> None:
    """Run two days of `check` against a bundled local mirror of the CNCA/SAMR pages (no network)."""
    import tempfile

    from cnca_watch.pipeline import acknowledge, check as run_check
    from cnca_watch.demo import demo_sources
    from cnca_watch.demo.server import MirrorServer
    from cnca_watch.settings import Config, FetchSettings

    with tempfile.TemporaryDirectory(prefix="cnca-watch-demo-") as tmp, MirrorServer(day=1, archive=archive) as server:
        from cnca_watch.store_url import store_location

        file, url = store_location(store) if store else (None, None)
        config = Config(
            sources=demo_sources(server.base_url),
            store_path=file or Path(tmp) / "demo.db",
            store_url=url,
            fetch=FetchSettings(
                retries=0, connect_timeout=5.0, read_timeout=10.0, backfill_pause=0.0,
                # the mirror's announcements are from 2024: revalidate all their attachments, so that
                # day 2's replaced PDF and grown sheet show (a real store revalidates the last 30 days,
                # each link at most every 12 hours: day 2 here comes seconds after day 1)
                recheck_attachments_days=36500, recheck_attachments_every_hours=0,
            ),
        )
        if archive:
            from cnca_watch.commands_review import demo_backfill

            demo_backfill(config, server.base_url, output)
        for day in (1, 2):
            server.set_day(day)
            banner = f"\n=== Day {day}: cnca-watch check against the mirror at {server.base_url} ===\n"
            # Documents (json, html, markdown) stay clean on stdout; the banner goes beside them.
            stream = sys.stdout if output in (OutputFormat.terminal, OutputFormat.text) else sys.stderr
            stream.write(banner)
            stream.flush()
            result = run_check(config)
            emit("check", output, result)
            sys.stdout.flush()
            acknowledge(config, result)
        if archive:
            from cnca_watch.commands_review import demo_review

            demo_review(config, output)


# -- init / sources -----------------------------------------------------------------


@_app.command()
@guard
def init(
    path: Optional[Path] = typer.Argument(None, help="Where to write the config (default: the user config file)."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
) -> None:
    """Write a starter config with the built-in CNCA/SAMR sources (never a password)."""
    from cnca_watch.config import default_config_path, starter_config_toml

    target = path or default_config_path()
    if target.exists() and not force:
        raise UsageError(f"{target} already exists; use --force to overwrite it")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(starter_config_toml(), encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror}") from None
    sys.stdout.write(f"wrote {target}\n")


@sources_app.command("list")
@guard
@output_options("sources list")
def sources_list(
    output: OutputFormat,
    config_path: Optional[Path] = ConfigOption,
) -> None:
    """Show the configured sources."""
    emit("sources list", output, load(config_path, None).sources)


@sources_app.command("test")
@guard
@output_options("sources test")
def sources_test(
    output: OutputFormat,
    name_or_url: str = typer.Argument(..., help="A configured source name, or any list page URL."),
    config_path: Optional[Path] = ConfigOption,
) -> None:
    """Fetch one source and print what it extracts, without touching the store."""
    from cnca_watch.operations import resolve_source
    from cnca_watch.pipeline import preview_source

    config = load(config_path, None)
    preview = preview_source(resolve_source(config, name_or_url), config)
    emit("sources test", output, preview)
    if not preview.items and output is not OutputFormat.json:
        raise UsageError("no announcements found on that page; set items/title/date selectors for it")


# The commands defined here; every other command lives in a commands_* module, imported
# (with what it imports) only for a command line that may run or list it.
_CORE_COMMANDS = frozenset({"check", "demo", "init"})
_registered = False


def _register_extra_commands() -> None:
    global _registered
    if _registered:
        return
    _registered = True
    from cnca_watch.commands_classify import register as register_classify
    from cnca_watch.commands_fields import register as register_fields
    from cnca_watch.commands_history import register as register_history
    from cnca_watch.commands_attachments import register as register_attachments
    from cnca_watch.commands_review import register as register_review
    from cnca_watch.commands_routes import register as register_routes

    from cnca_watch.commands_store import register as register_store

    register_classify(_app)
    register_history(_app)
    register_routes(_app, sources_app)
    register_review(_app)
    register_fields(_app)
    register_attachments(_app)
    register_store(_app)


def _command_of(args: list[str]) -> Optional[str]:
    """The command a command line names: its first word that is not an option (the root
    takes no option with a value)."""
    return next((a for a in args if not a.startswith("-")), None)


def __getattr__(name: str) -> typer.Typer:
    if name == "app":  # the whole command line, as tests and embedders see it
        _register_extra_commands()
        return _app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    if _command_of(sys.argv[1:]) not in _CORE_COMMANDS:
        _register_extra_commands()  # --help lists them; any other command may be one of them
    _app(prog_name="cnca-watch")
