"""Attachment files: what kind a file is, what it is called, its text, and row diffs of sheets.

``sniff`` and ``rowdiff`` are pure.  ``read`` parses in a child process so that a hung or
exploding parser costs one file's note, never the run; the parsing libraries (pypdf,
python-docx, openpyxl, xlrd) are imported only in that child.
"""

from __future__ import annotations

from cnca_watch.attachments.read import ReadResult, Sheet, read_attachment
from cnca_watch.attachments.rowdiff import RowChange, SheetDiff, diff_sheets, render_sheet_diff
from cnca_watch.attachments.sniff import FileKind, attachment_name, sniff_kind

__all__ = [
    "FileKind",
    "ReadResult",
    "RowChange",
    "Sheet",
    "SheetDiff",
    "attachment_name",
    "diff_sheets",
    "read_attachment",
    "render_sheet_diff",
    "sniff_kind",
]
