"""The ``classify`` and ``eval`` commands (registered on the main Typer app by cli.py)."""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Optional

import typer

from cnca_watch.cli_common import ConfigOption, StoreOption, guard, load, open_existing_store
from cnca_watch.errors import UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from cnca_watch.evaluate import EvalReport
    from cnca_watch.models import AreaTag


def vocabulary_hash(overrides: Mapping[str, Any]) -> str:
    """Identifies the vocabulary a re-tagging used: the package's areas.toml plus the overrides."""
    digest = hashlib.sha256(resources.files("cnca_watch").joinpath("areas.toml").read_bytes())
    digest.update(json.dumps(overrides, sort_keys=True, ensure_ascii=False, default=str).encode())
    return digest.hexdigest()[:16]


def _stdin_lines() -> Iterator[str]:
    """One text per line, UTF-8 (a byte-order mark is dropped); anything else is refused
    rather than classified as replacement characters."""
    stream = sys.stdin.buffer if hasattr(sys.stdin, "buffer") else None
    if stream is None:  # a text stream handed over by a test runner or an embedding program
        lines: Iterator[str] = (line for line in sys.stdin)
    else:
        lines = (raw.decode("utf-8") for raw in stream)
    try:
        for number, line in enumerate(lines, 1):
            if number == 1:
                line = line.removeprefix("\ufeff")
            yield line.rstrip("\r\n")
    except UnicodeDecodeError:
        raise UsageError("standard input is not UTF-8 text; convert it first (e.g. iconv -f GB18030 -t UTF-8)") from None


def _print_tags(console: "Console", text: str, tags: "tuple[AreaTag, ...]") -> None:
    from rich.markup import escape

    from cnca_watch.render.safe import one_line

    console.print(f"[bold]{escape(one_line(text))}[/bold]")
    if not tags:
        console.print("  [dim]no area[/dim]")
        return
    for rank, tag in enumerate(tags):
        marker = "primary" if rank == 0 else "       "
        console.print(
            f"  [cyan]{marker}[/cyan] [bold]{escape(tag.id)}[/bold]  "
            f"{escape(tag.label_zh)} / {escape(tag.label_en)}  score {tag.score:g}"
        )
        evidence = ", ".join(f"{escape(e.term)} ({e.where})" for e in tag.evidence)
        console.print(f"           evidence: {evidence}")


def _print_report(console: "Console", path: Path, report: "EvalReport") -> None:
    from rich.markup import escape
    from cnca_watch.evaluate import BUILTIN_AREAS
    from rich.table import Table

    # piped or mailed: plain aligned columns, like every other command's non-terminal output
    table = Table(title=escape(f"{path} — {report.rows} rows"), title_justify="left")
    if not console.is_terminal:
        table.box = None
    for column in ("area", "precision", "recall", "F1", "support", "predicted"):
        table.add_column(column, justify="left" if column == "area" else "right")
    for score in report.per_area:
        figures = (
            (
                f"{score.precision:.2f}" if score.predicted else "-",
                f"{score.recall:.2f}" if score.support else "-",
                f"{score.f1:.2f}",
            )
            if score.scored
            else ("-", "-", "-")  # never labelled, never predicted: nothing to score
        )
        table.add_row(escape(score.area), *figures, str(score.support), str(score.predicted))
    console.print(table)
    if report.macro_f1 is None:
        console.print("macro-F1: not scored (no area labelled or predicted)")
    elif report.macro_areas == len(BUILTIN_AREAS):
        console.print(f"macro-F1 (six areas): [bold]{report.macro_f1:.3f}[/bold]")
    else:
        left_out = len(BUILTIN_AREAS) - report.macro_areas
        console.print(
            f"macro-F1 ({report.macro_areas} of six areas; {left_out} neither labelled nor "
            f"predicted, left out): [bold]{report.macro_f1:.3f}[/bold]"
        )
    console.print(f"primary-label accuracy: [bold]{report.primary_accuracy:.3f}[/bold]")
    if not report.misclassified:
        console.print("misclassified: none")
        return
    console.print(f"misclassified ({len(report.misclassified)}):")
    for miss in report.misclassified:
        flag = " " if miss.primary_ok else "[red]✗[/red]"
        expected = ",".join(miss.expected) or "-"
        predicted = ",".join(miss.predicted) or "-"
        console.print(f" {flag} line {miss.line}: {escape(miss.title)}")
        console.print(f"     expected {escape(expected)}  predicted {escape(predicted)}")


