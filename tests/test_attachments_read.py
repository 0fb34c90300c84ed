"""read_attachment on real files made by real writers, and on hostile files: each gives text or a note, in bounded time."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from pathlib import Path

import attachment_files as files
from cnca_watch.attachments import ReadResult, read_attachment
from cnca_watch.attachments.read import AttachmentReader
from cnca_watch.attachments._parsers import Limits
from cnca_watch.attachments.sniff import FileKind

CATALOGUE = tuple(tuple(str(v) for v in row) for row in files.CATALOGUE_ROWS)


def read(data: bytes, name: str, content_type: str | None = None, **options: object) -> tuple[ReadResult, float]:
    started = time.monotonic()
    result = read_attachment(data, name, content_type, **options)  # type: ignore[arg-type]
    return result, time.monotonic() - started


def test_pdf_text_in_chinese_with_page_count() -> None:
    result, _ = read(files.pdf([files.CHINESE_RULE, "第二页 CCC 2026"]), "rules.pdf")
    assert result.kind is FileKind.PDF and result.pages == 2 and result.note is None
    assert files.CHINESE_RULE in result.text and "第二页 CCC 2026" in result.text
    assert result.text.index(files.CHINESE_RULE) < result.text.index("第二页")


def test_docx_paragraphs_and_tables_in_document_order() -> None:
    data = files.docx(["一、适用范围", "本规则适用于下列产品："], table=[files.CATALOGUE_HEADER, *files.CATALOGUE_ROWS])
    result, _ = read(data, "rules.docx")
    assert result.kind is FileKind.DOCX and result.note is None
    assert result.text.index("本规则适用于") < result.text.index("电线电缆") < result.text.index("以上产品自发布之日起实施")
    (table,) = result.sheets
    assert table.header == files.CATALOGUE_HEADER and table.rows == CATALOGUE


def test_xlsx_sheets_as_rows_of_strings() -> None:
    data = files.xlsx({
        "目录": [files.CATALOGUE_HEADER, *files.CATALOGUE_ROWS],
        "说明": [("生效日期", dt.datetime(2026, 12, 1)), (), ("比例", 0.25)],
    })  # fmt: skip
    result, _ = read(data, "catalogue.xlsx")
    assert result.kind is FileKind.XLSX and result.note is None
    catalogue, notes = result.sheets
    assert (catalogue.name, catalogue.header, catalogue.rows) == ("目录", files.CATALOGUE_HEADER, CATALOGUE)
    assert notes.header == ("生效日期", "2026-12-01") and notes.rows == (("比例", "0.25"),)  # the empty row is dropped
    assert "【目录】" in result.text and "TDT-1200" in result.text


def test_xls_written_by_xlwt_with_a_date_cell() -> None:
    rows = [files.CATALOGUE_HEADER + ("发布日期",), *(row + (dt.date(2026, 11, 30),) for row in files.CATALOGUE_ROWS)]
    result, _ = read(files.xls(rows), "catalogue.xls")
    assert result.kind is FileKind.XLS and result.note is None
    (sheet,) = result.sheets
    assert sheet.header == files.CATALOGUE_HEADER + ("发布日期",)
    assert sheet.rows == tuple(row + ("2026-11-30",) for row in CATALOGUE)


def test_zip_members_are_listed_and_read_gbk_names_included() -> None:
    inner = files.zip_of({"目录.xlsx": files.xlsx(), "规则.pdf": files.pdf(["规则正文第一条"]), "说明.txt": "联系电话 010-82260000".encode("gbk")})
    result, _ = read(inner, "附件.zip")
    assert result.kind is FileKind.ZIP and result.members == 3 and result.note is None
    assert "规则正文第一条" in result.text and "联系电话 010-82260000" in result.text
    assert [sheet.name for sheet in result.sheets] == ["目录.xlsx/目录"]
    legacy, _ = read(files.zip_with_gbk_name("附件一.pdf", files.pdf(["附件一的内容"])), "a.zip")
    assert "【附件一.pdf】" in legacy.text and "附件一的内容" in legacy.text


def test_plain_text_in_gbk_is_decoded_without_a_child() -> None:
    result, _ = read("序号,产品\n1,电线电缆".encode("gbk"), "list.csv")
    assert result.kind is FileKind.TEXT and result.text == "序号,产品\n1,电线电缆" and result.note is None


# ---------------------------------------------------------------------------- hostile files


def test_encrypted_pdf_with_a_user_password_is_a_note() -> None:
    result, elapsed = read(files.pdf(user_password="secret"), "locked.pdf")
    assert result.text == "" and result.note == "text not extracted: encrypted PDF (a password is needed)"
    assert not result.extracted and elapsed < 20


def test_pdf_encrypted_with_an_owner_password_only_is_read() -> None:
    # Government PDFs often forbid copying with an owner password; anyone may open them.
    result, _ = read(files.pdf([files.CHINESE_RULE], owner_password="owner-only"), "rules.pdf")
    assert files.CHINESE_RULE in result.text and result.note is None


def test_malformed_and_truncated_pdfs_are_notes() -> None:
    whole = files.pdf()
    for data in (b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >>\ngarbage", whole[: len(whole) // 3]):
        result, elapsed = read(data, "broken.pdf")
        assert result.kind is FileKind.PDF and elapsed < 20
        assert result.note is not None and (result.note.startswith("text not extracted: unreadable PDF") or "no text layer" in result.note)


def test_pdf_without_a_text_layer_says_so() -> None:
    result, _ = read(files.pdf(["", ""]), "scan.pdf")
    assert result.text == "" and result.pages == 2 and result.note == "no text layer in the PDF (a scan?)"


def test_docx_that_is_really_html_and_an_html_error_page() -> None:
    page = "<html><head><title>404 页面不存在</title></head><body>抱歉</body></html>".encode()
    result, _ = read(page, "rules.docx")
    assert result.kind is FileKind.HTML and result.text == ""
    assert result.note == 'text not extracted: an HTML page was served instead of the file (page title "404 页面不存在")'
    error, _ = read("系统繁忙".encode(), "downloadfile.jsp", "text/html;charset=UTF-8")
    assert error.kind is FileKind.HTML and error.note == "text not extracted: an HTML page was served instead of the file"


def test_doc_and_wps_are_kept_with_a_note() -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512) + "WordDocument".encode("utf-16-le")
    assert read(ole, "通知.doc")[0].note == "text not extracted: DOC reader not available"
    assert read(ole, "通知.wps")[0].note == "text not extracted: WPS reader not available"


def test_zip_bomb_by_ratio_is_refused_member_by_member() -> None:
    result, elapsed = read(files.zip_of({"bomb.txt": bytes(8 * 1024 * 1024), "readme.txt": "说明".encode()}), "bomb.zip")
    assert result.members == 2 and "说明" in result.text and elapsed < 20
    assert result.note == "bomb.txt: not read: compression ratio over 200:1 (zip bomb?)"


def test_zip_bomb_by_total_size_is_listed_not_read() -> None:
    limits = Limits(zip_max_total_bytes=3 * 1024 * 1024, zip_max_ratio=10**9)
    result, _ = read(files.zip_bomb(2 * 1024 * 1024, members=2), "bomb.zip", limits=limits)
    assert "【bomb0.txt】" in result.text and "【bomb1.txt】" in result.text
    assert result.note == "archive members not read: 4,194,304 bytes uncompressed exceeds the 3,145,728 limit (zip bomb?)"


def test_docx_whose_parts_are_a_bomb_is_refused_before_parsing() -> None:
    data = files.zip_of({"word/document.xml": b"<w:document>" + b" " * (8 * 1024 * 1024) + b"</w:document>", "[Content_Types].xml": b"<Types/>"})
    result, _ = read(data, "bomb.docx")
    assert result.kind is FileKind.DOCX
    assert result.note is not None and result.note.startswith("text not extracted: unreadable DOCX (ValueError: part word/document.xml: compression ratio")


def test_nested_archives_are_not_opened() -> None:
    result, _ = read(files.zip_of({"inner.zip": files.zip_of({"deep.txt": b"deep"}), "top.txt": b"top"}), "outer.zip")
    assert "top" in result.text and "deep" not in result.text
    assert result.note == "inner.zip: nested archive not opened"


def test_huge_sheet_is_cut_at_the_row_limit_with_a_note() -> None:
    rows = [("编号", "名称")] + [(f"C{i:05d}", f"产品{i}") for i in range(1, 1500)]
    result, _ = read(files.xlsx({"大表": rows}), "huge.xlsx", limits=Limits(max_rows=1000))
    (sheet,) = result.sheets
    assert len(sheet.rows) + 1 == 1000 and sheet.rows[-1] == ("C00999", "产品999")
    assert result.note == "rows cut at 1,000"


def test_text_is_cut_at_the_text_limit_with_a_note() -> None:
    result, _ = read(files.pdf(["甲" * 40, "乙" * 40]), "long.pdf", limits=Limits(max_text_chars=50))
    assert len(result.text) == 50 and result.note == "text cut at 50 characters"


def test_a_reader_past_its_time_limit_is_killed_and_noted() -> None:
    started = time.monotonic()
    # 10 ms: less than an interpreter needs to start and import pypdf, so the kill always comes
    result = read_attachment(files.pdf(), "slow.pdf", time_limit_s=0.01)
    assert time.monotonic() - started < 5
    assert result.note == "text not extracted: reading took longer than 0.01 s"


def test_a_reader_past_its_memory_limit_is_stopped_and_noted() -> None:
    result, elapsed = read(files.xlsx(), "big.xlsx", memory_limit_mb=30)
    assert elapsed < 20 and result.text == ""
    # Where memory runs out decides the symptom (MemoryError, a library's own error, the
    # interpreter's exit); every one of them is a note on this file.
    assert (result.note or "").startswith("text not extracted: ")


def test_reading_imports_no_parser_in_this_process() -> None:
    code = (
        "import sys, attachment_files as f; from cnca_watch.attachments import read_attachment;"
        "r = read_attachment(f.xls(), 'a.xls'); assert r.sheets, r;"
        "print(sorted(m for m in ('pypdf', 'docx', 'openpyxl', 'xlrd') if m in sys.modules))"
    )
    tests = Path(__file__).resolve().parent
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tests, timeout=60, check=True)
    assert done.stdout.strip() == "[]"


def test_password_protected_office_files_are_a_note() -> None:
    # An encrypted DOCX/XLSX is an OLE box holding an "EncryptedPackage" stream, whatever its name.
    box = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1024) + "EncryptedPackage".encode("utf-16-le") + bytes(64)
    for name in ("catalogue.xlsx", "rules.docx"):
        assert read(box, name)[0].note == "text not extracted: password-protected Office file"


# ---------------------------------------------------------------------------- many files, one child


def test_a_reader_reads_many_files_through_one_child() -> None:
    batch = [("rules.pdf", files.pdf()), ("rules.docx", files.docx()), ("c.xlsx", files.xlsx()), ("c.xls", files.xls()), ("page.docx", b"<html>x</html>")] * 2
    with AttachmentReader() as reader:
        results = [reader.read(data, name) for name, data in batch]
        assert reader.children_started == 1
    assert [r.kind for r in results[:5]] == [FileKind.PDF, FileKind.DOCX, FileKind.XLSX, FileKind.XLS, FileKind.HTML]
    assert results[:5] == results[5:]  # the same file reads the same in a reused child
    assert files.CHINESE_RULE in results[0].text and results[2].sheets[0].rows == CATALOGUE


def test_a_reader_replaces_a_child_that_overran_or_died() -> None:
    with AttachmentReader(time_limit_s=0.01) as reader:
        assert reader.read(files.pdf(), "slow.pdf").note == "text not extracted: reading took longer than 0.01 s"
        reader.time_limit_s = 20
        assert files.CHINESE_RULE in reader.read(files.pdf(), "rules.pdf").text
        assert reader.children_started == 2
        reader._child.kill()  # type: ignore[union-attr]  # a crash between files
        reader._child.wait()  # type: ignore[union-attr]
        assert reader.read(files.xls(), "c.xls").sheets[0].rows == CATALOGUE
        assert reader.children_started == 3


def test_a_reader_child_out_of_memory_is_a_note_and_is_replaced() -> None:
    with AttachmentReader(memory_limit_mb=30) as reader:
        result = reader.read(files.xlsx(), "big.xlsx")
        assert result.text == "" and (result.note or "").startswith("text not extracted: ")
        reader.memory_limit_mb = 512  # the failed child is not reused: the next one gets this
        assert reader.read(files.xls(), "c.xls").sheets[0].rows == CATALOGUE
        assert reader.children_started == 2
