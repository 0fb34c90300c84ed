"""The ``classify`` and ``eval`` commands (registered on the main Typer app by cli.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Optional

import typer

from cnca_watch.cli_common import ConfigOption, OutputFormat, StoreOption, emit, guard, load, output_options
from cnca_watch.errors import UsageError

__all__ = ["register", "vocabulary_hash"]  # vocabulary_hash lives in operations; kept importable here


def vocabulary_hash(*args: object, **kwargs: object) -> str:
    """``operations.vocabulary_hash``, imported only when called (not by every command line)."""
    from cnca_watch.operations import vocabulary_hash as compute

    return compute(*args, **kwargs)  # type: ignore[arg-type]


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


def register(app: typer.Typer) -> None:
    """Add ``classify`` and ``eval`` to ``app``."""

    @app.command("classify")
    @guard
    @output_options("classify")
    def classify_command(
        output: OutputFormat,
        text: Optional[str] = typer.Argument(None, help="Text to classify; omit to read one text per line from stdin."),
        stored: bool = typer.Option(
            False, "--stored", help="Re-tag every announcement in the store with the current vocabulary (recorded)."
        ),
        config: Optional[Path] = ConfigOption,
        store: Optional[str] = StoreOption,
    ) -> None:
        """Show the task areas of a text, with the evidence; or re-tag the store (--stored).

        With --json: one JSON object per text, {text, areas, reason} (JSON Lines)."""
        from cnca_watch.classify import classify_text, load_vocabulary
        from cnca_watch.render.classify import TextTags

        settings = load(config, store)
        vocabulary = load_vocabulary(settings.areas)
        if stored:
            if text is not None:
                raise UsageError("--stored re-tags the store; give no TEXT with it")
            from cnca_watch.operations import retag_store

            emit("classify --stored", output, retag_store(settings, vocabulary))
            return
        if text is None and (sys.stdin is None or sys.stdin.isatty()):
            raise UsageError("give a TEXT, or pipe texts (one per line) into `cnca-watch classify --json`")
        texts = [text] if text is not None else _stdin_lines()
        for item in texts:
            classified = classify_text(item, "", vocabulary)
            emit("classify", output, TextTags(item, classified.tags, classified.reason))
        sys.stdout.flush()

    @app.command("eval")
    @guard
    @output_options("eval")
    def eval_command(
        output: OutputFormat,
        file: Path = typer.Argument(..., help="Labelled TSV: title, areas (comma-separated ids, primary first), optional body."),
        config: Optional[Path] = ConfigOption,
    ) -> None:
        """Score the classifier on a labelled file: precision, recall, F1 per area."""
        from cnca_watch.operations import evaluate_file
        from cnca_watch.render.evaluation import ScoredFile

        emit("eval", output, ScoredFile(file, evaluate_file(load(config, None), file)))