def register(app: typer.Typer) -> None:
    """Add ``classify`` and ``eval`` to ``app``."""

    @app.command("classify")
    @guard
    def classify_command(
        text: Optional[str] = typer.Argument(None, help="Text to classify; omit to read one text per line from stdin."),
        as_json: bool = typer.Option(False, "--json", help="One JSON object per text: {text, areas}."),
        stored: bool = typer.Option(
            False, "--stored", help="Re-tag every announcement in the store with the current vocabulary (recorded)."
        ),
        config: Optional[Path] = ConfigOption,
        store: Optional[Path] = StoreOption,
    ) -> None:
        """Show the task areas of a text, with the evidence; or re-tag the store (--stored)."""
        from rich.console import Console

        from cnca_watch.classify import classify, load_vocabulary
        from cnca_watch.render.json import area_to_json

        settings = load(config, store)
        vocabulary = load_vocabulary(settings.areas)
        if stored:
            if text is not None:
                raise UsageError("--stored re-tags the store; give no TEXT with it")
            _retag_store(settings, vocabulary, as_json)
            return
        if text is None and (sys.stdin is None or sys.stdin.isatty()):
            raise UsageError("give a TEXT, or pipe texts (one per line) into `cnca-watch classify --json`")
        texts = [text] if text is not None else _stdin_lines()
        console = Console(highlight=False, soft_wrap=True)
        for item in texts:
            tags = classify(item, "", vocabulary)
            if as_json:
                line = {"text": item, "areas": [area_to_json(t) for t in tags]}
                sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
            else:
                _print_tags(console, item, tags)
        sys.stdout.flush()

    @app.command("eval")
    @guard
    def eval_command(
        file: Path = typer.Argument(..., help="Labelled TSV: title, areas (comma-separated ids, primary first), optional body."),
        as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
        config: Optional[Path] = ConfigOption,
    ) -> None:
        """Score the classifier on a labelled file: precision, recall, F1 per area."""
        from rich.console import Console

        from cnca_watch.classify import load_vocabulary
        from cnca_watch.evaluate import BUILTIN_AREAS, evaluate, read_labelled

        vocabulary = load_vocabulary(load(config, None).areas)
        known = set(BUILTIN_AREAS) | {a.id for a in vocabulary.areas}
        report = evaluate(read_labelled(file, known), vocabulary)
        if as_json:
            sys.stdout.write(json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n")
            return
        _print_report(Console(highlight=False, soft_wrap=True), file, report)


def _retag_store(settings, vocabulary, as_json: bool) -> None:  # type: ignore[no-untyped-def]
    from cnca_watch.classify import classify
    from cnca_watch.pipeline import utc_now

    with open_existing_store(settings, write=True) as st:  # re-tagging is recorded in the store
        result = st.retag(
            lambda title, body: classify(title, body, vocabulary),
            at=utc_now(),
            vocabulary_hash=vocabulary_hash(settings.areas),
        )
    if as_json:
        sys.stdout.write(json.dumps({"retag_id": result.id, "at": result.at, "vocabulary_hash": result.vocabulary_hash,
                                     "total": result.total, "changed": result.changed}) + "\n")
    else:
        sys.stdout.write(
            f"re-tagged {result.total} announcements: {result.changed} got new tags "
            f"(re-tagging {result.id}, vocabulary {result.vocabulary_hash}; old tags kept in the store)\n"
        )
