"""Row diffs of sheets: keyed by a detected (or given) identifying column, rendered as rows."""

from __future__ import annotations

import pytest

from cnca_watch.attachments.rowdiff import KeyColumnError, detect_key_column, diff_sheets, render_sheet_diff

HEADER = ("序号", "产品名称", "型号", "依据标准")
OLD = [
    HEADER,
    ("1", "电线电缆", "BV-2.5", "GB/T 5023.1-2008"),
    ("2", "电动自行车", "TDT-1200", "GB 17761-2018"),
    ("3", "儿童玩具", "WJ-07", "GB 6675.1-2014"),
]


def test_rows_inserted_in_the_middle_are_added_not_every_row_changed() -> None:
    # Inserting a row renumbers 序号 below it; keyed by 型号 only the new rows show.
    new = [
        HEADER,
        ("1", "电线电缆", "BV-2.5", "GB/T 5023.1-2008"),
        ("2", "锂离子电池", "LB-18650", "GB 31241-2022"),
        ("3", "电动自行车", "TDT-1200", "GB 17761-2018"),
        ("4", "儿童玩具", "WJ-07", "GB 6675.1-2014"),
        ("5", "移动电源", "PB-10000", "GB 4943.1-2022"),
    ]
    diff = diff_sheets(OLD, new)
    assert diff.key_column == "产品名称"  # unique, populated, and not a running number
    assert [row[2] for row in diff.added] == ["LB-18650", "PB-10000"]
    assert diff.removed == () and diff.changed == ()
    assert render_sheet_diff(diff) == (
        "2 rows added (key 产品名称):\n"
        "  + 锂离子电池: 2 | LB-18650 | GB 31241-2022\n"
        "  + 移动电源: 5 | PB-10000 | GB 4943.1-2022"
    )


def test_changed_and_removed_rows_with_an_explicit_key() -> None:
    new = [HEADER, ("1", "电线电缆", "BV-2.5", "GB/T 5023.1-2024"), ("2", "电动自行车", "TDT-1200", "GB 17761-2018")]
    diff = diff_sheets(OLD, new, key_column="型号")
    assert diff.key_column == "型号"
    assert [row[2] for row in diff.removed] == ["WJ-07"]
    (change,) = diff.changed
    assert (change.key, change.columns) == ("BV-2.5", ("依据标准",))
    assert render_sheet_diff(diff) == (
        "1 row removed (key 型号):\n"
        "  - WJ-07: 3 | 儿童玩具 | GB 6675.1-2014\n"
        "1 row changed (key 型号):\n"
        "  ~ BV-2.5: 依据标准: “GB/T 5023.1-2008” → “GB/T 5023.1-2024”"
    )


def test_an_unknown_key_column_is_a_clear_error() -> None:
    with pytest.raises(KeyColumnError, match=r"key column '证书编号' is not in the sheet header \(columns: 序号, 产品名称, 型号, 依据标准\)"):
        diff_sheets(OLD, OLD, key_column="证书编号")


def test_columns_are_matched_by_name_when_they_move_or_appear() -> None:
    new = [("型号", "产品名称", "依据标准", "备注"), ("BV-2.5", "电线电缆", "GB/T 5023.1-2008", "")]
    diff = diff_sheets(OLD, new)
    assert diff.columns_added == ("备注",) and diff.columns_removed == ("序号",)
    assert diff.key_column == "型号"
    assert sorted(row[diff.header.index("型号")] for row in diff.removed) == ["TDT-1200", "WJ-07"]
    assert diff.changed == ()  # 序号 is a running number: its loss changes no row
    assert render_sheet_diff(diff).startswith("columns added: 备注\ncolumns removed: 序号\n")


def test_renumbering_alone_changes_no_row() -> None:
    renumbered = [HEADER, ("1", *OLD[2][1:]), ("2", *OLD[3][1:]), ("3", *OLD[1][1:])]
    assert diff_sheets(OLD, renumbered).is_empty


def test_without_a_usable_key_rows_are_compared_whole() -> None:
    old = [("地区", "数量"), ("北京", "3"), ("北京", "3"), ("上海", "5")]
    new = [("地区", "数量"), ("北京", "3"), ("上海", "5"), ("上海", "6")]
    diff = diff_sheets(old, new)
    assert diff.key_column is None
    assert diff.added == (("上海", "6"),) and diff.removed == (("北京", "3"),)
    assert render_sheet_diff(diff) == "1 row added:\n  + 上海 | 6\n1 row removed:\n  - 北京 | 3"


def test_repeated_keys_keep_every_row() -> None:
    old = [("型号", "颜色")] + [(f"A{i}", "红蓝绿"[i % 3]) for i in range(1, 11)]
    new = [*old, ("A10", "金")]  # 型号 now repeats once: 10/11 distinct still qualifies as a key
    diff = diff_sheets(old, new)
    assert diff.key_column == "型号" and diff.added == (("A10", "金"),) and diff.changed == ()


def test_detection_skips_serial_columns_and_columns_with_blanks() -> None:
    columns = ("序号", "编号", "名称", "备注")
    rows = [("1", "10", "甲", ""), ("2", "11", "乙", "x"), ("3", "12", "丙", "")]
    # 序号 is a serial by name, 编号 by value (10, 11, 12), 备注 has blanks: 名称 is the key
    assert detect_key_column(columns, rows, rows) == 2
    assert detect_key_column(("备注",), [("",), ("a",)], [("a",)]) is None


def test_identical_sheets_and_empty_ones() -> None:
    assert diff_sheets(OLD, OLD).is_empty and render_sheet_diff(diff_sheets(OLD, OLD)) == "no row changed"
    everything = diff_sheets([], OLD)
    assert len(everything.added) == 3 and everything.removed == ()


def test_long_lists_are_cut_with_a_count() -> None:
    new = [HEADER] + [(str(i), f"产品{i}", f"X{i}", "GB 1") for i in range(1, 31)]
    text = render_sheet_diff(diff_sheets([HEADER], new), max_rows=5)
    assert text.splitlines()[0] == "30 rows added (key 产品名称):"
    assert text.splitlines()[-1] == "  … and 25 more" and len(text.splitlines()) == 7
