"""``sources list`` and ``sources test``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from cnca_watch.render.safe import one_line

if TYPE_CHECKING:
    from cnca_watch.pipeline import SourcePreview
    from cnca_watch.settings import SourceConfig


def sources_list_text(sources: "Sequence[SourceConfig]") -> str:
    return "".join(f"{s.name}\t{s.url}\n" for s in sources)


def sources_list_json(sources: "Sequence[SourceConfig]") -> list[dict[str, Any]]:
    """Schema: ``sources-list-output.schema.json``."""
    return [{"name": s.name, "url": s.url, "pages": s.pages, "page_size": s.page_size, "details": s.details} for s in sources]


def sources_test_text(preview: "SourcePreview") -> str:
    source = preview.source
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
    return "\n".join(out) + "\n"


def sources_test_json(preview: "SourcePreview") -> dict[str, Any]:
    """Schema: ``sources-test-output.schema.json``."""
    from cnca_watch.render.json import attachment_to_json

    detail = preview.detail
    return {
        "source": {"name": preview.source.name, "url": preview.source.url},
        "items": [{"title": i.title, "url": i.url, "date": i.date} for i in preview.items],
        "detail": None if detail is None else {
            "url": preview.detail_url,
            "title": detail.title,
            "date": detail.date,
            "body": detail.body,
            "attachments": [attachment_to_json(a) for a in detail.attachments],
        },
        "detail_error": preview.detail_error,
    }
