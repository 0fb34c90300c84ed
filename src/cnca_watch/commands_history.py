"""Commands that look back at the store: report, history, show, feed, notify."""

from __future__ import annotations

import re
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from cnca_watch.cli_common import (
    ConfigOption,
    FormatOption,
    JsonOnlyOption,
    JsonOption,
    OutputFormat,
    StoreOption,
    choose_format,
    guard,
    load,
    open_existing_store,
    print_error,
    write_json,
)
from cnca_watch.errors import UsageError

if TYPE_CHECKING:
    from cnca_watch.settings import Config

_RELATIVE = re.compile(r"^(\d+)([dwmh])$")


PERIOD_HELP = "7d, 2w, 12h, 3m (months of 30 days) or a date YYYY-MM-DD (00:00 UTC)"


def parse_when(value: str, *, option: str, now: datetime | None = None) -> str:
    """``7d``, ``2w``, ``12h``, ``3m`` (months of 30 days) or ``YYYY-MM-DD`` -> UTC ISO timestamp."""
    now = now or datetime.now(timezone.utc)
    match = _RELATIVE.match(value.strip())
    try:
        if match:
            n, unit = int(match.group(1)), match.group(2)
            delta = {"h": timedelta(hours=n), "d": timedelta(days=n), "w": timedelta(weeks=n), "m": timedelta(days=30 * n)}[unit]
            return (now - delta).strftime("%Y-%m-%dT%H:%M:%SZ")
        day = datetime.strptime(value.strip(), "%Y-%m-%d")
    except (ValueError, OverflowError):
        raise UsageError(f"{option} {value!r} is not a period cnca-watch can use; give {PERIOD_HELP}") from None
    return f"{day.year:04d}-{day.month:02d}-{day.day:02d}T00:00:00Z"




