"""Real attachment files, made in the tests by real writers (reportlab, python-docx, openpyxl, xlwt, zipfile)."""

from __future__ import annotations

import io
import zipfile
from typing import Sequence

CHINESE_RULE = "关于发布强制性产品认证实施规则的公告"
CATALOGUE_HEADER = ("序号", "产品名称", "型号", "依据标准")
CATALOGUE_ROWS = (
    (1, "电线电缆", "BV-2.5", "GB/T 5023.1-2008"),
    (2, "电动自行车", "TDT-1200", "GB 17761-2018"),
    (3, "儿童玩具", "WJ-07", "GB 6675.1-2014"),
)


def pdf(pages: Sequence[str] = (CHINESE_RULE, "第二页 CCC 2026"), *, user_password: str | None = None, owner_password: str | None = None) -> bytes:
    from reportlab.lib import pdfencrypt
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    encrypt = None
    if user_password is not None or owner_password is not None:
        encrypt = pdfencrypt.StandardEncryption(user_password or "", ownerPassword=owner_password or "owner", canPrint=1)
    buffer = io.BytesIO()
    document = canvas.Canvas(buffer, encrypt=encrypt)
    for text in pages:
        document.setFont("STSong-Light", 12)
        if text:
            document.drawString(72, 720, text)
        else:
            document.rect(72, 600, 200, 100, fill=1)  # a page with only a drawing, like a scan
        document.showPage()
    document.save()
    return buffer.getvalue()


def docx(paragraphs: Sequence[str] = (CHINESE_RULE, "一、适用范围"), table: Sequence[Sequence[object]] | None = None) -> bytes:
    import docx as python_docx

    document = python_docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=0, cols=len(table[0]))
        for row in table:
            cells = grid.add_row().cells
            for cell, value in zip(cells, row):
                cell.text = str(value)
        document.add_paragraph("以上产品自发布之日起实施。")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def xlsx(sheets: dict[str, Sequence[Sequence[object]]] | None = None) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    for title, rows in (sheets or {"目录": [CATALOGUE_HEADER, *CATALOGUE_ROWS]}).items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xls(rows: Sequence[Sequence[object]] = (CATALOGUE_HEADER, *CATALOGUE_ROWS), sheet: str = "目录") -> bytes:
    import datetime as dt

    import xlwt

    workbook = xlwt.Workbook(encoding="utf-8")
    worksheet = workbook.add_sheet(sheet)
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                worksheet.write(r, c, value, date_style)
            else:
                worksheet.write(r, c, value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def zip_with_gbk_name(name: str, data: bytes) -> bytes:
    """An archive as Windows tools in China write it: a GBK member name, no UTF-8 flag.

    zipfile always writes non-ASCII names as UTF-8, so the member is written under an ASCII
    placeholder of the same byte length and the name bytes are swapped in afterwards (the CRC
    covers the content, not the name).
    """
    encoded = name.encode("gbk")
    placeholder = b"N" * len(encoded)
    raw = zip_of({placeholder.decode("ascii"): data})
    assert raw.count(placeholder) == 2  # local header + central directory
    return raw.replace(placeholder, encoded)


def zip_bomb(member_bytes: int, members: int = 1) -> bytes:
    """Highly compressible members (zeros), streamed so the test never holds them in memory."""
    buffer = io.BytesIO()
    chunk = bytes(1024 * 1024)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for index in range(members):
            with archive.open(f"bomb{index}.txt", "w", force_zip64=True) as member:
                left = member_bytes
                while left > 0:
                    member.write(chunk[: min(left, len(chunk))])
                    left -= len(chunk)
    return buffer.getvalue()
