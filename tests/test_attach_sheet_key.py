"""A source's `sheet_key`: the column that names a row in its spreadsheets' row diffs, over
the detected one; a key the sheet lacks is a note in the diff, never a crash.  Real XLSX files
written by openpyxl, served by a local server, read by `check`."""

from __future__ import annotations

from pathlib import Path

import attachment_files as files
import pytest
from page_server import PageServer, Pages, one_announcement

from cnca_watch.attachments.rowdiff import diff_sheets_keyed
from cnca_watch.clock import utc_now
from cnca_watch.config import parse_config
from cnca_watch.errors import ConfigError
from cnca_watch.models import ChangeKind
from cnca_watch.pipeline import acknowledge, check
from cnca_watch.settings import Config, FetchSettings, SourceConfig

TITLE = "关于公布获证认证机构名录的公告"
TODAY = utc_now()[:10]
HEADER = ["序号", "机构名称", "证书编号", "有效期至"]
BEFORE = [HEADER, [1, "中国质量认证中心", "CNCA-R-2002-001", "2027-06-30"], [2, "北京某认证有限公司", "CNCA-R-2011-045", "2026-12-31"]]
# the second body changed its name; its certificate number is what identifies it
AFTER = [HEADER, [1, "中国质量认证中心", "CNCA-R-2002-001", "2027-06-30"], [2, "北京某检测认证集团有限公司", "CNCA-R-2011-045", "2026-12-31"]]


def pages(sheet: bytes) -> Pages:
    links = {"/files/bodies.xlsx": "附件：认证机构名录.xlsx"}
    return {**one_announcement(TITLE, TODAY, "名录见附件。", links), "/files/bodies.xlsx": sheet}


def replaced_sheet_diff(tmp_path: Path, sheet_key: tuple[str, ...]) -> str:
    with PageServer(pages(files.xlsx({"名录": BEFORE}))) as site:
        config = Config(
            sources=(SourceConfig(name="site", url=site.url("/list.html"), sheet_key=sheet_key),),
            store_path=tmp_path / f"{'-'.join(sheet_key) or 'detected'}.db",
            fetch=FetchSettings(retries=0, read_timeout=5.0, recheck_attachments_every_hours=0),
        )
        acknowledge(config, check(config))
        site.pages["/files/bodies.xlsx"] = files.xlsx({"名录": AFTER})
        result = check(config)
    [change] = result.changes
    assert change.kind is ChangeKind.CHANGED and change.fields_changed == ("attachments",)
    return change.diff


def test_the_configured_key_makes_a_renamed_row_one_changed_row(tmp_path: Path) -> None:
    detected = replaced_sheet_diff(tmp_path, ())
    assert "1 row added (key 机构名称)" in detected and "1 row removed (key 机构名称)" in detected
    keyed = replaced_sheet_diff(tmp_path, ("证书编号",))
    assert "1 row changed (key 证书编号)" in keyed
    assert "CNCA-R-2011-045: 机构名称: “北京某认证有限公司” → “北京某检测认证集团有限公司”" in keyed
    assert "added" not in keyed and "not found" not in keyed


def test_the_first_listed_key_the_sheet_has_is_used_and_an_unknown_one_is_a_note(tmp_path: Path) -> None:
    listed = replaced_sheet_diff(tmp_path, ("批准号", "证书编号"))
    assert "1 row changed (key 证书编号)" in listed and "not found" not in listed
    unknown = replaced_sheet_diff(tmp_path, ("批准号",))
    assert "key column 批准号 not found; detected 机构名称 used" in unknown
    assert "1 row added (key 机构名称)" in unknown


def test_no_usable_key_at_all_is_a_note_and_a_whole_row_diff() -> None:
    rows_before = [["名称", "备注"], ["甲", "同"], ["甲", "同"]]  # no column names a row
    rows_after = [["名称", "备注"], ["甲", "同"], ["甲", "同"], ["乙", "新"]]
    diff, note = diff_sheets_keyed(rows_before, rows_after, ["证书编号"])
    assert note == "key column 证书编号 not found; no key detected, rows compared whole"
    assert diff.key_column is None and diff.added == (("乙", "新"),)
    assert diff_sheets_keyed(rows_before, rows_after, [])[1] is None


def test_sheet_key_in_the_config_file() -> None:
    one = parse_config({"sources": [{"name": "s", "url": "https://www.cnca.gov.cn/", "sheet_key": "证书编号"}]})
    assert one.sources[0].sheet_key == ("证书编号",)
    several = parse_config(
        {"sources": [{"name": "s", "url": "https://www.cnca.gov.cn/", "sheet_key": ["证书 编号", "机构名称"]}]}
    )
    assert several.sources[0].sheet_key == ("证书 编号", "机构名称")


@pytest.mark.parametrize("value", [3, [], [""], ["证书编号", 7]])
def test_a_bad_sheet_key_is_one_line_naming_the_key(value: object) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"sources": [{"name": "s", "url": "https://www.cnca.gov.cn/", "sheet_key": value}]})
    assert "sheet_key" in str(caught.value) and "\n" not in str(caught.value)
