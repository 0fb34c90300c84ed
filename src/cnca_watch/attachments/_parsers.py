"""The parsers proper.  They run inside the child process started by ``read.py``.

Nothing heavy is imported at module level: ``read.py`` (in the parent) imports this module
only for ``Limits`` and ``decode_text``; pypdf, python-docx, openpyxl and xlrd are imported
inside the function that needs them, i.e. only in the child.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Sequence

from cnca_watch.attachments.sniff import FileKind, sniff_kind


@dataclass(frozen=True, slots=True)
class Limits:
    max_text_chars: int = 2_000_000
    max_rows: int = 50_000  # over all sheets of a file
    zip_max_members: int = 500
    zip_max_total_bytes: int = 256 * 1024 * 1024  # declared uncompressed, all members
    zip_max_member_bytes: int = 64 * 1024 * 1024
    zip_max_ratio: int = 200  # uncompressed / compressed, for members over 1 MiB
    zip_ratio_floor_bytes: int = 1024 * 1024


@dataclass(slots=True)
class Collected:
    """What a parse produced so far, with the output budget enforced as it grows."""

    limits: Limits
    parts: list[str] = field(default_factory=list)
    chars: int = 0
    sheets: list[tuple[str, tuple[str, ...], list[tuple[str, ...]]]] = field(default_factory=list)
    rows: int = 0
    notes: list[str] = field(default_factory=list)
    pages: int | None = None
    members: int | None = None
    text_full: bool = False
    rows_full: bool = False
    failed: bool = False  # a parser raised: this process's state is no longer trusted for another file

    def add_text(self, text: str) -> None:
        if self.text_full or not text:
            return
        room = self.limits.max_text_chars - self.chars
        if len(text) > room:
            text = text[:room]
            self.text_full = True
            self.note(f"text cut at {self.limits.max_text_chars:,} characters")
        self.parts.append(text)
        self.chars += len(text)

    def add_sheet(self, name: str, rows: Iterable[Sequence[str]]) -> None:
        kept: list[tuple[str, ...]] = []
        for row in rows:
            if self.rows >= self.limits.max_rows:
                if not self.rows_full:
                    self.rows_full = True
                    self.note(f"rows cut at {self.limits.max_rows:,}")
                break
            kept.append(tuple(row))
            self.rows += 1
        header, body = (kept[0], kept[1:]) if kept else ((), [])
        self.sheets.append((name, header, body))
        self.add_text(f"【{name}】\n" + "\n".join("\t".join(row) for row in kept) + "\n")

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def as_json(self, kind: str) -> dict[str, Any]:
        return {
            "kind": kind,
            "text": "".join(self.parts),
            "sheets": [[name, list(header), [list(r) for r in rows]] for name, header, rows in self.sheets],
            "notes": self.notes,
            "pages": self.pages,
            "members": self.members,
            "failed": self.failed,
        }


def decode_text(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def parse(kind: FileKind, data: bytes, out: Collected) -> None:
    """Parse ``data`` of ``kind`` into ``out``; every failure becomes a note, never an exception."""
    parser = _PARSERS.get(kind)
    if parser is None:
        out.note(f"text not extracted: {not_extracted_reason(kind)}")
        return
    try:
        parser(data, out)
    except MemoryError:
        out.failed = True
        out.note("text not extracted: the file needs more memory than the limit allows")
    except Exception as exc:  # noqa: BLE001 - a hostile file may raise anything from any library
        out.failed = True
        out.note(f"text not extracted: unreadable {kind.upper()} ({type(exc).__name__}: {_short(exc)})")


def not_extracted_reason(kind: FileKind) -> str:
    return {
        FileKind.DOC: "DOC reader not available",
        FileKind.WPS: "WPS reader not available",
        FileKind.HTML: "an HTML page was served instead of the file",
        FileKind.UNKNOWN: "unknown file type",
    }.get(kind, f"no reader for {kind}")


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:160] + ("…" if len(text) > 160 else "")


def _parse_text(data: bytes, out: Collected) -> None:
    out.add_text(decode_text(data))


def _parse_pdf(data: bytes, out: Collected) -> None:
    import logging
    import warnings

    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    logging.getLogger("pypdf").setLevel(logging.CRITICAL)  # malformed files log per object
    warnings.simplefilter("ignore")
    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        try:
            opened = reader.decrypt("")  # many are owner-password only: readable by anyone
        except DependencyError:
            out.note("text not extracted: encrypted PDF (AES needs the 'cryptography' package)")
            return
        if not opened:
            out.note("text not extracted: encrypted PDF (a password is needed)")
            return
    out.pages = len(reader.pages)
    chars_before = out.chars
    for page in reader.pages:
        if page_text := (page.extract_text() or "").strip():
            out.add_text(page_text + "\n")
        if out.text_full:
            break
    if out.pages and not "".join(out.parts)[chars_before:].strip():
        out.note("no text layer in the PDF (a scan?)")


def _parse_docx(data: bytes, out: Collected) -> None:
    _check_office_zip(data, out.limits)
    import docx
    from docx.oxml.ns import qn
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(io.BytesIO(data))
    paragraph_tag, table_tag = qn("w:p"), qn("w:tbl")
    tables = 0
    # body order matters: a table sits between the paragraphs that introduce and follow it
    for element in document.element.body.iterchildren():
        if element.tag == paragraph_tag:
            out.add_text(Paragraph(element, document).text + "\n")
        elif element.tag == table_tag:
            tables += 1
            rows = [tuple(_clean_cell(cell.text) for cell in row.cells) for row in Table(element, document).rows]
            out.add_sheet(f"表{tables}", [r for r in rows if any(r)])


def _parse_xlsx(data: bytes, out: Collected) -> None:
    _check_office_zip(data, out.limits)
    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        for worksheet in workbook.worksheets:
            rows = (_trim(tuple(_cell(v) for v in values)) for values in worksheet.iter_rows(values_only=True))
            out.add_sheet(worksheet.title, (r for r in rows if r))
            if out.rows_full:
                break
    finally:
        workbook.close()


def _parse_xls(data: bytes, out: Collected) -> None:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
    except xlrd.XLRDError as exc:
        if "encrypted" in str(exc).lower():
            out.note("text not extracted: encrypted XLS (a password is needed)")
            return
        raise

    def cell(sheet_cell: Any) -> str:
        if sheet_cell.ctype == xlrd.XL_CELL_DATE:
            try:
                return _cell(xlrd.xldate_as_datetime(sheet_cell.value, book.datemode))
            except (ValueError, OverflowError, xlrd.xldate.XLDateError):
                return _cell(sheet_cell.value)
        if sheet_cell.ctype == xlrd.XL_CELL_BOOLEAN:
            return _cell(bool(sheet_cell.value))
        if sheet_cell.ctype == xlrd.XL_CELL_ERROR:
            return ""
        return _cell(sheet_cell.value)

    for index in range(book.nsheets):
        sheet = book.sheet_by_index(index)
        rows = (_trim(tuple(cell(c) for c in sheet.row(r))) for r in range(sheet.nrows))
        out.add_sheet(sheet.name, (r for r in rows if r))
        book.unload_sheet(index)
        if out.rows_full:
            break


def _parse_zip(data: bytes, out: Collected) -> None:
    limits = out.limits
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        out.members = len(infos)
        if len(infos) > limits.zip_max_members:
            out.note(f"only the first {limits.zip_max_members} of {len(infos)} archive members read")
            infos = infos[: limits.zip_max_members]
        declared = sum(info.file_size for info in infos)
        if declared > limits.zip_max_total_bytes:
            out.note(f"archive members not read: {declared:,} bytes uncompressed exceeds the {limits.zip_max_total_bytes:,} limit (zip bomb?)")
            out.add_text("\n".join(f"【{member_name(info)}】" for info in infos) + "\n")
            return
        for info in infos:
            name = member_name(info)
            out.add_text(f"【{name}】\n")
            if reason := _member_refusal(info, limits):
                out.note(f"{name}: not read: {reason}")
                continue
            try:
                payload = archive.read(info)
            except RuntimeError as exc:  # zipfile's way of saying "encrypted member"
                out.note(f"{name}: not read: {_short(exc)}")
                continue
            except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError) as exc:
                out.note(f"{name}: not read: {type(exc).__name__}: {_short(exc)}")
                continue
            kind = sniff_kind(payload, name)
            if kind is FileKind.ZIP:
                out.note(f"{name}: nested archive not opened")
                continue
            room = replace(limits, max_text_chars=limits.max_text_chars - out.chars, max_rows=max(0, limits.max_rows - out.rows))
            member_out = Collected(limits=room)
            parse(kind, payload, member_out)
            out.add_text("".join(member_out.parts) + "\n")
            for sheet_name, header, rows in member_out.sheets:
                out.sheets.append((f"{name}/{sheet_name}", header, rows))
                out.rows += len(rows) + (1 if header else 0)
            for note in member_out.notes:
                out.note(f"{name}: {note}")
            if out.text_full:
                break


def _member_refusal(info: zipfile.ZipInfo, limits: Limits) -> str | None:
    if info.file_size > limits.zip_max_member_bytes:
        return f"{info.file_size:,} bytes uncompressed exceeds the {limits.zip_max_member_bytes:,} limit"
    if info.file_size > limits.zip_ratio_floor_bytes and info.file_size > limits.zip_max_ratio * max(info.compress_size, 1):
        return f"compression ratio over {limits.zip_max_ratio}:1 (zip bomb?)"
    return None


def _check_office_zip(data: bytes, limits: Limits) -> None:
    """DOCX and XLSX are ZIPs too: refuse a bomb before the library inflates it."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        declared = sum(info.file_size for info in infos)
        if declared > limits.zip_max_total_bytes:
            raise ValueError(f"{declared:,} bytes uncompressed exceeds the {limits.zip_max_total_bytes:,} limit (zip bomb?)")
        for info in infos:
            if reason := _member_refusal(info, limits):
                raise ValueError(f"part {info.filename}: {reason}")


def member_name(info: zipfile.ZipInfo) -> str:
    # Archives made on Chinese Windows store GBK names without the UTF-8 flag; zipfile reads them as cp437.
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return _clean_cell(str(value))


def _clean_cell(text: str) -> str:
    return " ".join(text.split())


def _trim(row: tuple[str, ...]) -> tuple[str, ...]:
    end = len(row)
    while end and not row[end - 1]:
        end -= 1
    return row[:end]


_PARSERS: dict[FileKind, Callable[[bytes, Collected], None]] = {
    FileKind.PDF: _parse_pdf,
    FileKind.DOCX: _parse_docx,
    FileKind.XLSX: _parse_xlsx,
    FileKind.XLS: _parse_xls,
    FileKind.ZIP: _parse_zip,
    FileKind.TEXT: _parse_text,
}
