"""Every output cnca-watch prints goes through ``render(kind, fmt, payload, options)``.

``RENDERERS`` maps what is shown (``kind``: the command's name) and the output format to
one ``Renderer``; every renderer takes the same inputs — the payload the library returned
and the ``RenderOptions`` — and writes to standard output.  Renderer modules are named,
not imported, so ``--help`` and a JSON run never load rich.

A renderer's function has one of three shapes (``Shape``): it returns a document (text
written as is), returns a JSON value (written indented for a person at a terminal,
compact for a pipe), or draws on a rich ``Console``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from enum import Enum
from importlib import import_module
from typing import TYPE_CHECKING, Any, Mapping, Optional, TextIO

from cnca_watch.errors import UsageError

if TYPE_CHECKING:
    from rich.console import Console


class OutputFormat(str, Enum):
    terminal = "terminal"
    text = "text"
    markdown = "markdown"
    html = "html"
    json = "json"
    atom = "atom"


class Shape(Enum):
    DOCUMENT = "document"  # payload -> str
    JSON = "json"  # payload -> JSON value
    CONSOLE = "console"  # (payload, Console) -> None


@dataclass
class RenderOptions:
    """How to write: ``pretty`` indents JSON; ``stream`` is None for ``sys.stdout`` as it
    is when writing (the CLI guards it)."""

    pretty: bool = False
    stream: Optional[TextIO] = None
    _consoles: dict[bool, "Console"] = field(default_factory=dict, repr=False)

    def write(self, text: str) -> None:
        (self.stream or sys.stdout).write(text)

    def console(self, *, soft_wrap: bool = False) -> "Console":
        """One rich console per options (made once: classify draws one per input line)."""
        if soft_wrap not in self._consoles:
            from rich.console import Console

            self._consoles[soft_wrap] = Console(file=self.stream, highlight=False, soft_wrap=soft_wrap)
        return self._consoles[soft_wrap]


@dataclass(frozen=True, slots=True)
class Renderer:
    module: str  # under cnca_watch.render
    function: str
    shape: Shape
    soft_wrap: bool = False  # CONSOLE only: long lines wrap at the terminal, not by rich

    def __call__(self, payload: Any, options: RenderOptions) -> None:
        draw = getattr(import_module(f"cnca_watch.render.{self.module}"), self.function)
        if self.shape is Shape.CONSOLE:
            draw(payload, options.console(soft_wrap=self.soft_wrap))
        elif self.shape is Shape.JSON:
            from cnca_watch.render.json import dumps

            options.write(dumps(draw(payload), pretty=options.pretty) + "\n")
        else:
            options.write(draw(payload))


_F = OutputFormat


def _plain(module: str, text: str, json: str, json_shape: Shape = Shape.JSON) -> dict[OutputFormat, Renderer]:
    """A kind with one plain-text look (on a terminal too) and JSON."""
    plain = Renderer(module, text, Shape.DOCUMENT)
    return {_F.terminal: plain, _F.text: plain, _F.json: Renderer(module, json, json_shape)}


def _console(module: str, draw: str, json: str, json_shape: Shape) -> dict[OutputFormat, Renderer]:
    """A kind drawn by rich (plain when piped: rich drops the styles) and JSON."""
    rich = Renderer(module, draw, Shape.CONSOLE, soft_wrap=True)
    return {_F.terminal: rich, _F.text: rich, _F.json: Renderer(module, json, json_shape)}


RENDERERS: Mapping[str, Mapping[OutputFormat, Renderer]] = {
    "check": {
        _F.terminal: Renderer("terminal", "render_terminal", Shape.CONSOLE),
        _F.text: Renderer("text", "render_text", Shape.DOCUMENT),
        _F.markdown: Renderer("markdown", "render_run", Shape.DOCUMENT),
        _F.html: Renderer("html", "render_run", Shape.DOCUMENT),
        _F.json: Renderer("json", "run_to_json", Shape.JSON),
    },
    "report": {
        _F.terminal: Renderer("report", "report_rich", Shape.CONSOLE),
        _F.text: Renderer("report", "report_text", Shape.DOCUMENT),
        _F.markdown: Renderer("report", "report_markdown", Shape.DOCUMENT),
        _F.html: Renderer("report", "report_html", Shape.DOCUMENT),
        _F.json: Renderer("report", "report_json", Shape.JSON),
    },
    "history": _plain("history", "history_text", "history_json"),
    "show": _plain("show", "show_text", "show_json"),
    "sources list": _plain("sources", "sources_list_text", "sources_list_json"),
    "sources test": _plain("sources", "sources_test_text", "sources_test_json"),
    # one JSON object per line (JSON Lines), as classify has always printed
    "classify": _console("classify", "tags_console", "tags_json_line", Shape.DOCUMENT),
    "classify --stored": _plain("classify", "retag_text", "retag_json_line", Shape.DOCUMENT),
    "eval": _console("evaluation", "eval_console", "eval_json_document", Shape.DOCUMENT),
    "feed": {
        _F.atom: Renderer("atom", "feed_document", Shape.DOCUMENT),
        _F.json: Renderer("json", "feed_to_json", Shape.JSON),
    },
    "routes test": _plain("routing", "routes_text", "routes_json"),
    "sources health": _plain("routing", "health_text", "health_json"),
    "backfill": _plain("backfill", "backfill_text", "backfill_json"),
    "review": {
        _F.terminal: Renderer("review", "review_console", Shape.CONSOLE),
        _F.text: Renderer("review", "review_text", Shape.DOCUMENT),
        _F.markdown: Renderer("review", "review_markdown", Shape.DOCUMENT),
        _F.html: Renderer("review", "review_html", Shape.DOCUMENT),
        _F.json: Renderer("review", "review_json", Shape.JSON),
    },
}


# The JSON Schema (shipped in the package) of each kind's --json output
JSON_SCHEMAS: Mapping[str, str] = {
    "check": "check-output.schema.json",
    "report": "report-output.schema.json",
    "history": "history-output.schema.json",
    "show": "show-output.schema.json",
    "sources list": "sources-list-output.schema.json",
    "sources test": "sources-test-output.schema.json",
    "classify": "classify-output.schema.json",
    "classify --stored": "retag-output.schema.json",
    "eval": "eval-output.schema.json",
    "feed": "feed-output.schema.json",
    "routes test": "routes-test-output.schema.json",
    "sources health": "sources-health-output.schema.json",
    "backfill": "backfill-output.schema.json",
    "review": "review-output.schema.json",
}


def formats(kind: str) -> tuple[OutputFormat, ...]:
    """The output formats ``kind`` can be rendered in."""
    return tuple(RENDERERS[kind])


def default_format(kind: str, *, terminal: bool) -> OutputFormat:
    """terminal on a TTY and text otherwise, for kinds that have them; else the kind's first
    format (``feed`` is Atom unless asked for JSON)."""
    preferred = OutputFormat.terminal if terminal else OutputFormat.text
    return preferred if preferred in RENDERERS[kind] else formats(kind)[0]


def renderer(kind: str, fmt: OutputFormat) -> Renderer:
    """The renderer of ``kind`` in ``fmt``; a usage error naming the formats it has."""
    found = RENDERERS[kind].get(fmt)
    if found is None:
        names = ", ".join(f.value for f in formats(kind))
        raise UsageError(f"--format {fmt.value}: `{kind}` prints {names}; choose one of them")
    return found


def render(kind: str, fmt: OutputFormat, payload: Any, options: RenderOptions | None = None) -> None:
    """Write ``payload`` (what the library returned for ``kind``) in ``fmt``."""
    renderer(kind, fmt)(payload, options or RenderOptions())