def register(app: typer.Typer) -> None:
    @app.command()
    @guard
    def report(
        since: str = typer.Option("7d", "--since", help=f"Start: {PERIOD_HELP}."),
        until: Optional[str] = typer.Option(None, "--until", help="End (exclusive): same forms as --since."),
        area: Optional[str] = typer.Option(None, "--area", help="Only this task area id."),
        source: Optional[str] = typer.Option(None, "--source", help="Only this source name."),
        by_published: bool = typer.Option(
            False, "--by-published", help="Filter on the publication date instead of when cnca-watch first saw it."
        ),
        baseline: bool = typer.Option(
            False, "--baseline", help="Include what each source's first run recorded (its starting list, not news)."
        ),
        config_path: Optional[Path] = ConfigOption,
        store: Optional[Path] = StoreOption,
        fmt: Optional[OutputFormat] = FormatOption,
        as_json: bool = JsonOption,
    ) -> None:
        """Digest of what was new or changed in a period, grouped by task area."""
        from cnca_watch.render import report as rr

        output = choose_format(fmt, as_json)
        config = load(config_path, store)
        since_ts = parse_when(since, option="--since")
        until_ts = parse_when(until, option="--until") if until else None
        if until_ts is not None and until_ts <= since_ts:
            raise UsageError(f"--until {until} is not after --since {since}; the period would be empty")
        _check_area(area, config)
        by = "published" if by_published else "detected"
        if by == "published":
            since_ts, until_ts = since_ts[:10], until_ts[:10] if until_ts else None
        with open_existing_store(config) as st:
            if source is not None and source not in (names := st.source_names()):
                raise UsageError(f"no source named {source!r} in the store; known: {', '.join(names) or 'none yet'}")
            changes = st.changes(since=since_ts, until=until_ts, by=by, area=area, source=source, baseline=baseline)
        built = rr.build_report(changes, since=since_ts, until=until_ts, by=by)
        if output is OutputFormat.terminal:
            from rich.console import Console

            rr.report_rich(built, Console(highlight=False))
        elif output is OutputFormat.json:

            write_json(rr.report_json(built))
        elif output is OutputFormat.markdown:
            sys.stdout.write(rr.report_markdown(built))
        elif output is OutputFormat.html:
            sys.stdout.write(rr.report_html(built))
        else:
            sys.stdout.write(rr.report_text(built))

    @app.command()
    @guard
    def history(
        limit: int = typer.Option(20, "--limit", "-n", min=1, max=100_000, help="How many runs to list."),
        config_path: Optional[Path] = ConfigOption,
        store: Optional[Path] = StoreOption,
        as_json: bool = JsonOnlyOption,
    ) -> None:
        """List past runs: when, sources ok/failed, counts."""
        from dataclasses import asdict

        config = load(config_path, store)
        with open_existing_store(config) as st:
            runs = st.history(limit)
        if as_json:
            write_json([asdict(r) for r in runs])
            return
        if not runs:
            sys.stdout.write("no runs yet; run `cnca-watch check`\n")
        for r in runs:
            failed = f", {r.sources_failed} failed" if r.sources_failed else ""
            sys.stdout.write(
                f"run {r.id:<5} {r.started_at}  {r.status:<8} sources: {r.sources_ok} ok{failed}  "
                f"changes: {r.new} new, {r.changed} changed, {r.removed} removed\n"
            )

    @app.command()
    @guard
    def show(
        key: str = typer.Argument(..., help="An announcement URL, or a change id as `check --json` prints it."),
        config_path: Optional[Path] = ConfigOption,
        store: Optional[Path] = StoreOption,
        as_json: bool = JsonOnlyOption,
    ) -> None:
        """One announcement with all its versions, tags and the diffs between versions."""
        from dataclasses import asdict

        from cnca_watch.urls import canonical_url

        config = load(config_path, store)
        key = key.strip()
        with open_existing_store(config) as st:
            url = st.url_of_change(int(key)) if key.isdigit() and len(key) < 19 else canonical_url(key, key)
            found = st.announcement(url) if url else None
        if found is None:
            raise UsageError(
                f"no announcement {key!r} in {config.store_path}; give its URL or a change id from `check --json`"
            )
        if as_json:
            write_json(asdict(found))
            return
        sys.stdout.write(_show_text(found) + "\n")

    @app.command()
    @guard
    def feed(
        since: str = typer.Option("30d", "--since", help=f"Start: {PERIOD_HELP}."),
        config_path: Optional[Path] = ConfigOption,
        store: Optional[Path] = StoreOption,
    ) -> None:
        """Write an Atom feed of changes to stdout (one entry per change, areas as categories)."""
        from cnca_watch.pipeline import utc_now
        from cnca_watch.render.atom import render_feed

        config = load(config_path, store)
        with open_existing_store(config) as st:
            changes = st.changes(since=parse_when(since, option="--since"))
        sys.stdout.write(
            render_feed(changes, title="cnca-watch: CNCA/SAMR changes", feed_id="urn:cnca-watch:feed", updated=utc_now())
        )

    @app.command()
    @guard
    def notify(
        config_path: Optional[Path] = ConfigOption,
        store: Optional[Path] = StoreOption,
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


def _show_text(found) -> str:  # type: ignore[no-untyped-def]
    """One announcement for a person: its versions (with tags), the changes between them,
    and the latest body in full."""
    from cnca_watch.render.safe import clean_text, one_line
    from cnca_watch.render.text import area_labels

    state = "removed" if found.removed else "listed" if found.listed else "no longer in the list window"
    lines = [
        f"announcement {found.id} · {one_line(found.source)} · {state}",
        f"  {one_line(found.url)}",
        "",
        f"versions ({len(found.versions)}):",
    ]
    for number, version in enumerate(found.versions, 1):
        lines.append(f"  v{number}  seen {version.seen_at} (run {version.run_id})  {version.date or 'no date'}  {one_line(version.title)}")
        if version.areas:
            lines.append(f"      areas: {one_line(area_labels(version.areas))}")
        for retag in version.previous_tags:
            old = ", ".join(one_line(a.id) for a in retag.areas) or "none"
            lines.append(f"      before re-tagging {retag.retag_id} at {retag.at}: {old}")
        for attachment in version.attachments:
            lines.append(f"      file: {one_line(attachment.name)} <{one_line(attachment.url)}>")
    lines += ["", f"changes ({len(found.changes)}):"]
    for change in found.changes:
        fields = f" ({', '.join(change.fields_changed)})" if change.fields_changed else ""
        lines.append(f"  {change.detected_at}  {change.kind.value}{fields}")
        for diff_line in clean_text(change.diff).splitlines():
            lines.append(f"      {diff_line}")
    if found.versions:
        lines += ["", "body (latest version):", clean_text(found.versions[-1].body) or "(none: details were not fetched)"]
    return "\n".join(lines)


def _check_area(area: str | None, config: "Config") -> None:
    if area is None:
        return
    from cnca_watch.classify import area_display_labels

    known = sorted({*area_display_labels(), *config.areas})
    if area not in known:
        raise UsageError(f"no task area {area!r}; use one of: {', '.join(known)}")
