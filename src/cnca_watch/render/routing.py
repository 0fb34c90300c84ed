"""``routes test`` and ``sources health``, as text and JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from cnca_watch.render.safe import one_line

if TYPE_CHECKING:
    from cnca_watch.health import SourceHealth
    from cnca_watch.route_preview import RoutesPreview


def routes_text(preview: "RoutesPreview") -> str:
    out = [f"{len(preview.rows)} change(s) detected since {preview.since}; nothing is sent."]
    width = max([len(name) for name, _, _ in preview.routes] + [len("(unmatched)")])
    for name, count, targets in preview.routes:
        out.append(f"  {one_line(name):<{width}}  {count:>4}  -> {', '.join(map(one_line, targets))}")
    unmatched = preview.count("default") + preview.count("dropped")
    where = ", ".join(map(one_line, preview.default_targets)) or "nowhere"
    fate = "dropped" if preview.unmatched == "drop" else f"-> default: {where}"
    out.append(f"  {'(unmatched)':<{width}}  {unmatched:>4}  {fate}")
    for row in preview.rows:
        c = row.change
        to = ", ".join(row.routes) if row.routes else ("(default)" if row.fate == "default" else "(dropped)")
        out.append(f"{c.kind.value:<8} {one_line(c.source)}  {one_line(c.title)}  -> {one_line(to)}")
    return "\n".join(out) + "\n"


def routes_json(preview: "RoutesPreview") -> dict[str, Any]:
    """Schema: ``routes-test-output.schema.json``."""
    return {
        "since": preview.since,
        "unmatched": preview.unmatched,
        "routes": [{"name": n, "changes": count, "targets": list(t)} for n, count, t in preview.routes],
        "default": {"changes": preview.count("default"), "targets": list(preview.default_targets)},
        "dropped": preview.count("dropped"),
        "changes": [
            {
                "id": row.change.id,
                "kind": row.change.kind.value,
                "source": row.change.source,
                "title": row.change.title,
                "url": row.change.url,
                "routes": list(row.routes),
                "fate": row.fate,
                "targets": list(row.targets),
            }
            for row in preview.rows
        ],
    }


def health_text(sources: "Sequence[SourceHealth]") -> str:
    out = []
    for s in sources:
        seen = " ".join(str(n) for n in s.items_seen[-10:]) or "-"
        out.append(
            f"{one_line(s.name)}: {s.status}; last success {s.last_success or 'never'}; "
            f"{s.consecutive_failures} failure(s) in a row; items seen (recent runs) {seen}"
        )
        for flag in s.flags:
            out.append(f"  ! {one_line(flag)}")
    return "\n".join(out) + "\n" if out else "no sources configured\n"


def health_json(sources: "Sequence[SourceHealth]") -> list[dict[str, object]]:
    """Schema: ``sources-health-output.schema.json``."""
    return [s.to_json() for s in sources]
