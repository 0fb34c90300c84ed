"""What an attachment is (from its bytes first, then its name and Content-Type) and its name.

Pure: no I/O.  The bytes win over the name because the sites serve a ``.docx`` link that
answers with an HTML error page, ``.doc`` files that are really DOCX, and
``downloadfile.jsp`` links with no extension at all.
"""

from __future__ import annotations

import io
import re
import zipfile
from enum import StrEnum
from pathlib import PurePosixPath, PureWindowsPath
from urllib.parse import parse_qsl, unquote_to_bytes, urlsplit


class FileKind(StrEnum):
    PDF = "pdf"
    DOCX = "docx"
    XLSX = "xlsx"
    XLS = "xls"
    DOC = "doc"
    WPS = "wps"
    ZIP = "zip"
    HTML = "html"  # a page where a file was expected (typically a 200 error page)
    TEXT = "text"
    UNKNOWN = "unknown"


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_HTML_START = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title|script|style|div|p|h1|table)\b",
    re.IGNORECASE | re.DOTALL,
)
_EXTENSIONS = {
    ".pdf": FileKind.PDF,
    ".docx": FileKind.DOCX,
    ".xlsx": FileKind.XLSX,
    ".xlsm": FileKind.XLSX,
    ".xls": FileKind.XLS,
    ".doc": FileKind.DOC,
    ".wps": FileKind.WPS,
    ".et": FileKind.XLS,  # WPS spreadsheets are BIFF inside OLE
    ".zip": FileKind.ZIP,
    ".txt": FileKind.TEXT,
    ".csv": FileKind.TEXT,
    ".htm": FileKind.HTML,
    ".html": FileKind.HTML,
}
_SNIFF_WINDOW = 64 * 1024


def kind_from_name(name: str) -> FileKind:
    return _EXTENSIONS.get(PurePosixPath(name.lower()).suffix, FileKind.UNKNOWN)


def sniff_kind(data: bytes, name: str = "", content_type: str | None = None) -> FileKind:
    """The file's kind: magic bytes decide; the name and Content-Type only break ties."""
    head = data[:_SNIFF_WINDOW]
    by_name = kind_from_name(name)
    if b"%PDF-" in head[:1024]:
        return FileKind.PDF
    if head.startswith(_ZIP_MAGICS):
        return _zip_flavour(data)
    if head.startswith(_OLE_MAGIC):
        return _ole_flavour(data, by_name)
    if _HTML_START.match(head):
        return FileKind.HTML
    mime = (content_type or "").split(";")[0].strip().lower()
    if mime in ("text/html", "application/xhtml+xml") and b"\x00" not in head:
        return FileKind.HTML
    if _looks_like_text(head):
        return FileKind.TEXT
    return FileKind.UNKNOWN


def _zip_flavour(data: bytes) -> FileKind:
    # Only the central directory is read (bounded by the file's own size); no member is inflated.
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return FileKind.ZIP
    if "word/document.xml" in names:
        return FileKind.DOCX
    if "xl/workbook.xml" in names:
        return FileKind.XLSX
    return FileKind.ZIP


def _ole_flavour(data: bytes, by_name: FileKind) -> FileKind:
    # OLE directory entries hold stream names in UTF-16LE; the directory may sit anywhere.
    if "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") + b"\x00\x00" in data:
        return FileKind.XLS
    if "WordDocument".encode("utf-16-le") in data:
        return FileKind.WPS if by_name is FileKind.WPS else FileKind.DOC
    return by_name if by_name in (FileKind.DOC, FileKind.WPS, FileKind.XLS) else FileKind.UNKNOWN


def _looks_like_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    for codec in ("utf-8", "gb18030"):
        try:
            head.decode(codec)
            return True
        except UnicodeDecodeError as exc:
            # a multi-byte character cut at the end of the sniffing window is still text
            if len(head) == _SNIFF_WINDOW and exc.start >= len(head) - 4:
                return True
    return False


# ---------------------------------------------------------------------------- names

