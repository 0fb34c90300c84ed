"""``search``: ranked hits, each with its announcement, date, source, areas and snippet.

Terminal: the matches highlighted by rich; text: the matches between «»; JSON: the
snippet and the [start, end) spans of the matches (``search-output.schema.json``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cnca_watch.render.common import area_labels, display_date
from cnca_watch.render.safe import one_line

if TYPE_CHECKING:
    from rich.console import Console

    from cnca_watch.searching import SearchResult
    from cnca_watch.store.search import SearchHit

OPEN, CLOSE = "«", "»"


def _heading(hit: "SearchHit") -> str:
    return f"{hit.rank}. {display_date(hit.date)}  {one_line(hit.source)}  {one_line(hit.title)}"


def _marked(hit: "SearchHit") -> str:
    parts, last = [], 0
    for start, end in hit.spans:
        parts += [one_line(hit.snippet[last:start]), OPEN, one_line(hit.snippet[start:end]), CLOSE]
        last = end
    return "".join(parts) + one_line(hit.snippet[last:])


def _none(result: "SearchResult") -> str:
    return f"no match for {one_line(result.query)!r} in {', '.join(result.fields)}\n"


def search_text(result: "SearchResult") -> str:
    if not result.hits:
        return _none(result)
    lines: list[str] = []
    for hit in result.hits:
        lines.append(_heading(hit))
        lines.append(f"   {one_line(hit.url)}")
        if hit.areas:
            lines.append(f"   areas: {one_line(area_labels(hit.areas, evidence=0))}")
        lines.append(f"   {hit.field}: {_marked(hit)}")
    return "\n".join(lines) + "\n"


def search_console(result: "SearchResult", console: "Console") -> None:
    from rich.text import Text

    if not result.hits:
        console.print(_none(result).rstrip(), markup=False)
        return
    for hit in result.hits:
        console.print(Text(_heading(hit), style="bold"))
        console.print(Text(f"   {one_line(hit.url)}", style="dim"))
        if hit.areas:
            console.print(Text(f"   areas: {one_line(area_labels(hit.areas, evidence=0))}"))
        snippet = Text(f"   {hit.field}: ")
        last = 0
        for start, end in hit.spans:
            snippet.append(one_line(hit.snippet[last:start]))
            snippet.append(one_line(hit.snippet[start:end]), style="bold reverse")
            last = end
        snippet.append(one_line(hit.snippet[last:]))
        console.print(snippet)


def search_json(result: "SearchResult") -> dict[str, Any]:
    from cnca_watch.render.json import area_to_json

    return {
        "query": result.query,
        "fields": list(result.fields),
        "hits": [
            {
                "rank": h.rank,
                "score": h.score,
                "announcement_id": h.announcement_id,
                "version_id": h.version_id,
                "url": h.url,
                "source": h.source,
                "title": h.title,
                "date": h.date,
                "areas": [area_to_json(a) for a in h.areas],
                "field": h.field,
                "snippet": h.snippet,
                "spans": [list(span) for span in h.spans],
            }
            for h in result.hits
        ],
    }
