"""The review charts and tables: SVG parsed back with xml.etree, the rich chart and text tables read back.

The numbers come from a hand-built store (counted by hand below), never from the code under test.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

from rich.console import Console

from cnca_watch.render.chart_svg import review_chart_svg, review_figure_html, review_table_html
from cnca_watch.render.chart_terminal import review_chart
from cnca_watch.render.review_table import review_table_markdown, review_table_text
from cnca_watch.review import Period, ReviewItem, build_review

SVG = "{http://www.w3.org/2000/svg}"
AREAS = ("regulation", "benefit")
LABELS = {"regulation": "Regulation", "benefit": "发挥作用"}


def _item(n: int, published: str, *areas: str) -> ReviewItem:
    return ReviewItem(f"https://example.test/{n}", f"t{n}", "s", published, tuple((a, 1.0) for a in areas))


STORE = (
    _item(1, "2024-01-03", "regulation"),
    _item(2, "2024-01-09", "regulation", "benefit"),
    _item(3, "2024-03-01", "benefit"),
    _item(4, "2024-12-30", "regulation"),
    _item(5, "2024-07-07"),
    _item(6, "2023-04-04", "regulation"),
)
# by hand: regulation Jan 2, Dec 1 → 3; benefit Jan 1, Mar 1 → 2; all items Jan 2, Mar 1, Jul 1, Dec 1 → 5
REGULATION = ["2", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "1", "3"]
BENEFIT = ["1", "0", "1", "0", "0", "0", "0", "0", "0", "0", "0", "0", "2"]
ALL = ["2", "0", "1", "0", "0", "0", "1", "0", "0", "0", "0", "1", "5"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _review():  # type: ignore[no-untyped-def]
    return build_review(STORE, Period.year(2024), AREAS)


def _texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def _after(texts: list[str], label: str, n: int) -> list[str]:
    start = texts.index(label) + 1
    return texts[start : start + n]


def test_svg_is_valid_xml_with_title_desc_and_every_number() -> None:
    root = ET.fromstring(review_chart_svg(_review(), LABELS))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img" and root.get("width") and root.get("height")
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert title is not None and title.text == "Announcements per task area and month, 2024"
    assert desc is not None and "5 announcements" in (desc.text or "") and "previous year 1" in (desc.text or "")
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    texts = _texts(root)
    assert _after(texts, "Jan", 11) == MONTHS[1:]
    # each row: its 12 month counts, the total, then the previous year with the difference
    assert _after(texts, "Regulation", 14) == REGULATION + ["1 (+2)"]
    assert _after(texts, "发挥作用", 14) == BENEFIT + ["0 (+2)"]
    assert _after(texts, "All items", 14) == ALL + ["1 (+4)"]
    assert "vs 2023" in texts


def test_svg_has_no_script_link_or_external_asset() -> None:
    svg = review_chart_svg(_review(), LABELS)
    root = ET.fromstring(svg)
    tags = {element.tag.removeprefix(SVG) for element in root.iter()}
    assert tags <= {"svg", "title", "desc", "rect", "text"}
    attributes = " ".join(f"{k}={v}" for element in root.iter() for k, v in element.attrib.items())
    assert "href" not in attributes and "url(" not in attributes and "on" + "load" not in attributes
    assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "<style" not in svg and "class=" not in svg  # mail clients drop stylesheets


def test_hostile_area_label_stays_text_and_xml_stays_valid() -> None:
    hostile = {"regulation": '</text><script>alert(1)</script>\x1b[31m\x00&"', "benefit": "B"}
    root = ET.fromstring(review_chart_svg(_review(), hostile, id_prefix="x"))
    assert root.find(f".//{SVG}script") is None
    assert '</text><script>alert(1)</script>&"' in _texts(root)  # the escape sequence and NUL are gone
    assert root.find(f"{SVG}title").get("id") == "x-title"  # type: ignore[union-attr]


def test_svg_without_previous_year_has_no_comparison_column() -> None:
    review = build_review(STORE[:5], Period.year(2024), AREAS)
    texts = _texts(ET.fromstring(review_chart_svg(review, LABELS)))
    assert not any(t.startswith("vs ") for t in texts)
    assert _after(texts, "Regulation", 14) == REGULATION + ["发挥作用"]


def test_html_table_holds_the_same_numbers() -> None:
    table = ET.fromstring(review_table_html(_review(), LABELS))
    assert "2024" in (table.findtext("caption") or "")
    header = [th.text for th in table.find("thead/tr")]  # type: ignore[union-attr]
    assert header == ["Area", *MONTHS, "Total", "2023"]
    rows = {tr.findtext("th"): [td.text for td in tr.findall("td")] for tr in table.find("tbody")}  # type: ignore[union-attr]
    assert rows == {"Regulation": REGULATION + ["1"], "发挥作用": BENEFIT + ["0"], "All items": ALL + ["1"]}
    figure = ET.fromstring(review_figure_html(_review(), LABELS))
    assert [child.tag.removeprefix(SVG) for child in figure] == ["svg", "table"]


def test_terminal_chart_rows() -> None:
    console = Console(record=True, width=150, color_system="truecolor", file=io.StringIO())
    console.print(review_chart(_review(), LABELS))
    lines = console.export_text(clear=False).splitlines()
    regulation = next(line for line in lines if line.strip().startswith("Regulation")).split()
    # zero months show as a dot so the busy months stand out
    assert regulation == ["Regulation", *[c if c != "0" else "·" for c in REGULATION], "1", "(+2)"]
    all_items = next(line for line in lines if line.strip().startswith("All items")).split()
    assert all_items[2:] == ALL + ["1", "(+4)"]
    assert any("vs 2023" in line for line in lines)
    styled = console.export_html(inline_styles=True)
    assert "#1f4e79" in styled  # the busiest cell is shaded darkest


def test_text_table_aligns_wide_labels() -> None:
    text = review_table_text(_review(), LABELS)
    lines = text.splitlines()
    assert lines[0].startswith("Announcements per task area and month, 2024")
    header, rule, regulation, benefit, all_items = lines[2:7]
    assert header.split() == ["Area", *MONTHS, "Total", "vs", "2023"]
    assert set(rule.replace(" ", "")) == {"-"}
    assert regulation.split() == ["Regulation", *REGULATION, "1", "(+2)"]
    assert benefit.split() == ["发挥作用", *BENEFIT, "0", "(+2)"]
    assert all_items.split() == ["All", "items", *ALL, "1", "(+4)"]
    # "发挥作用" is 4 wide characters taking 8 columns, so its row is 4 characters shorter than
    # the Regulation row and its numbers end in the same columns
    assert len(regulation) == len(benefit) + 4
    assert regulation.endswith("      3   1 (+2)") and benefit.endswith("      2   0 (+2)")


def test_markdown_table_escapes_pipes() -> None:
    md = review_table_markdown(_review(), {"regulation": "A|B", "benefit": "发挥作用"})
    lines = md.splitlines()
    assert lines[2] == "| Area | " + " | ".join(MONTHS) + " | Total | vs 2023 |"
    assert lines[3] == "|:---|" + "|".join(["---:"] * 14) + "|"
    assert lines[4] == "| A\\|B | " + " | ".join(REGULATION) + " | 1 (+2) |"
    assert lines[6] == "| " + " | ".join(f"**{c}**" for c in ["All items", *ALL, "1 (+4)"]) + " |"
