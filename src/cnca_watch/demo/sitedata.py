"""Load the demo mirror's columns and items (site/site.toml, site/items/*.toml, site/archive/*.toml).

An item exists on the days listed in ``days`` (default: every day); ``changes.<day>`` tables
edit it from that day on.  Archive items (older announcements, every day) are listed only when
the mirror serves its archive; their paths derive from slug and date.  Every item may carry
``areas``: the task areas labelled by hand, which only tests read.  Pure data: rendering lives
in ``pages.py``.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

DEFAULT_ROOT = Path(__file__).parent / "site"


@dataclass(frozen=True, slots=True)
class AttachmentLink:
    name: str
    href: str  # as written in the page (site-relative, or relative to the detail page)


@dataclass(frozen=True, slots=True)
class Item:
    """One announcement as it stands on one day."""

    slug: str
    path: str  # the detail page's path
    href: str  # the link written in the list row
    title: str
    list_text: str  # visible link text (may be truncated with …)
    title_attr: str  # a[title] (may hold hard line breaks)
    meta_title: str  # ArticleTitle meta (may hold hard line breaks)
    date: str  # displayed publication date YYYY-MM-DD
    pubdate: str  # PubDate meta "YYYY-MM-DD HH:mm" (may differ from ``date``)
    source: str
    doc_no: str
    addressee: str
    paragraphs: tuple[str, ...]
    appended: tuple[str, ...]  # paragraphs added by later corrections (rendered at the end)
    signer: str
    sign_date: str
    attachments: tuple[AttachmentLink, ...]
    areas: tuple[str, ...] = ()  # hand-labelled task areas, primary first (never served)
    archived: bool = False  # from site/archive/: listed only by a mirror serving its archive


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    family: str  # "cnca-jpaas" | "samr-jpaas" | "static-gb18030"
    list_path: str
    column_name: str
    parent_name: str
    page_size: int  # the page size the demo config reads (the window)
    web_id: str
    page_id: str
    tpl_set_id: str
    raw_items: tuple[Mapping[str, Any], ...]
    archive_items: tuple[Mapping[str, Any], ...] = ()
    archive_page_size: int = 10  # rows per static list page (index.html, index_1.html, …) in the archive

    def items_on(self, day: int, *, archive: bool = False) -> tuple[Item, ...]:
        """The column's items on ``day``, newest first (ties keep file order, story items first)."""
        raws = self.raw_items + self.archive_items if archive else self.raw_items
        items = [item for raw in raws if (item := _item_on(raw, day)) is not None]
        return tuple(sorted(items, key=lambda item: item.date, reverse=True))


@dataclass(frozen=True, slots=True)
class Site:
    days: tuple[int, ...]
    day_times: Mapping[int, str]  # HTTP date used as Last-Modified for content of that day
    columns: tuple[Column, ...]

    def column_by_page_id(self, page_id: str) -> Column | None:
        return next((c for c in self.columns if c.page_id and c.page_id == page_id), None)


def load_site(root: Path | None = None) -> Site:
    root = root or DEFAULT_ROOT
    with (root / "site.toml").open("rb") as fh:
        meta = tomllib.load(fh)
    columns = []
    for col in meta["columns"]:
        with (root / "items" / f"{col['key']}.toml").open("rb") as fh:
            raw_items = tuple(tomllib.load(fh).get("items", ()))
        archive_items = _load_archive(root / "archive" / f"{col['key']}.toml", col)
        columns.append(
            Column(
                key=col["key"],
                family=col["family"],
                list_path=col["list_path"],
                column_name=col["column_name"],
                parent_name=col.get("parent_name", ""),
                page_size=int(col.get("page_size", 20)),
                web_id=col.get("web_id", ""),
                page_id=col.get("page_id", ""),
                tpl_set_id=col.get("tpl_set_id", ""),
                raw_items=raw_items,
                archive_items=archive_items,
                archive_page_size=int(col.get("archive_page_size", 10)),
            )
        )
    day_times = {int(k): v for k, v in meta["day_times"].items()}
    return Site(days=tuple(meta["days"]), day_times=day_times, columns=tuple(columns))


def _load_archive(path: Path, col: Mapping[str, Any]) -> tuple[Mapping[str, Any], ...]:
    if not path.is_file():
        return ()
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    defaults: Mapping[str, Any] = data.get("defaults", {})
    items = []
    for raw in data.get("items", ()):
        item = {**defaults, **raw, "archived": True}
        if "path" not in item:
            item["path"], item["href"] = archive_path(col["family"], col["list_path"], item["slug"], item["date"])
        item.setdefault("sign_date", _chinese_date(item["date"]) if item.get("signer") else "")
        items.append(item)
    return tuple(items)


def archive_path(family: str, list_path: str, slug: str, date: str) -> tuple[str, str]:
    """(detail path, list-row href) for an archive item, in the URL scheme of its column's site."""
    base = list_path.rsplit("/", 1)[0]
    year = date[:4]
    digest = hashlib.md5(slug.encode("utf-8")).hexdigest()
    if family == "static-gb18030":
        # TRS-style file name: t<yyyymmdd>_<document number>.html, linked relative to the list page
        name = f"t{date.replace('-', '')}_{3000000 + int(digest[:6], 16) % 1000000}.html"
        return f"{base}/{year}/{name}", f"./{year}/{name}"
    if family == "samr-jpaas":
        path = f"{base}/art/{year}/art_{digest}.html"
    else:
        path = f"{base}/{year}/art/{year}/art_{digest}.html"
    return path, path


def _chinese_date(date: str) -> str:
    year, month, day = (int(part) for part in date.split("-"))
    return f"{year}年{month}月{day}日"


def _item_on(raw: Mapping[str, Any], day: int) -> Item | None:
    if day not in raw.get("days", (day,)):
        return None
    fields: dict[str, Any] = dict(raw)
    appended: list[str] = []
    attachments = list(raw.get("attachments", ()))
    changes: Mapping[str, Mapping[str, Any]] = raw.get("changes", {})
    for change_day in sorted(int(k) for k in changes):
        if change_day > day:
            continue
        change = changes[str(change_day)]
        for key in ("title", "list_text", "title_attr", "meta_title", "date", "pubdate"):
            if key in change:
                fields[key] = change[key]
        appended.extend(change.get("append_paragraphs", ()))
        attachments.extend(change.get("add_attachments", ()))
    title = fields["title"]
    return Item(
        slug=fields["slug"],
        path=fields["path"],
        href=fields.get("href", fields["path"]),
        title=title,
        list_text=fields.get("list_text", title),
        title_attr=fields.get("title_attr", title),
        meta_title=fields.get("meta_title", title),
        date=fields["date"],
        pubdate=fields.get("pubdate", f"{fields['date']} 09:00"),
        source=fields.get("source", "国家认监委"),
        doc_no=fields.get("doc_no", ""),
        addressee=fields.get("addressee", ""),
        paragraphs=tuple(raw.get("paragraphs", ())),
        appended=tuple(appended),
        signer=fields.get("signer", ""),
        sign_date=fields.get("sign_date", ""),
        attachments=tuple(AttachmentLink(name=a["name"], href=a["href"]) for a in attachments),
        areas=tuple(raw.get("areas", ())),
        archived=bool(raw.get("archived", False)),
    )
