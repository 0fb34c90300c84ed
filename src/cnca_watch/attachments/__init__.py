"""Attachment files: what kind a file is, what it is called, its text, and row diffs of sheets.

``sniff`` and ``rowdiff`` are pure.  ``read`` parses in a child process so that a hung or
exploding parser costs one file's note, never the run; the parsing libraries (pypdf,
python-docx, openpyxl, xlrd) are imported only in that child.

Names are imported on first use: the child process imports this package too, and should
pay only for the modules it runs.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "AttachmentReader": "cnca_watch.attachments.read",
    "FileKind": "cnca_watch.attachments.sniff",
    "KeyColumnError": "cnca_watch.attachments.rowdiff",
    "Limits": "cnca_watch.attachments._parsers",
    "ReadResult": "cnca_watch.attachments.read",
    "RowChange": "cnca_watch.attachments.rowdiff",
    "Sheet": "cnca_watch.attachments.read",
    "SheetDiff": "cnca_watch.attachments.rowdiff",
    "attachment_name": "cnca_watch.attachments.sniff",
    "diff_sheets": "cnca_watch.attachments.rowdiff",
    "diff_sheets_keyed": "cnca_watch.attachments.rowdiff",
    "read_attachment": "cnca_watch.attachments.read",
    "render_sheet_diff": "cnca_watch.attachments.rowdiff",
    "sniff_kind": "cnca_watch.attachments.sniff",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
