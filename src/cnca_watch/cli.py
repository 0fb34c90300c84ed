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
    FormatOption,
    JsonOnlyOption,
    JsonOption,
    OutputError,
    OutputFormat,
    StoreOption,
    choose_format,
    print_error,
    guard,
    load,
    stdout_console,
    write_json,
)
from cnca_watch.errors import ExitCode, UsageError, exit_status_help

if TYPE_CHECKING:
    from cnca_watch.models import RunResult
    from cnca_watch.settings import Config

app = typer.Typer(
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
app.add_typer(sources_app, name="sources")


def _render_run(result: "RunResult", fmt: OutputFormat) -> None:
    if fmt is OutputFormat.terminal:
        from cnca_watch.render.terminal import render_terminal

        render_terminal(result, stdout_console())
        return
    if fmt is OutputFormat.json:
        from cnca_watch.render.json import run_to_json

        write_json(run_to_json(result))
        return
    if fmt is OutputFormat.text:
        from cnca_watch.render.text import render_text

        text = render_text(result)
    elif fmt is OutputFormat.markdown:
        from cnca_watch.render.markdown import render_run

        text = render_run(result)
    else:
        from cnca_watch.render.html import render_run as render_html

        text = render_html(result)
    sys.stdout.write(text)
    sys.stdout.flush()


@guard
def _version_callback(value: bool) -> None:
    if value:
        sys.stdout.write(f"cnca-watch {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Watch CNCA and SAMR announcements."""


# -- check ----------------------------------------------------------------------


@app.command(epilog=exit_status_help())
@guard
def check(
    config_path: Optional[Path] = ConfigOption,
    store: Optional[Path] = StoreOption,
    fmt: Optional[OutputFormat] = FormatOption,
    as_json: bool = JsonOption,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing when nothing changed and every source is fine."),
    exit_code: bool = typer.Option(False, "--exit-code", help="Exit 5 when changes were found (like git diff --exit-code)."),
    email: bool = typer.Option(False, "--email", help="Email the changes ([email] in the config)."),
    notify: bool = typer.Option(False, "--notify", help="Deliver to email and every [[webhooks]] url."),
    source: Optional[list[str]] = typer.Option(None, "--source", "-s", help="Check only this source (repeatable)."),
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
    from cnca_watch.tls import start_loading

    start_loading()  # the CA bundle loads while the modules below are imported
    from cnca_watch import delivery
    from cnca_watch.pipeline import acknowledge, check as run_check

    output = choose_format(fmt, as_json)
    config = load(config_path, store)
    _check_sources_exist(config, source)
    _check_sources_exist(config, accept_layout, option="--accept-layout ")
    channels = delivery.channels_for(config, email=email, notify=notify)
    total = len(source) if source else len(config.sources)
    with _progress_bar(total, enabled=output is OutputFormat.terminal) as progress:
        result = run_check(
            config, channels=channels, only=source, progress=progress, lock_timeout=wait,
            accept_layout=accept_layout or (),
        )
    if not (quiet and not result.changes and not result.failed):
        try:
            _render_run(result, output)
            sys.stdout.flush()  # acknowledged below only once it got out
        except OutputError as exc:
            if not result.changes:
                raise
            # The run is stored; its changes stay pending, and the next check shows them.
            raise OutputError(exc.problem, NOT_ACKNOWLEDGED) from None
    acknowledge(config, result)
    code = ExitCode.SOURCE_FAILED if result.failed else ExitCode.OK
    if email or notify:
        problems = delivery.deliver_pending(config, email=config.email is not None, webhooks=notify, run=result)
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


@app.command()
@guard
def demo(
    store: Optional[Path] = StoreOption,
    fmt: Optional[OutputFormat] = FormatOption,
    as_json: bool = JsonOption,
) -> None:
    """Run two days of `check` against a bundled local mirror of the CNCA/SAMR pages (no network)."""
    import tempfile

    from cnca_watch.pipeline import acknowledge, check as run_check
    from cnca_watch.demo import demo_sources
    from cnca_watch.demo.server import MirrorServer
    from cnca_watch.settings import Config, FetchSettings

    output = choose_format(fmt, as_json)
    with tempfile.TemporaryDirectory(prefix="cnca-watch-demo-") as tmp, MirrorServer(day=1) as server:
        config = Config(
            sources=demo_sources(server.base_url),
            store_path=store or Path(tmp) / "demo.db",
            fetch=FetchSettings(retries=0, connect_timeout=5.0, read_timeout=10.0),
        )
        for day in (1, 2):
            server.set_day(day)
            banner = f"\n=== Day {day}: cnca-watch check against the mirror at {server.base_url} ===\n"
            # Documents (json, html, markdown) stay clean on stdout; the banner goes beside them.
            stream = sys.stdout if output in (OutputFormat.terminal, OutputFormat.text) else sys.stderr
            stream.write(banner)
            stream.flush()
            result = run_check(config)
            _render_run(result, output)
            acknowledge(config, result)


# -- init / sources -----------------------------------------------------------------


@app.command()
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
def sources_list(
    config_path: Optional[Path] = ConfigOption,
    as_json: bool = JsonOnlyOption,
) -> None:
    """Show the configured sources."""
    config = load(config_path, None)
    if as_json:

        rows = [
            {"name": s.name, "url": s.url, "pages": s.pages, "page_size": s.page_size, "details": s.details}
            for s in config.sources
        ]
        write_json(rows)
        return
    for s in config.sources:
        sys.stdout.write(f"{s.name}\t{s.url}\n")


@sources_app.command("test")
@guard
def sources_test(
    name_or_url: str = typer.Argument(..., help="A configured source name, or any list page URL."),
    config_path: Optional[Path] = ConfigOption,
    as_json: bool = JsonOnlyOption,
) -> None:
    """Fetch one source and print what it extracts, without touching the store."""
    from cnca_watch.pipeline import preview_source
    from cnca_watch.render.safe import one_line
    from cnca_watch.settings import SourceConfig

    config = load(config_path, None)
    matches = [s for s in config.sources if s.name == name_or_url]
    if matches:
        source = matches[0]
    elif name_or_url.startswith(("http://", "https://")):
        source = SourceConfig(name="test", url=name_or_url)
    else:
        raise UsageError(f"{name_or_url!r} is neither a configured source nor an http(s) URL")
    preview = preview_source(source, config)
    if as_json:
        from cnca_watch.render.json import attachment_to_json

        document = {
            "source": {"name": source.name, "url": source.url},
            "items": [{"title": i.title, "url": i.url, "date": i.date} for i in preview.items],
            "detail": None if preview.detail is None else {
                "url": preview.detail_url,
                "title": preview.detail.title,
                "date": preview.detail.date,
                "body": preview.detail.body,
                "attachments": [attachment_to_json(a) for a in preview.detail.attachments],
            },
            "detail_error": preview.detail_error,
        }
        write_json(document)
        return
    out = [f"{one_line(source.name)} <{source.url}>: {len(preview.items)} items ({preview.requests} requests)"]
    for item in preview.items:
        out.append(f"  {item.date or '----------'}  {one_line(item.title)}")
        out.append(f"              {item.url}")
    if preview.detail is not None:
        body = one_line(preview.detail.body)
        out.append(f"\nfirst detail page {preview.detail_url}:")
        out.append(f"  date: {preview.detail.date or 'not shown'}")
        out.append(f"  body: {body[:300]}{'…' if len(body) > 300 else ''}")
        for a in preview.detail.attachments:
            out.append(f"  file: {one_line(a.name)} <{a.url}>")
    if preview.detail_error:
        out.append(f"\nfirst detail page failed: {one_line(preview.detail_error)}")
    sys.stdout.write("\n".join(out) + "\n")
    if not preview.items:
        raise UsageError("no announcements found on that page; set items/title/date selectors for it")


def _register_extra_commands() -> None:
    from cnca_watch.commands_classify import register as register_classify
    from cnca_watch.commands_history import register as register_history

    register_classify(app)
    register_history(app)


_register_extra_commands()


def main() -> None:
    app(prog_name="cnca-watch")
