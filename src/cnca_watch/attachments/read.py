"""Read an attachment's text (and sheet rows) safely: ``read_attachment``.

Parsing runs in a child Python process with an address-space limit and a wall-clock kill, so
a hung, exploding or crashing parser turns into a note on that one file.  Kinds that need no
parser (HTML served instead of the file, DOC/WPS, plain text, unknown) are answered here
without starting a child.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from cnca_watch.attachments._parsers import Limits, decode_text, not_extracted_reason
from cnca_watch.attachments.sniff import FileKind, sniff_kind

_CHILD_PARSED = frozenset({FileKind.PDF, FileKind.DOCX, FileKind.XLSX, FileKind.XLS, FileKind.ZIP})
_ENCRYPTED_OOXML = "EncryptedPackage".encode("utf-16-le")
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True, slots=True)
class Sheet:
    """One sheet (or one DOCX table): its first non-empty row as header, then the rest."""

    name: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def with_header(self) -> tuple[tuple[str, ...], ...]:
        return (self.header, *self.rows) if self.header else self.rows


@dataclass(frozen=True, slots=True)
class ReadResult:
    kind: FileKind
    text: str
    sheets: tuple[Sheet, ...] = ()
    note: str | None = None  # e.g. "text not extracted: encrypted PDF (a password is needed)"
    pages: int | None = None  # PDF
    members: int | None = None  # ZIP

    @property
    def extracted(self) -> bool:
        return not (self.note or "").startswith("text not extracted")


def read_attachment(
    data: bytes,
    name: str,
    content_type: str | None = None,
    *,
    time_limit_s: float = 20,
    memory_limit_mb: int = 512,
    limits: Limits = Limits(),
) -> ReadResult:
    """The text of one attachment file, bounded in time, memory and output size.

    Never raises for a bad file: every failure is a ``note``.
    """
    kind = sniff_kind(data, name, content_type)
    if kind not in _CHILD_PARSED:
        return _without_parser(kind, data, limits)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" and _ENCRYPTED_OOXML in data[:65536]:
        return ReadResult(kind, "", note="text not extracted: password-protected Office file")
    return _in_child(kind, data, time_limit_s, memory_limit_mb, limits)


def _without_parser(kind: FileKind, data: bytes, limits: Limits) -> ReadResult:
    if kind is FileKind.TEXT:
        text = decode_text(data)
        if len(text) > limits.max_text_chars:
            return ReadResult(kind, text[: limits.max_text_chars], note=f"text cut at {limits.max_text_chars:,} characters")
        return ReadResult(kind, text)
    note = f"text not extracted: {not_extracted_reason(kind)}"
    if kind is FileKind.HTML and (title := _TITLE.search(data[:65536])):
        shown = " ".join(decode_text(title.group(1)).split())[:120]
        if shown:
            note += f' (page title "{shown}")'
    return ReadResult(kind, "", note=note)


def _in_child(kind: FileKind, data: bytes, time_limit_s: float, memory_limit_mb: int, limits: Limits) -> ReadResult:
    package_root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    env["PYTHONWARNINGS"] = "ignore"
    command = [
        sys.executable, "-m", "cnca_watch.attachments._child",
        kind.value, str(memory_limit_mb), str(int(time_limit_s) + 1), json.dumps(asdict(limits)),
    ]  # fmt: skip
    try:
        done = subprocess.run(
            command, input=data, capture_output=True, timeout=time_limit_s, env=env, cwd=package_root, check=False
        )
    except subprocess.TimeoutExpired:  # run() has already killed and reaped the child
        return ReadResult(kind, "", note=f"text not extracted: reading took longer than {time_limit_s:g} s")
    except OSError as exc:
        return ReadResult(kind, "", note=f"text not extracted: could not start the reader ({exc.strerror or exc})")
    if done.returncode != 0:
        return ReadResult(kind, "", note=f"text not extracted: the reader stopped ({_exit_reason(done, memory_limit_mb)})")
    try:
        payload = json.loads(done.stdout)
    except ValueError:
        return ReadResult(kind, "", note="text not extracted: the reader's answer was unreadable")
    return _from_payload(payload)


def _exit_reason(done: subprocess.CompletedProcess[bytes], memory_limit_mb: int) -> str:
    last_line = (done.stderr.decode("utf-8", "replace").strip().splitlines() or [""])[-1][:160]
    if "MemoryError" in last_line:
        return f"over the {memory_limit_mb} MB memory limit"
    if done.returncode < 0:
        return f"killed by signal {-done.returncode}"
    return f"exit {done.returncode}: {last_line}" if last_line else f"exit {done.returncode}"


def _from_payload(payload: dict) -> ReadResult:  # type: ignore[type-arg]
    sheets = tuple(
        Sheet(name, tuple(header), tuple(tuple(row) for row in rows)) for name, header, rows in payload["sheets"]
    )
    notes = payload["notes"]
    return ReadResult(
        kind=FileKind(payload["kind"]),
        text=payload["text"],
        sheets=sheets,
        note="; ".join(notes) if notes else None,
        pages=payload["pages"],
        members=payload["members"],
    )