_QUERY_NAME_KEYS = ("ftext", "filename", "file_name", "fname", "name", "title")
_FILENAME_STAR = re.compile(r"""filename\*\s*=\s*([^';\s]*)'[^']*'([^;\s]+)""", re.IGNORECASE)
_FILENAME = re.compile(r"""filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]+))""", re.IGNORECASE)
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]+")
_MAX_NAME = 200
_SCRIPT_EXTENSIONS = frozenset({".jsp", ".do", ".action", ".asp", ".aspx", ".php", ".cgi", ".jspx"})  # download handlers, not files


def attachment_name(url: str, content_disposition: str | None = None) -> str:
    """A file name for an attachment: Content-Disposition, else the query, else the path.

    Handles RFC 6266 ``filename*`` (RFC 5987 charset + percent-escapes, GBK included),
    ``filename=`` with percent-escapes or UTF-8/GBK bytes that arrived as Latin-1,
    ``downloadfile.jsp?…&fText=…`` and ``?fileName=``.  Never empty, never a path.
    """
    for candidate in (_from_disposition(content_disposition or ""), _from_query(url), _from_path(url)):
        cleaned = _clean(candidate)
        if cleaned:
            return cleaned
    return "attachment"


def _from_disposition(value: str) -> str:
    if match := _FILENAME_STAR.search(value):
        charset = match.group(1) or "utf-8"
        raw = unquote_to_bytes(match.group(2))
        return _decode_bytes(raw, prefer=charset)
    if match := _FILENAME.search(value):
        text = match.group(1) if match.group(1) is not None else match.group(2).strip()
        text = re.sub(r"\\(.)", r"\1", text)
        if "%" in text and re.search(r"%[0-9A-Fa-f]{2}", text):
            return _decode_bytes(unquote_to_bytes(text))
        return _repair_latin1(text)
    return ""


def _from_query(url: str) -> str:
    query = urlsplit(url).query
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=False, encoding="latin-1")
    by_key = {key.lower(): value for key, value in pairs}
    for key in _QUERY_NAME_KEYS:
        if value := by_key.get(key):
            return _decode_bytes(value.encode("latin-1"))
    return ""


def _from_path(url: str) -> str:
    path = urlsplit(url).path
    last = path.rsplit("/", 1)[-1]
    if not last or "." not in last or PurePosixPath(last.lower()).suffix in _SCRIPT_EXTENSIONS:
        return ""
    return _decode_bytes(unquote_to_bytes(last))


def _decode_bytes(raw: bytes, prefer: str = "utf-8") -> str:
    """Decode a name whose charset nobody declared: UTF-8 unless GBK reads as Chinese and UTF-8 does not.

    Short GBK names are often valid UTF-8 too (目录 = C4BF C2BC reads as "Ŀ¼"), so validity alone
    cannot decide.
    """
    prefer = "gb18030" if prefer.lower() in ("gbk", "gb2312", "gb18030") else prefer.lower()
    readings = []
    for codec in dict.fromkeys((prefer, "utf-8", "gb18030")):
        try:
            readings.append(raw.decode(codec))
        except (UnicodeDecodeError, LookupError):
            continue
    if not readings:
        return raw.decode("utf-8", errors="replace")
    return max(readings, key=_cjk_count) if not _cjk_count(readings[0]) else readings[0]


def _cjk_count(text: str) -> int:
    return sum(1 for char in text if "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf")


def _repair_latin1(text: str) -> str:
    """Header bytes in UTF-8 or GBK that an HTTP client decoded as Latin-1."""
    try:
        raw = text.encode("latin-1")
    except UnicodeEncodeError:
        return text  # already real Unicode
    return _decode_bytes(raw) if any(b >= 0x80 for b in raw) else text


def _clean(name: str) -> str:
    name = name.strip().strip('"').strip()
    # keep only the last path component, whichever separator the sender used
    name = PureWindowsPath(PurePosixPath(name).name).name if name else ""
    name = _UNSAFE.sub("_", name).strip(" .")
    if len(name) > _MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: _MAX_NAME - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else name[:_MAX_NAME]
    return name
