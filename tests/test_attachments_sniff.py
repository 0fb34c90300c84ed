"""File kinds from real files' bytes, and attachment names from headers and links."""

from __future__ import annotations

import pytest

import attachment_files as files
from cnca_watch.attachments.sniff import FileKind, attachment_name, sniff_kind


@pytest.mark.parametrize(
    ("make", "name", "expected"),
    [
        (files.pdf, "rules.pdf", FileKind.PDF),
        (files.docx, "rules.docx", FileKind.DOCX),
        (files.xlsx, "catalogue.xlsx", FileKind.XLSX),
        (files.xls, "catalogue.xls", FileKind.XLS),
        (lambda: files.zip_of({"a.txt": b"x"}), "all.zip", FileKind.ZIP),
    ],
)
def test_real_files_are_known_by_their_bytes_whatever_the_name(make, name, expected) -> None:
    data = make()
    assert sniff_kind(data, name) is expected
    assert sniff_kind(data, "downloadfile.jsp") is expected  # no extension: the bytes decide
    assert sniff_kind(data, "misnamed.doc", "application/msword") is expected  # a DOCX saved as .doc is DOCX


def test_html_is_html_whatever_the_name_or_type_claims() -> None:
    page = "<!DOCTYPE html>\n<html><head><title>错误</title></head><body>文件不存在</body></html>".encode()
    assert sniff_kind(page, "rules.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document") is FileKind.HTML
    assert sniff_kind(b"\xef\xbb\xbf  <html><body>x</body></html>", "a.pdf") is FileKind.HTML
    assert sniff_kind(b"<!-- cms -->\n<script>location.href='/login'</script>", "a.xls") is FileKind.HTML
    assert sniff_kind("出错了，请稍后再试".encode(), "a.pdf", "text/html; charset=utf-8") is FileKind.HTML


def test_ole_files_take_their_flavour_from_the_name_then_the_streams() -> None:
    workbook = files.xls()
    assert sniff_kind(workbook, "x") is FileKind.XLS  # the "Workbook" stream name
    fake_doc = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100) + "WordDocument".encode("utf-16-le")
    assert sniff_kind(fake_doc, "x") is FileKind.DOC
    assert sniff_kind(fake_doc, "通知.wps") is FileKind.WPS


def test_text_and_unknown() -> None:
    assert sniff_kind("序号,产品\n1,电线".encode("gbk"), "list.csv") is FileKind.TEXT
    assert sniff_kind(bytes(range(256)) * 4, "blob") is FileKind.UNKNOWN
    assert sniff_kind(b"", "empty.pdf") is FileKind.UNKNOWN


@pytest.mark.parametrize(
    ("url", "disposition", "expected"),
    [
        # RFC 6266 filename* with UTF-8 percent-escapes wins over the plain fallback
        ("https://www.cnca.gov.cn/dl?id=1", "attachment; filename=\"fallback.pdf\"; filename*=UTF-8''%E5%AE%9E%E6%96%BD%E8%A7%84%E5%88%99.pdf", "实施规则.pdf"),
        # filename* in GBK
        ("https://x/dl", "attachment; filename*=GBK''%B8%BD%BC%FE.xlsx", "附件.xlsx"),
        # plain filename with UTF-8 percent-escapes (common on Java servers)
        ("https://x/dl", "attachment;filename=%E7%9B%AE%E5%BD%95.xls", "目录.xls"),
        # raw GBK bytes that an HTTP client decoded as Latin-1
        ("https://x/dl", "attachment; filename=\"" + "公告.doc".encode("gbk").decode("latin-1") + "\"", "公告.doc"),
        # raw UTF-8 bytes decoded as Latin-1
        ("https://x/dl", "inline; filename=" + "规则.pdf".encode().decode("latin-1"), "规则.pdf"),
        # no header: the query names the file (UTF-8, then GBK percent-escapes)
        ("https://www.samr.gov.cn/downloadfile.jsp?filepath=/u/2026/a1b2&fText=%E9%99%84%E4%BB%B61.pdf", None, "附件1.pdf"),
        ("https://x/down.do?fileName=%C4%BF%C2%BC.xlsx&id=9", None, "目录.xlsx"),
        # otherwise the path
        ("https://www.cnca.gov.cn/u/cms/www/202612/%E9%99%84%E4%BB%B6.docx", None, "附件.docx"),
        # a name that tries to be a path keeps only its last part
        ("https://x/dl", "attachment; filename=\"..\\\\..\\\\etc/passwd\"", "passwd"),
        # nothing usable at all
        ("https://x/download.jsp?id=77", "attachment", "attachment"),
    ],
)
def test_attachment_name(url: str, disposition: str | None, expected: str) -> None:
    assert attachment_name(url, disposition) == expected


def test_attachment_name_is_bounded_and_keeps_its_extension() -> None:
    name = attachment_name("https://x/dl", "attachment; filename=\"" + "长" * 500 + ".pdf\"")
    assert len(name) <= 200 and name.endswith(".pdf")
